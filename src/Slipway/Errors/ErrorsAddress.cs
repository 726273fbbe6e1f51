namespace Slipway.Errors;

/// <summary>Where the ingest listener answers (http://127.0.0.1:PORT), known once it started; its own object so what
/// gives processes their DSN does not depend on the server.</summary>
internal sealed class ErrorsAddress
{
    private volatile string? _baseUrl;

    public string? BaseUrl
    {
        get => _baseUrl;
        set => _baseUrl = value;
    }

    /// <summary>Why the listener is not where the previous platform process had it, or null.</summary>
    public string? Moved { get; set; }

    /// <summary>The DSN of a project on this listener: http://KEY@127.0.0.1:PORT/ID.</summary>
    public string? DsnOf(ErrorProject project) =>
        BaseUrl is { } url ? url.Replace("http://", $"http://{project.PublicKey}@", StringComparison.Ordinal) + "/" + project.Id : null;
}
