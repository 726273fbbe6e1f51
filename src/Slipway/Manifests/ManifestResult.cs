namespace Slipway.Manifests;

/// <summary>The outcome of <see cref="ManifestLoader.Load"/>: a validated spec, or every error found. A bad
/// manifest is a user error, not an exception: callers decide how to show it (CLI text, API ProblemDetails).
/// </summary>
internal abstract record ManifestResult
{
    private ManifestResult()
    {
    }

    /// <summary>A valid spec with defaults and detected commands filled in. Warnings are things that work but
    /// are probably not what the user meant; each starts with its key path.</summary>
    public sealed record Ok(AppSpec Spec, IReadOnlyList<string> Warnings) : ManifestResult;

    /// <summary>At least one error; never empty.</summary>
    public sealed record Invalid(IReadOnlyList<ManifestError> Errors) : ManifestResult
    {
        /// <summary>What the errors are about, the start of <see cref="Message"/>: "slipway.json", or a
        /// description of the source directory when there was no manifest and detection failed.</summary>
        public string Subject { get; init; } = "slipway.json";

        /// <summary>All errors as one message for a person, e.g.
        /// <code>
        /// slipway.json has 2 errors:
        ///   - services.api.healthcheck.timeout: expected a duration like "30s", got "thirty"
        ///   - services.web.strat: unknown key "strat"; did you mean "start"?
        /// </code></summary>
        public string Message
        {
            get
            {
                var noun = Errors.Count == 1 ? "error" : "errors";
                var lines = Errors.Select(error => "  - " + error);
                return $"{Subject} has {Errors.Count} {noun}:\n{string.Join('\n', lines)}";
            }
        }

        /// <summary>For callers that stop at the first invalid manifest (the CLI, the deploy API).</summary>
        public UserException ToException() => new(Message);
    }
}
