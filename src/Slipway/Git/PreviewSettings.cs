namespace Slipway.Git;

/// <summary>An app's preview settings (`slipway git previews`).</summary>
/// <param name="Ttl">A preview untouched this long is removed (its pull request forgotten, or its "closed" missed).</param>
/// <param name="DatabasesFrom">The environment whose postgres databases a new preview's are branched from.</param>
/// <param name="WithData">Branch them with their rows; by default only their schema (tables, indexes, functions).</param>
/// <param name="ForkSecrets">An approved fork's preview gets the config's secrets too (by default it gets none).</param>
/// <param name="Crons">Previews' crons fire on their schedule (by default they do not: `cron run` runs one by hand).</param>
/// <param name="Domain">With a wildcard DNS record *.APP.DOMAIN pointing at this machine, preview pr-N answers
/// pr-N.APP.DOMAIN too, with its own certificate (HTTP-01: no wildcard certificate).</param>
internal sealed record PreviewSettings(bool On, TimeSpan Ttl, string DatabasesFrom, bool WithData, bool ForkSecrets = false, string? Domain = null, bool Crons = false)
{
    /// <summary>Preview <paramref name="number"/>'s public hostname, when the app has a preview domain.</summary>
    public string? HostOf(string app, long number) => Domain is null ? null : $"{PreviewRecord.EnvName(number)}.{app}.{Domain}";
}
