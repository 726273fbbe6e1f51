using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Alert channels and their deliveries in the platform's database (tables from schema step 12). A channel's
/// URL, signing secret and SMTP password are sealed under the master key (<see cref="Keyring"/>) and re-sealed by key
/// rotation (<see cref="ChannelRows"/>); only the masked destination, the recipients and the filters are in the clear.
/// Deliveries hold the notice as JSON (a notice holds no secret).</summary>
internal sealed class ChannelStore(Store store, Keyring keyring)
{
    public static readonly JsonSerializerOptions Json = JsonSpellings.Web();
    private static readonly string Pending = JsonSpellings.Of(DeliveryState.Pending);
    private static readonly string Sent = JsonSpellings.Of(DeliveryState.Sent);
    private static readonly string Failed = JsonSpellings.Of(DeliveryState.Failed);
    private static readonly string Suppressed = JsonSpellings.Of(DeliveryState.Suppressed);

    private SqliteConnection Open() => store.Connections.Open();

    public IReadOnlyList<ChannelRecord> List()
    {
        using var c = Open();
        return c.Query<ChannelRecord>("select * from alert_channels order by name").AsList();
    }

    public ChannelRecord? Find(string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<ChannelRecord>("select * from alert_channels where name = @name", new { name });
    }

    public ChannelRecord Insert(ChannelSpec spec, DateTimeOffset now)
    {
        if (Find(spec.Name) is { } existing)
        {
            throw new UserException($"There is already a channel named {spec.Name} ({JsonSpellings.Of(existing.ChannelKind)} {existing.Destination}). " +
                $"Pick another name, or remove it first: slipway channels rm {spec.Name}.", 409);
        }
        var secrets = new ChannelSecrets(spec.Url.OriginalString, spec.SigningSecret, spec.SmtpPassword);
        var record = new ChannelRecord(Ids.New("ch"), spec.Name, JsonSpellings.Of(spec.Kind), spec.Destination, JsonSerializer.Serialize(spec.Recipients),
            spec.From, keyring.Encrypt(JsonSerializer.Serialize(secrets, Json)), JsonSpellings.Of(spec.MinSeverity), JsonSerializer.Serialize(spec.Apps), now,
            JsonSpellings.Of(ChannelState.Up), 0, 0, 0, null, null, null);
        using var c = Open();
        c.Execute("""
            insert into alert_channels (id, name, kind, destination, recipients, sender, secrets_enc, min_severity, apps, created_at)
            values (@Id, @Name, @Kind, @Destination, @Recipients, @Sender, @SecretsEnc, @MinSeverity, @Apps, @CreatedAt)
            """, record);
        return record;
    }

