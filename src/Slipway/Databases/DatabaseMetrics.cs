using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Slipway.Databases;

/// <summary>Each managed database's size and open connections, and the age of its newest verified backup.
///
/// Sizes and connections come from the servers (pg_database_size and pg_stat_activity, one query each per
/// PostgreSQL server; INFO for each Redis server), which a scrape must not wait on: a scrape reads the last
/// sample and, when it is older than <see cref="SampleEvery"/>, starts the next one in the background. The backup
/// age is read from the store at each scrape.</summary>
internal sealed partial class DatabaseMetrics
{
    public static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(15);

    private readonly DatabaseStore _databases;
    private readonly DatabaseProvisioner _provisioner;
    private readonly PostgresCluster _cluster;
    private readonly RedisServers _redis;
    private readonly Config.Keyring _keyring;
    private readonly TimeProvider _clock;
    private readonly ILogger<DatabaseMetrics> _logger;
    private volatile IReadOnlyList<Sample> _samples = [];
    private DateTimeOffset _sampledAt = DateTimeOffset.MinValue;
    private int _sampling;
    private volatile Task _refresh = Task.CompletedTask;

    public DatabaseMetrics(DatabaseStore databases, DatabaseProvisioner provisioner, PostgresCluster cluster, RedisServers redis, Config.Keyring keyring,
        TimeProvider clock, ILogger<DatabaseMetrics> logger, IMeterFactory meters)
    {
        _databases = databases;
        _provisioner = provisioner;
        _cluster = cluster;
        _redis = redis;
        _keyring = keyring;
        _clock = clock;
        _logger = logger;
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        meter.CreateObservableGauge("slipway.database.size", () => Sampled(s => s.SizeBytes), "By",
            "Bytes a managed database takes (PostgreSQL: pg_database_size; Redis: used_memory)");
        meter.CreateObservableGauge("slipway.database.connections", () => Sampled(s => s.Connections), "{connection}",
            "Open connections to a managed database (PostgreSQL: pg_stat_activity; Redis: connected_clients)");
        meter.CreateObservableGauge("slipway.database.backup.age", BackupAges, "s",
            "Seconds since the newest verified backup of a PostgreSQL database finished (absent: it has none yet)");
    }

    /// <summary>One database's readings; null where its server did not answer.</summary>
    private sealed record Sample(DatabaseRecord Database, long? SizeBytes, long? Connections);

    private static KeyValuePair<string, object?>[] TagsOf(DatabaseRecord db) =>
    [
        PlatformMeter.Tag("app", db.BaseApp), PlatformMeter.Tag("env", db.Env), PlatformMeter.Tag("database", db.Name),
        PlatformMeter.Tag("type", db.Type),
    ];

    private IEnumerable<Measurement<long>> Sampled(Func<Sample, long?> value)
    {
        RefreshIfStale();
        foreach (var sample in _samples)
        {
            if (value(sample) is { } v)
            {
                yield return new Measurement<long>(v, TagsOf(sample.Database));
            }
        }
    }

