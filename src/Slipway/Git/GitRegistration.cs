using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Slipway.Git;

internal static class GitRegistration
{
    /// <summary>Git delivery: the apps' remotes (DATA/git), pushes that deploy, and their rows' part in destroy.</summary>
    public static IServiceCollection AddGit(this IServiceCollection services, string dataDir)
    {
        services.AddSingleton(GitOptions.For(dataDir));
        services.AddSingleton<GitStore>();
        services.AddSingleton<GitRemotes>();
        services.AddSingleton<GitHttpBackend>();
        services.AddSingleton<Pushes>();
        services.AddSingleton<State.IAppRows, GitRows>();
        services.AddSingleton<State.ISealedRows, GitRows>();
        services.AddSingleton<Webhooks>();
        services.AddSingleton<Previews>();
        services.AddSingleton<PreviewReports>();
        services.AddSingleton<Jobs.ICronPause, PreviewCrons>();
        services.TryAddSingleton<ForgeNoticeOptions>();
        services.AddSingleton<ForgeNotices>();
        services.AddSingleton<Deploy.IWithheldSecrets, PreviewSecrets>();
        services.AddHostedService<PreviewSweeper>();
        services.AddHostedService<GitStartup>();
        return services;
    }
}
