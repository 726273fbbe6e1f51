using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Errors;

/// <summary>Takes what an SDK sends (an envelope, or an event to the legacy store endpoint) for one project:
///
///   project id + key (DSN) ─► rate limit ─► body ≤ MaxBody, gunzip/inflate ≤ MaxDecompressed ─► envelope items
///   ─► "event" items: read ─► scrub (secrets, cookies, credentials, PII) ─► group ─► ErrorStore
///   ─► other items (transactions, sessions, client reports, attachments): accepted and dropped
///
/// Refusals are <see cref="ErrorIngestException"/>s with the status SDKs understand; nothing is stored for them.</summary>
internal sealed partial class ErrorIngest : IDisposable
{
    private readonly ErrorStore _store;
    private readonly ErrorReleases _releases;
    private readonly ErrorsOptions _options;
    private readonly Store _state;
    private readonly ConfigVars _config;
    private readonly TimeProvider _clock;
    private readonly ILogger<ErrorIngest> _logger;
    private readonly PartitionedRateLimiter<long> _limiter;
    private readonly ConcurrentDictionary<(string, string), long> _orders = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<string> Values)> _secrets = new(StringComparer.Ordinal);
    private readonly SourceMaps.SourceMapStore _maps;
    private readonly ConcurrentDictionary<string, string> _apps = new(StringComparer.Ordinal);

    public ErrorIngest(ErrorStore store, ErrorReleases releases, ErrorsOptions options, Store state, ConfigVars config, SourceMaps.SourceMapStore maps,
        TimeProvider clock, ILogger<ErrorIngest> logger)
    {
        (_store, _releases, _options, _state, _config, _maps, _clock, _logger) = (store, releases, options, state, config, maps, clock, logger);
        var perSecond = Math.Max(1, options.EventsPerMinute / 60);
        _limiter = PartitionedRateLimiter.Create<long, long>(project => RateLimitPartition.GetTokenBucketLimiter(project, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.EventsPerMinute,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Raised for each stored event with what it did to its issue (alerts listen).</summary>
    public event Action<IssueRecord, IngestOutcome>? Stored;

    /// <summary>The project <paramref name="projectId"/> if <paramref name="key"/> is its DSN key.</summary>
    public ErrorProject Authenticate(long projectId, string? key)
    {
        if (key is null)
        {
            throw new ErrorIngestException(401, "No DSN key: send X-Sentry-Auth: Sentry sentry_key=KEY (the SDKs do, given SENTRY_DSN).");
        }
        var project = _store.FindProject(projectId);
        if (project is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(project.PublicKey), Encoding.UTF8.GetBytes(key)))
        {
            // One answer for an unknown project and a wrong key: nobody learns which projects exist.
            throw new ErrorIngestException(403, $"The DSN's key is not project {projectId}'s. Use the SENTRY_DSN the platform gives the app " +
                "('slipway errors dsn --app APP' prints it).");
        }
        return project;
    }

    /// <summary>Reads a request body: at most <see cref="ErrorsOptions.MaxBody"/> bytes as sent, decompressed
    /// (Content-Encoding gzip, deflate) to at most <see cref="ErrorsOptions.MaxDecompressed"/>.</summary>
    public async Task<byte[]> ReadBodyAsync(Stream body, string? encoding, CancellationToken token)
    {
        var raw = await ReadLimitedAsync(body, _options.MaxBody, "request body", token);
        var coding = encoding?.Trim().ToLowerInvariant();
        if (coding is null or "" or "identity")
        {
            return raw;
        }
        Stream Decoder(Stream s) => coding switch
        {
            "gzip" or "x-gzip" => new GZipStream(s, CompressionMode.Decompress),
            "deflate" => new ZLibStream(s, CompressionMode.Decompress),
            "br" => new BrotliStream(s, CompressionMode.Decompress),
            _ => throw new ErrorIngestException(415, $"Content-Encoding '{encoding}' is not supported; send gzip, deflate or none."),
        };
        try
        {
            await using var decoded = Decoder(new MemoryStream(raw));
            return await ReadLimitedAsync(decoded, _options.MaxDecompressed, "decompressed body", token);
        }
        catch (InvalidDataException) when (coding == "deflate")
        {
            // Some clients send raw deflate (no zlib header) under "deflate".
            try
            {
                await using var rawDeflate = new DeflateStream(new MemoryStream(raw), CompressionMode.Decompress);
                return await ReadLimitedAsync(rawDeflate, _options.MaxDecompressed, "decompressed body", token);
            }
            catch (InvalidDataException)
            {
                throw new ErrorIngestException(400, "The body is not valid deflate data.");
            }
        }
        catch (InvalidDataException)
        {
            throw new ErrorIngestException(400, $"The body is not valid {coding} data.");
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream stream, long max, string what, CancellationToken token)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, token)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw new ErrorIngestException(413, $"The {what} is larger than {Manifests.ByteSizes.Format(max)}, the most one request may carry.");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>An envelope for <paramref name="project"/>: its events stored; returns the first event's id.</summary>
    public string? Envelope(ErrorProject project, byte[] body) => Envelope(project, Errors.Envelope.Parse(body));

    /// <summary>An envelope read already (a tunnel's, whose header named its DSN).</summary>
    public string? Envelope(ErrorProject project, Envelope envelope)
    {
        string? first = null;
        var events = envelope.Items.Where(i => i.Type == "event").ToList();
        if (events.Count > 0)
        {
            Admit(project, events.Count);
        }
        // The envelope's header names the event's id when the event itself does not.
        var headerId = EventReader.Text(envelope.Header["event_id"]);
        foreach (var item in events)
        {
            first ??= Store(project, item.Payload, headerId);
        }
        return first ?? headerId;
    }

    /// <summary>An event sent to the legacy store endpoint.</summary>
    public string StoreEvent(ErrorProject project, byte[] body)
    {
        Admit(project, 1);
        return Store(project, body, null);
    }

    private void Admit(ErrorProject project, int events)
    {
        using var lease = _limiter.AttemptAcquire(project.Id, Math.Min(events, _options.EventsPerMinute));
        if (!lease.IsAcquired)
        {
            var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 60;
            throw new ErrorIngestException(429, $"Project {project.Id} sent more than {_options.EventsPerMinute} events a minute; retry after {wait}s.")
            {
                RetryAfter = wait,
            };
        }
    }

    private string Store(ErrorProject project, ReadOnlyMemory<byte> payload, string? headerId)
    {
        if (payload.Length > _options.MaxEvent)
        {
            throw new ErrorIngestException(413, $"An event of {Manifests.ByteSizes.Format(payload.Length)} is larger than the {Manifests.ByteSizes.Format(_options.MaxEvent)} allowed.");
        }
        // Scrubbed before anything is read from it, so no title, culprit or log line holds what scrubbing takes out.
        var body = EventReader.Parse(payload);
        if (body["event_id"] is null && headerId is not null)
        {
            body["event_id"] = headerId;
        }
        var userKey = EventReader.UserKeyOf(body);
        Scrubber.Scrub(body, SecretsOf(project.AppKey));
        var e = WithSourceMaps(project.AppKey, EventReader.Read(body, _clock.GetUtcNow(), userKey));
        var fingerprint = Grouping.Fingerprint(e);
        var (issue, outcome) = _store.Add(project.AppKey, e, fingerprint, release => OrderOf(project.AppKey, release));
        if (outcome is IngestOutcome.New or IngestOutcome.Regressed)
        {
            LogIssue(_logger, project.AppKey, issue.Id, outcome, issue.Title);
        }
        if (outcome != IngestOutcome.Duplicate)
        {
            Stored?.Invoke(issue, outcome);
        }
        return e.EventId;
    }

    /// <summary>The event's frames in their original sources where its build's maps cover them, for its grouping, title
    /// and culprit: a minified bundle's names change with every build, so the same bug would be a new issue in each.
    /// The event is stored as sent (`errors show` applies the maps again, and shows the minified frames beside).</summary>
    private ErrorEvent WithSourceMaps(string appKey, ErrorEvent e)
    {
        if (e.Release is not { } release || e.Exceptions.Count == 0 || AppOf(appKey) is not { } app)
        {
            return e;
        }
        var lookup = _maps.For(app, release, IngestReadBudget);
        if (!lookup.HasMaps)
        {
            return e;
        }
        try
        {
            return e with { Exceptions = SourceMaps.Symbolicator.Apply(e.Exceptions, lookup) };
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            LogMapsFailed(_logger, appKey, failure);
            return e;
        }
    }

    /// <summary>What one event's frames may read from disk at ingest: maps already kept cost nothing; a flood of events
    /// naming many releases cannot make each read dozens of MiB.</summary>
    private const long IngestReadBudget = 16L * 1024 * 1024;

    /// <summary>The app an environment's row belongs to (maps are kept per app).</summary>
    private string? AppOf(string appKey)
    {
        if (_apps.TryGetValue(appKey, out var known))
        {
            return known;
        }
        if (_state.FindApp(appKey)?.App is not { } app)
        {
            return null;
        }
        _apps[appKey] = app;
        return app;
    }

    private long? OrderOf(string appKey, string? release)
    {
        if (release is null)
        {
            return null;
        }
        if (_orders.TryGetValue((appKey, release), out var known))
        {
            return known;
        }
        var order = _releases.OrderOf(appKey, release);
        if (order is { } found)
        {
            _orders[(appKey, release)] = found; // a release's first deployment never changes
        }
        return order;
    }

    /// <summary>The environment's secret values, read again at most every 10 seconds.</summary>
    private IReadOnlyList<string> SecretsOf(string appKey)
    {
        var now = _clock.GetUtcNow();
        if (_secrets.TryGetValue(appKey, out var cached) && now - cached.At < TimeSpan.FromSeconds(10))
        {
            return cached.Values;
        }
        IReadOnlyList<string> values = [];
        if (_state.FindApp(appKey) is not null)
        {
            var snapshot = _config.Snapshot(appKey);
            values = snapshot.Secrets.Select(name => snapshot.Vars.TryGetValue(name, out var v) ? v : null).Where(v => v is { Length: >= 6 }).Select(v => v!).ToList();
        }
        _secrets[appKey] = (now, values);
        return values;
    }

    public void Dispose() => _limiter.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the source maps to an event of {App} failed; it is grouped by its frames as sent")]
    private static partial void LogMapsFailed(ILogger logger, string app, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Error issue {App} #{IssueId} {Outcome}: {Title}")]
    private static partial void LogIssue(ILogger logger, string app, long issueId, IngestOutcome outcome, string title);
}
