using Microsoft.Extensions.Hosting;

namespace Slipway.Git;

/// <summary>At start: this platform's pre-receive hook is written, pipes of pushes an earlier process left are
/// removed, and so are repositories whose app was destroyed.</summary>
internal sealed class GitStartup(GitOptions options, GitRemotes remotes) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(options.RunDir))
        {
            foreach (var dir in Directory.EnumerateDirectories(options.RunDir, "push*"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        PreReceiveHook.Install(options.HooksDir);
        remotes.RemoveOrphans();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
