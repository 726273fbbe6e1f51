using System.Text;
using Slipway.Manifests;

namespace Slipway.Jobs;

/// <summary>What an app sends to POST $SLIPWAY_MESSAGES_URL: a request to make later, to one of its own
/// service paths (or an allowed external URL), with retries. Validated whole; every problem is reported.</summary>
internal sealed record PublishRequest(
    string? Path = null,
    string? Service = null,
    string? Url = null,
    string? Method = null,
    Dictionary<string, string>? Headers = null,
    string? Body = null,
    string? BodyBase64 = null,
    string? Delay = null,
    DateTimeOffset? NotBefore = null,
    int? Retries = null,
    string? Backoff = null)
{
    public const int MaxBodyBytes = 1 << 20;
    public const int MaxRetries = 20;
    public const int DefaultRetries = 3;
    public static readonly TimeSpan DefaultBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(30);

    /// <summary>Config variable (comma-separated host names) naming the external hosts an app may send messages to.</summary>
    public const string AllowedHostsVariable = "MESSAGES_ALLOWED_HOSTS";

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    private static readonly HashSet<string> PlatformHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", MessageSigner.Header, "Slipway-Message-Id", "Slipway-Attempt",
    };

    /// <summary>Whether the app's config (MESSAGES_ALLOWED_HOSTS) lets it send to <paramref name="url"/>'s host:
    /// checked when a message is published and again before each attempt, so taking a host out stops its messages.</summary>
    public static bool HostAllowed(Uri url, IReadOnlyDictionary<string, string> appConfig) =>
        (appConfig.GetValueOrDefault(AllowedHostsVariable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Contains(url.Host, StringComparer.OrdinalIgnoreCase);

    public sealed record Valid(string? Path, string? Service, string? Url, string Method, Dictionary<string, string> Headers, byte[] Body,
        DateTimeOffset NotBefore, int Retries, TimeSpan Backoff);

    /// <summary>The validated message, or every problem with it.</summary>
    public (Valid? Message, IReadOnlyList<string> Problems) Validate(DateTimeOffset now, IReadOnlyDictionary<string, string> appConfig)
    {
        var problems = new List<string>();
        if ((Path is null) == (Url is null))
        {
            problems.Add("give either \"path\" (one of your app's own service paths, like \"/jobs/send-email\") or \"url\" (an allowed external URL), not both or neither");
        }
        if (Path is not null && (!ManifestKeys.SourcePattern().IsMatch(Path) || !AppPaths.IsLocalPath(Path)))
        {
            problems.Add($"path: expected a path on your app starting with a single \"/\" (like \"/jobs/send-email\"), got \"{Path}\"; " +
                         "to call another host use \"url\"");
        }
        if (Service is not null && Url is not null)
        {
            problems.Add("service: only for \"path\" messages (it names the service the path is on)");
        }
        if (Url is not null)
        {
            if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                problems.Add($"url: expected an absolute http(s) URL, got \"{Url}\"");
            }
            else if (!HostAllowed(uri, appConfig))
            {
                problems.Add($"url: {uri.Host} is not an allowed host; add it to the app's config: slipway env set {AllowedHostsVariable}={uri.Host} (comma-separated)");
            }
        }
        var method = (Method ?? "POST").ToUpperInvariant();
        if (!Methods.Contains(method))
        {
            problems.Add($"method: expected one of {string.Join(", ", Methods)}, got \"{Method}\"");
        }
        foreach (var name in (Headers ?? []).Keys.Where(PlatformHeaders.Contains))
        {
            problems.Add($"headers: {name} is set by the platform");
        }
        byte[] body = [];
        if (Body is not null && BodyBase64 is not null)
        {
            problems.Add("give \"body\" (text) or \"bodyBase64\" (bytes), not both");
        }
        else if (BodyBase64 is not null)
        {
            try
            {
                body = Convert.FromBase64String(BodyBase64);
            }
            catch (FormatException)
            {
                problems.Add("bodyBase64: not valid base64");
            }
        }
        else if (Body is not null)
        {
            body = Encoding.UTF8.GetBytes(Body);
        }
        if (body.Length > MaxBodyBytes)
        {
            problems.Add($"body: {body.Length} bytes is more than the {MaxBodyBytes} allowed; store large payloads elsewhere and send a reference");
        }
        var notBefore = now;
        if (Delay is not null && NotBefore is not null)
        {
            problems.Add("give \"delay\" or \"notBefore\", not both");
        }
        else if (Delay is not null)
        {
            if (!Durations.TryParse(Delay, out var delay) || delay < TimeSpan.Zero || delay > MaxDelay)
            {
                problems.Add($"delay: expected a duration like \"30s\", \"15m\" or \"2h\" up to 30 days, got \"{Delay}\"");
            }
            else
            {
                notBefore = now + delay;
            }
        }
        else if (NotBefore is { } at)
        {
            if (at - now > MaxDelay)
            {
                problems.Add("notBefore: at most 30 days ahead");
            }
            notBefore = at > now ? at : now;
        }
        var retries = Retries ?? DefaultRetries;
        if (retries is < 0 or > MaxRetries)
        {
            problems.Add($"retries: expected 0 to {MaxRetries}, got {retries}");
        }
        var backoff = DefaultBackoff;
        if (Backoff is not null && (!Durations.TryParse(Backoff, out backoff) || backoff < TimeSpan.FromMilliseconds(100) || backoff > TimeSpan.FromHours(6)))
        {
            problems.Add($"backoff: expected a duration from 100ms to 6h like \"10s\", got \"{Backoff}\"");
        }
        return problems.Count > 0
            ? (null, problems)
            : (new Valid(Path, Service, Url, method, Headers ?? [], body, notBefore, retries, backoff), problems);
    }
}
