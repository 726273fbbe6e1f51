using Slipway.Deploy;

namespace Slipway.Git;

/// <summary>A fork's preview runs code the app's owner did not write: it gets none of the config's secrets (shared ones
/// included), unless the app's preview settings allow them (`slipway git previews APP --fork-secrets`).</summary>
internal sealed class PreviewSecrets(GitStore store) : IWithheldSecrets
{
    public bool Withholds(AppRef target) =>
        target.IsPreview
        && long.TryParse(target.Env["pr-".Length..], System.Globalization.CultureInfo.InvariantCulture, out var number)
        && store.FindPreview(target.App, number) is { FromFork: true }
        && !store.PreviewSettings(target.App).ForkSecrets;
}
