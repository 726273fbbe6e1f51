using Microsoft.Extensions.Hosting;

namespace Slipway.Git;

/// <summary>At start: this platform's pre-receive hook is written, pipes of pushes an earlier process left (hours ago)
/// are removed, and so are repositories whose app was destroyed.</summary>
internal sealed class GitStartup(GitOptions options, GitRemotes remotes) : IHostedService
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
        PreReceiveHook.Install(options.HooksDir);
        remotes.RemoveOrphans();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