    private IEnumerable<Measurement<double>> BackupAges()
    {
        var now = _clock.GetUtcNow();
        foreach (var db in _databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres))
        {
            var newest = _databases.ListBackupsOf(db.Id)
                .Where(b => b.Status == BackupStatus.Verified && b.FinishedAt is not null)
                .Select(b => DateTimeOffset.Parse(b.FinishedAt!, CultureInfo.InvariantCulture))
                .DefaultIfEmpty(DateTimeOffset.MinValue).Max();
            if (newest != DateTimeOffset.MinValue)
            {
                yield return new Measurement<double>(Math.Max(0, (now - newest).TotalSeconds), TagsOf(db));
            }
        }
    }

    /// <summary>Starts a new sample in the background when the last is older than <see cref="SampleEvery"/>.</summary>
    public void RefreshIfStale() => _ = Refresh(force: false);

    /// <summary>Each database's last size and connections (by database id), for the dashboard: a sample older than
    /// <see cref="SampleEvery"/>, or one that misses a database of <paramref name="expected"/>, is taken again first
    /// and waited for up to <paramref name="wait"/> (a server slow to answer leaves the readings as they were).</summary>
    public async Task<IReadOnlyDictionary<string, DatabaseReading>> ReadingsAsync(IReadOnlyCollection<string> expected, TimeSpan wait, CancellationToken token)
    {
        var known = _samples.Select(s => s.Database.Id).ToHashSet(StringComparer.Ordinal);
        try
        {
            await Refresh(force: expected.Any(id => !known.Contains(id))).WaitAsync(wait, token);
        }
        catch (TimeoutException)
        {
            // Shown as not measured; the sample goes on in the background.
        }
        return _samples.ToDictionary(s => s.Database.Id, s => new DatabaseReading(s.SizeBytes, s.Connections), StringComparer.Ordinal);
    }

    private Task Refresh(bool force)
    {
        if (!force && _clock.GetUtcNow() - _sampledAt < SampleEvery)
        {
            return Task.CompletedTask;
        }
        if (Interlocked.Exchange(ref _sampling, 1) == 1)
        {
            return _refresh;
        }
        var refresh = Task.Run(async () =>
        {
            try
            {
                // A server that stops answering must not freeze the gauges: the whole sample gets 10 s.
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                _samples = await SampleAsync(limit.Token);
                _sampledAt = _clock.GetUtcNow();
            }
            catch (Exception e)
            {
                LogSampleFailed(_logger, e);
                _sampledAt = _clock.GetUtcNow();
            }
            finally
            {
                Volatile.Write(ref _sampling, 0);
            }
        });
        _refresh = refresh;
        return refresh;
    }

    /// <summary>Reads every database's size and connections now (a server that does not answer leaves its databases' readings empty).</summary>
    private async Task<IReadOnlyList<Sample>> SampleAsync(CancellationToken token)
    {
        var samples = new List<Sample>();
        var all = _databases.ListAll();
        foreach (var server in all.Where(d => d.Type == DatabaseRecord.Postgres).GroupBy(d => d.Server))
        {
            Dictionary<string, (long Size, long Connections)> readings = [];
            try
            {
                // The managed cluster is read only while it runs: a scrape never starts it (its supervisor does).
                var target = server.Key == DatabaseRecord.Managed ? _cluster.RunningTarget : await _provisioner.TargetAsync(server.Key, token);
                if (target is null)
                {
                    samples.AddRange(server.Select(db => new Sample(db, null, null)));
                    continue;
                }
                await using var admin = await target.OpenAsync(null, token);
                await using var command = new NpgsqlCommand("""
                    select d.datname, pg_database_size(d.datname), (select count(*) from pg_stat_activity a where a.datname = d.datname)
                    from pg_database d where not d.datistemplate
                    """, admin) { CommandTimeout = 10 };
                await using var reader = await command.ExecuteReaderAsync(token);
                while (await reader.ReadAsync(token))
                {
                    readings[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
                }
            }
            catch (Exception e) when (e is NpgsqlException or UserException or TimeoutException or IOException or OperationCanceledException)
            {
                LogServerUnavailable(_logger, server.Key, e.Message);
            }
            samples.AddRange(server.Select(db => readings.TryGetValue(db.DbName, out var r)
                ? new Sample(db, r.Size, r.Connections) : new Sample(db, null, null)));
        }
        foreach (var db in all.Where(d => d.Type == DatabaseRecord.Redis))
        {
            samples.Add(await RedisSampleAsync(db, token));
        }
        return samples;
    }

    private async Task<Sample> RedisSampleAsync(DatabaseRecord db, CancellationToken token)
    {
        if (db.ParsedSettings.Port is not { } port)
        {
            return new Sample(db, null, null);
        }
        try
        {
            var reply = await RespClient.CommandsAsync(port, [["AUTH", _keyring.Decrypt(db.SecretEnc)], ["INFO"]], token);
            if (reply.Count == 2 && reply[0] == "OK" && reply[1] is { } info)
            {
                return new Sample(db, Field(info, "used_memory") ?? _redis.SizeOf(db), Field(info, "connected_clients"));
            }
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
            LogServerUnavailable(_logger, $"redis {db.BaseApp}/{db.Name}", e.Message);
        }
        return new Sample(db, null, null);
    }

    /// <summary>An integer field of an INFO reply ("connected_clients:3").</summary>
    public static long? Field(string info, string name)
    {
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(name.Length + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database metrics: {Server} did not answer ({Reason}); its databases' size and connections are left out")]
    private static partial void LogServerUnavailable(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database metrics: sampling failed")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}

/// <summary>A database's size in bytes and open connections, as last sampled; null where its server did not answer.</summary>
internal sealed record DatabaseReading(long? SizeBytes, long? Connections);
