namespace Slipway.Manifests;

/// <summary>Cross-origin rules for paths matching <see cref="Source"/>: the edge answers preflight requests
/// itself and adds the Access-Control-* headers to the app's responses.</summary>
internal sealed record CorsRule
{
    public required string Source { get; init; }

    /// <summary>Allowed origins ("https://app.example.com"), or ["*"] for any origin (not with credentials).</summary>
    public required IReadOnlyList<string> Origins { get; init; }

    public IReadOnlyList<string> Methods { get; init; } = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>Request headers a browser may send; empty: echo what the preflight asks for.</summary>
    public IReadOnlyList<string> Headers { get; init; } = [];

    /// <summary>Response headers scripts may read beyond the CORS-safelisted ones.</summary>
    public IReadOnlyList<string> ExposeHeaders { get; init; } = [];

    public bool Credentials { get; init; }

    /// <summary>How long a browser may cache a preflight answer.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromMinutes(10);
}

internal enum RateLimitWindow { Fixed, Sliding }

/// <summary>At most <see cref="Limit"/> requests per client IP in <see cref="Window"/> on paths matching
/// <see cref="Source"/>; beyond that the edge answers 429 with Retry-After.</summary>
internal sealed record RateLimitRule
{
    public required string Source { get; init; }
    public required int Limit { get; init; }
    public required TimeSpan Window { get; init; }
    public RateLimitWindow Mode { get; init; } = RateLimitWindow.Fixed;
}

/// <summary>Per-app edge limits. Defaults suit an API behind a browser app.</summary>
internal sealed record EdgeLimitsSpec
{
    /// <summary>Largest request body accepted; larger ones get 413 before reaching the app.</summary>
    public long MaxBodySize { get; init; } = 10 * 1024 * 1024;

    /// <summary>How long connecting to an instance may take before the edge tries another or answers 504.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the app may take to start answering (status and headers) before the edge answers 504.
    /// Streaming responses (SSE, downloads) are not cut once they have started.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
