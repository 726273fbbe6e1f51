using Microsoft.Extensions.Hosting;

namespace Slipway.Git;

/// <summary>At start: this platform's pre-receive hook is written, pipes of pushes an earlier process left (hours ago)
/// are removed, and so are repositories whose app was destroyed.</summary>
internal sealed class GitStartup(GitOptions options, GitRemotes remotes, GitStore store) : IHostedService
{
    private static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(6);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(options.RunDir))
        {
            // Old ones only: during an upgrade the previous process may still be finishing a push through its pipes.
            foreach (var dir in new DirectoryInfo(options.RunDir).EnumerateDirectories("push*").Where(d => d.LastWriteTimeUtc < DateTime.UtcNow - LeftoverAge))
            {
                dir.Delete(recursive: true);
            }
        }
        if (Directory.Exists(options.ReposDir))
        {
            SweepLeftovers(options.ReposDir, DateTime.UtcNow);
        }
        PreReceiveHook.Install(options.HooksDir);
        remotes.RemoveOrphans();
        // Preview work queued by an earlier process died with it: its deliveries may be redelivered.
        store.FailQueuedBefore(DateTimeOffset.UtcNow, "the platform restarted before its work was done; redeliver it from the forge");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>What a receive-pack killed outright (SIGKILL, a crash of the machine) leaves in a repository: its
    /// quarantine (objects of a push never accepted) and a ref's lock, which would refuse every later push to that
    /// branch ("cannot lock ref"). A ref lock is held for milliseconds, so one a minute old is a leftover; quarantines
    /// only hours old, since a push through the previous process of an upgrade may still be running.</summary>
    internal static void SweepLeftovers(string reposDir, DateTime now)
    {
        foreach (var repo in Directory.EnumerateDirectories(reposDir))
        {
            try
            {
                SweepRepository(repo, now);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A repository removed meanwhile (an upgrade's other process), or one we may not touch: never a reason
                // not to start; the next start sweeps again.
            }
        }
    }

    private static void SweepRepository(string repo, DateTime now)
    {
        var objects = Path.Combine(repo, "objects");
        if (Directory.Exists(objects))
        {
            foreach (var dir in new DirectoryInfo(objects).EnumerateDirectories("*incoming-*").Where(d => d.LastWriteTimeUtc < now - LeftoverAge))
            {
                dir.Delete(recursive: true);
            }
        }
        var refs = Path.Combine(repo, "refs");
        var locks = Directory.Exists(refs) ? new DirectoryInfo(refs).EnumerateFiles("*.lock", SearchOption.AllDirectories) : [];
        // And the repository's own: packed-refs, HEAD and config are rewritten under a .lock beside them.
        var own = new[] { "packed-refs.lock", "HEAD.lock", "config.lock", "shallow.lock", "index.lock" }.Select(name => new FileInfo(Path.Combine(repo, name)));
        foreach (var file in locks.Concat(own).Where(f => f.Exists && f.LastWriteTimeUtc < now - LockAge))
        {
            file.Delete();
        }
    }

    private static readonly TimeSpan LockAge = TimeSpan.FromMinutes(1);
}
