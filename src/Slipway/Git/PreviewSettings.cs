namespace Slipway.Git;

/// <summary>An app's preview settings (`slipway git previews`).</summary>
/// <param name="Ttl">A preview untouched this long is removed (its pull request forgotten, or its "closed" missed).</param>
/// <param name="DatabasesFrom">The environment whose postgres databases a new preview's are branched from.</param>
/// <param name="WithData">Branch them with their rows; by default only their schema (tables, indexes, functions).</param>
/// <param name="ForkSecrets">An approved fork's preview gets the config's secrets too (by default it gets none).</param>
internal sealed record PreviewSettings(bool On, TimeSpan Ttl, string DatabasesFrom, bool WithData, bool ForkSecrets = false);