    /// <summary>Deletes the channel; its pending deliveries are failed (their history stays).</summary>
    public bool Delete(ChannelRecord record, DateTimeOffset now)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var deleted = c.Execute("delete from alert_channels where id = @Id", record, tx) > 0;
        c.Execute("update alert_deliveries set state = @Failed, error = @error, next_attempt_at = @now where channel = @Name and state = @Pending",
            new { Failed, Pending, record.Name, now, error = "the channel was removed before this was sent" }, tx);
        tx.Commit();
        return deleted;
    }

    public ChannelSecrets Unseal(ChannelRecord record) =>
        JsonSerializer.Deserialize<ChannelSecrets>(keyring.Decrypt(record.SecretsEnc), Json) ?? throw new FormatException("empty channel secrets");

    /// <summary>Queues <paramref name="notice"/> for each of <paramref name="channels"/> (a delivery already there for
    /// the notice and channel is left alone) and records one failed delivery for each of <paramref name="missing"/>.
    /// Over a channel's rate limit (not for test notices, nor for a resolved notice whose firing notice the channel
    /// got) the delivery is suppressed. Returns the channels that got a
    /// pending delivery.</summary>
    public IReadOnlyList<string> Enqueue(AlertNotice notice, IReadOnlyList<string> channels, IReadOnlyList<string> missing, DateTimeOffset now, int limit,
        TimeSpan window)
    {
        var json = JsonSerializer.Serialize(notice, Json);
        var kind = JsonSpellings.Of(notice.Kind);
        var queued = new List<string>();
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var channel in channels)
        {
            // A resolved notice is never suppressed where its firing notice went (or is going): a receiver that was told
            // an alert fired must be told it ended, or its incident stays open for ever.
            var over = notice.Kind != NoticeKind.Test && Used(c, tx, channel, now - window) >= limit &&
                !(notice.Kind == NoticeKind.Resolved && c.ExecuteScalar<long>("""
                    select count(*) from alert_deliveries
                    where alert_id = @AlertId and channel = @channel and kind = 'firing' and state in ('sent', 'pending')
                    """, new { notice.AlertId, channel }, tx) > 0);
            var row = new
            {
                notice.Id, notice.AlertId, kind, channel, state = over ? Suppressed : Pending, now, json,
                error = over ? $"over the channel's rate limit ({limit} notices per {Durations.Format(window)}); counted in a summary message" : null,
            };
            if (c.Execute("""
                insert or ignore into alert_deliveries (notice_id, alert_id, kind, channel, state, created_at, next_attempt_at, error, notice)
                values (@Id, @AlertId, @kind, @channel, @state, @now, @now, @error, @json)
                """, row, tx) == 0)
            {
                continue;
            }
            if (over)
            {
                c.Execute("update alert_channels set suppressed = suppressed + 1 where name = @channel", new { channel }, tx);
            }
            else
            {
                queued.Add(channel);
            }
        }
        foreach (var channel in missing)
        {
            c.Execute("""
                insert or ignore into alert_deliveries (notice_id, alert_id, kind, channel, state, created_at, next_attempt_at, error, notice)
                values (@Id, @AlertId, @kind, @channel, @Failed, @now, @now, @error, @json)
                """, new { notice.Id, notice.AlertId, kind, channel, Failed, now, json,
                    error = $"there is no channel named {channel}; add it with 'slipway channels add {channel} ...' or change the rule's channels" }, tx);
        }
        tx.Commit();
        return queued;
    }

    /// <summary>The channel's oldest pending delivery (its sender sends in this order), or null.</summary>
    public DeliveryRecord? NextPending(string channel)
    {
        using var c = Open();
        return c.QueryFirstOrDefault<DeliveryRecord>("select * from alert_deliveries where channel = @channel and state = @Pending order by id limit 1",
            new { channel, Pending });
    }

    /// <summary>When suppressed notices wait for a summary: queues one summary delivery for them if the window has room
    /// now (true), else says when it will (the oldest counted delivery leaves the window). Null: nothing waits.</summary>
    public (bool Queued, DateTimeOffset? RoomAt) Summarize(string channel, DateTimeOffset now, int limit, TimeSpan window)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var waiting = c.Query<DeliveryRecord>("select * from alert_deliveries where channel = @channel and state = @Suppressed and summarized = 0 order by id",
            new { channel, Suppressed }, tx).AsList();
        if (waiting.Count == 0)
        {
            return (false, null);
        }
        var since = now - window;
        var used = Used(c, tx, channel, since);
        if (used >= limit)
        {
            var oldest = c.Query<DateTimeOffset>($"""
                select created_at from alert_deliveries where channel = @channel and {Counted} and created_at >= @since
                order by created_at limit 1 offset @skip
                """, new { channel, Suppressed, since, skip = used - limit }, tx).FirstOrDefault(now);
            return (false, oldest + window);
        }
        var titles = waiting.Select(d => JsonSerializer.Deserialize<AlertNotice>(d.Notice, Json)!).Select(n => $"[{JsonSpellings.Of(n.Kind).ToUpperInvariant()}] {n.Title}");
        var summary = new SuppressedSummary(waiting.Count, waiting[0].CreatedAt, waiting[^1].CreatedAt, titles.Take(5).ToList(), limit, window);
        c.Execute("""
            insert into alert_deliveries (notice_id, alert_id, kind, channel, state, created_at, next_attempt_at, notice)
            values (@id, '', @kind, @channel, @Pending, @now, @now, @json)
            """, new { id = Ids.New("sum"), kind = DeliveryRecord.SummaryKind, channel, Pending, now, json = JsonSerializer.Serialize(summary, Json) }, tx);
        c.Execute("update alert_deliveries set summarized = 1 where id in @ids", new { ids = waiting.Select(w => w.Id) }, tx);
        tx.Commit();
        return (true, null);
    }

    /// <summary>Sent: the delivery, and the channel up again (true when it was failing).</summary>
    public bool MarkSent(DeliveryRecord delivery, DateTimeOffset now)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("update alert_deliveries set state = @Sent, attempts = attempts + 1, sent_at = @now, error = null where id = @Id",
            new { Sent, now, delivery.Id }, tx);
        var recovered = c.Execute("update alert_channels set state = 'up' where name = @Channel and state = 'failing'", new { delivery.Channel }, tx) > 0;
        c.Execute("update alert_channels set delivered = delivered + 1, last_delivered_at = @now where name = @Channel", new { delivery.Channel, now }, tx);
        tx.Commit();
        return recovered;
    }

    /// <summary>An attempt failed: tried again at <paramref name="next"/>, or (null) recorded as failed. The channel is
    /// failing (true when it was up).</summary>
    public bool MarkAttemptFailed(DeliveryRecord delivery, string error, DateTimeOffset now, DateTimeOffset? next)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("update alert_deliveries set state = @state, attempts = attempts + 1, error = @error, next_attempt_at = @at where id = @Id",
            new { state = next is null ? Failed : Pending, error, at = next ?? now, delivery.Id }, tx);
        var failing = c.Execute("update alert_channels set state = 'failing' where name = @Channel and state = 'up'", new { delivery.Channel }, tx) > 0;
        c.Execute($"update alert_channels set last_error = @error, last_error_at = @now{(next is null ? ", failed = failed + 1" : "")} where name = @Channel",
            new { delivery.Channel, error, now }, tx);
        tx.Commit();
        return failing;
    }

    /// <summary>Failed without another attempt (out of time).</summary>
    public void MarkExpired(DeliveryRecord delivery, string error)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("update alert_deliveries set state = @Failed, error = @error where id = @Id", new { Failed, error, delivery.Id }, tx);
        c.Execute("update alert_channels set failed = failed + 1 where name = @Channel", new { delivery.Channel }, tx);
        tx.Commit();
    }

    /// <summary>Pending deliveries per channel name.</summary>
    public Dictionary<string, int> PendingCounts()
    {
        using var c = Open();
        return c.Query<(string Channel, int Count)>("select channel, count(*) from alert_deliveries where state = @Pending group by channel", new { Pending })
            .ToDictionary(r => r.Channel, r => r.Count, StringComparer.Ordinal);
    }

    public IReadOnlyList<DeliveryRecord> Deliveries(string alertId)
    {
        using var c = Open();
        return c.Query<DeliveryRecord>("select * from alert_deliveries where alert_id = @alertId order by id", new { alertId }).AsList();
    }

    /// <summary>Deletes deliveries queued before <paramref name="before"/> that are done (sent, failed, or suppressed and
    /// summarized).</summary>
    public int Prune(DateTimeOffset before)
    {
        using var c = Open();
        return c.Execute("delete from alert_deliveries where created_at < @before and state <> @Pending and not (state = @Suppressed and summarized = 0)",
            new { before, Pending, Suppressed });
    }

    // What the rate limit counts: every delivery that was or will be sent (summaries too), but test notices.
    private const string Counted = "kind <> 'test' and state <> @Suppressed";

    private static int Used(SqliteConnection c, SqliteTransaction tx, string channel, DateTimeOffset since) =>
        c.ExecuteScalar<int>($"select count(*) from alert_deliveries where channel = @channel and {Counted} and created_at >= @since",
            new { channel, Suppressed, since }, tx);
}
