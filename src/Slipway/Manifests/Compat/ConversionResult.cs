namespace Slipway.Manifests.Compat;

/// <summary>The outcome of <see cref="ManifestConverter.Convert"/> for a directory that holds another platform's
/// file: the slipway.json it amounts to, or why the file could not be read.</summary>
internal abstract record ConversionResult
{
    private ConversionResult(string source)
    {
        Source = source;
    }

    /// <summary>What was converted: "railway.json", "vercel.json", "render.yaml", "app.json and Procfile",
    /// "app.json" or "Procfile".</summary>
    public string Source { get; }

    /// <summary><see cref="Source"/> as a list of files, for "slipway.json + app.json + Procfile".</summary>
    public string Files => Source.Replace(" and ", " + ", StringComparison.Ordinal);

    /// <summary>Converted, not yet validated: <see cref="ManifestLoader"/> validates <see cref="Json"/> like any
    /// slipway.json, and detection still fills in commands the foreign file left out.</summary>
    /// <param name="Json">The equivalent slipway.json, indented, "\n" line endings, ending with a newline.</param>
    /// <param name="Warnings">One per setting that was not carried over or changes meaning, each starting
    /// with the file and key it is about, e.g. "vercel.json: functions is not supported and was ignored".</param>
    /// <param name="Provenance">Where each value of <paramref name="Json"/> came from in the file, for
    /// <see cref="ManifestMerge"/>.</param>
    public sealed record Converted(string Source, string Json, IReadOnlyList<string> Warnings, Provenance Provenance)
        : ConversionResult(Source);

    /// <summary>The file could not be read (bad JSON or YAML, a malformed Procfile line). Never empty.</summary>
    public sealed record Failed(string Source, IReadOnlyList<ManifestError> Errors) : ConversionResult(Source)
    {
        public string Message =>
            $"{Source} cannot be converted to {ManifestLoader.FileName}:\n" +
            string.Join('\n', Errors.Select(error => "  - " + error));

        /// <summary>For the CLI, which stops at the first problem.</summary>
        public UserException ToException() => new(Message);
    }
}
