using Dapper;
using Microsoft.Extensions.Hosting;
using Slipway.State;

namespace Slipway.Access;

/// <summary>Every state change and every refused attempt, with who, when, from which address and through which
/// client. Kept <see cref="AccessOptions.AuditRetention"/> (a year by default), pruned daily.</summary>
internal sealed class AuditLog(Store store, TimeProvider clock, AccessOptions options) : BackgroundService
{
    public const string Allowed = "ok";
    public const string Denied = "denied";
    public const string Failed = "failed";

    public void Record(string actor, string? address, string? client, string action, AppRef? target, string? detail, string outcome)
    {
        using var c = store.Connections.Open();
        c.Execute("""
            insert into audit (at, actor, address, client, action, app, env, detail, outcome)
            values (@at, @actor, @address, @client, @action, @app, @env, @detail, @outcome)
            """, new { at = clock.GetUtcNow(), actor = Clip(actor), address = Clip(address), client = Clip(client), action = Clip(action), app = target?.App, env = target?.Env, detail = Clip(detail), outcome });
    }

    /// <summary>Newest first; <paramref name="apps"/> limits the lines to those apps (and leaves out platform-wide
    /// lines) for a principal that sees only some apps.</summary>
    public IReadOnlyList<AuditEntry> List(string? app, DateTimeOffset? since, int limit, IReadOnlySet<string>? apps = null)
    {
        using var c = store.Connections.Open();
        var rows = c.Query<AuditEntry>("""
            select * from audit
            where (@app is null or app = @app) and (@since is null or at >= @since)
            order by id desc limit @limit
            """, new { app, since, limit = apps is null ? limit : limit * 4 }).AsList();
        return apps is null ? rows : rows.Where(r => r.App is not null && apps.Contains(r.App)).Take(limit).ToList();
    }

    public int Prune()
    {
        using var c = store.Connections.Open();
        return c.Execute("delete from audit where at < @before", new { before = clock.GetUtcNow() - options.AuditRetention });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(24), clock);
        do
        {
            Prune();
        }
        while (await Wait(timer, stoppingToken));
    }

    private static async Task<bool> Wait(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>User agents and details are the client's words: a line holds at most 300 characters of them.</summary>
    private static string? Clip(string? text) => text is { Length: > 300 } ? text[..300] + "…" : text;
}
