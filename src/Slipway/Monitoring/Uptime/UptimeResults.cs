using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Monitoring.Uptime;

/// <summary>Every check's raw results in their own SQLite file, DATA/uptime.db, as <see cref="MetricsHistory"/> keeps
/// DATA/metrics.db: not the platform's state (incidents are, and availability comes from them), so a busy check never
/// writes to the state's database and the file is bounded on its own: <see cref="UptimeOptions.ResultsKept"/> and
/// <see cref="UptimeOptions.ResultsMaxBytes"/>, past either the oldest results go. A damaged file is moved aside.</summary>
internal sealed partial class UptimeResults
{
    private readonly SqliteConnectionFactory _db;
    private readonly UptimeOptions _options;

    public UptimeResults(UptimeOptions options, TimeProvider clock, ILogger<UptimeResults> logger)
    {
        _options = options;
        var path = Path.Combine(options.DataDir, "uptime.db");
        _db = SideDatabase.Open(path, Create, clock.GetUtcNow(), (file, aside, e) => LogDamaged(logger, file, aside, e));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Uptime results {Path} could not be opened; moved to {Aside}, starting a new one")]
    private static partial void LogDamaged(ILogger logger, string path, string aside, Exception exception);

    private static SqliteConnectionFactory Create(string path)
    {
        var db = new SqliteConnectionFactory(path);
        using var c = db.Open();
        c.Execute("""
            pragma auto_vacuum = incremental;
            create table if not exists results (
                check_id text not null,
                at integer not null,
                ok integer not null,
                status integer,
                ms real not null,
                error text,
                primary key (check_id, at)
            ) without rowid;
            create index if not exists results_at on results(at);
            """);
        c.ExecuteScalar<long>("select count(*) from results where at < 0");
        return db;
    }

    public void Add(string checkId, UptimeResult result)
    {
        using var c = _db.Open();
        c.Execute("insert or replace into results (check_id, at, ok, status, ms, error) values (@checkId, @at, @ok, @Status, @Milliseconds, @Error)",
            new { checkId, at = result.At.ToUnixTimeMilliseconds(), ok = result.Ok ? 1 : 0, result.Status, result.Milliseconds, result.Error });
    }

    /// <summary>The check's latest <paramref name="count"/> results, oldest first.</summary>
    public IReadOnlyList<UptimeResult> Latest(string checkId, int count)
    {
        using var c = _db.Open();
        return c.Query<Row>("select at, ok, status, ms, error from results where check_id = @checkId order by at desc limit @count", new { checkId, count })
            .Select(r => r.Result).Reverse().ToList();
    }

    /// <summary>The latest result of every check that has one.</summary>
    public IReadOnlyDictionary<string, UptimeResult> LatestOfEach()
    {
        using var c = _db.Open();
        return c.Query<(string CheckId, long At, long Ok, long? Status, double Ms, string? Error)>("""
            select r.check_id, r.at, r.ok, r.status, r.ms, r.error from results r
            join (select check_id, max(at) as at from results group by check_id) m on m.check_id = r.check_id and m.at = r.at
            """).ToDictionary(r => r.CheckId, r => new Row(r.At, r.Ok, r.Status, r.Ms, r.Error).Result, StringComparer.Ordinal);
    }

    /// <summary>Results of checks that no longer exist, and results past the age or size cap, go.</summary>
    public void Prune(DateTimeOffset now, IReadOnlyCollection<string> checkIds)
    {
        using var c = _db.Open();
        c.Execute("delete from results where at < @oldest", new { oldest = (now - _options.ResultsKept).ToUnixTimeMilliseconds() });
        var stored = c.Query<string>("select distinct check_id from results").AsList();
        foreach (var gone in stored.Except(checkIds, StringComparer.Ordinal))
        {
            c.Execute("delete from results where check_id = @gone", new { gone });
        }
        for (var round = 0; round < 10 && Bytes(c) > _options.ResultsMaxBytes; round++)
        {
            var (first, last) = c.QuerySingle<(long?, long?)>("select min(at), max(at) from results");
            if (first is null)
            {
                break;
            }
            c.Execute("delete from results where at < @cut", new { cut = first.Value + Math.Max(1, (last!.Value - first.Value) / 10) });
            c.Execute("pragma incremental_vacuum");
        }
    }

    private static long Bytes(SqliteConnection c) =>
        c.ExecuteScalar<long>("select page_count * page_size from pragma_page_count(), pragma_page_size()")
        - c.ExecuteScalar<long>("select freelist_count * page_size from pragma_freelist_count(), pragma_page_size()");

    private sealed record Row(long At, long Ok, long? Status, double Ms, string? Error)
    {
        public UptimeResult Result => new(DateTimeOffset.FromUnixTimeMilliseconds(At), Ok != 0, (int?)Status, Ms, Error);
    }
}
