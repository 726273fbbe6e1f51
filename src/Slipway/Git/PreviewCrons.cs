namespace Slipway.Git;

/// <summary>A preview runs no crons on their schedule unless its app says so (`slipway git previews APP --on --crons`):
/// a nightly billing job or an email digest must not run once per open pull request. `cron run` still runs one by hand.</summary>
internal sealed class PreviewCrons(GitStore store) : Jobs.ICronPause
{
    public string? Why(AppRef env) => env.IsPreview && !store.PreviewSettings(env.App).Crons
        ? $"crons are off in previews (slipway git previews {env.App} --on --crons turns them on)"
        : null;
}
