using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Domains;

/// <summary>Domains and ACME settings in the platform's database (tables from schema step 8).</summary>
internal sealed class DomainStore(Store store)
{
    private SqliteConnection Open() => store.Connections.Open();

    public DomainRecord? Find(string host)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<DomainRecord>("select * from domains where host = @host", new { host });
    }

    public IReadOnlyList<DomainRecord> List()
    {
        using var c = Open();
        return c.Query<DomainRecord>("select * from domains order by host").AsList();
    }

    /// <summary>Adds a domain, or replaces its app, redirect-from names and HSTS choice, keeping its certificate
    /// state (the certificate covers the same host wherever it routes).</summary>
    public void Upsert(DomainRecord domain)
    {
        using var c = Open();
        c.Execute("""
            insert into domains (host, app, redirect_from, hsts, created_at) values (@Host, @App, @RedirectFrom, @Hsts, @CreatedAt)
            on conflict(host) do update set app = excluded.app, redirect_from = excluded.redirect_from, hsts = excluded.hsts,
                next_attempt_at = case when domains.redirect_from <> excluded.redirect_from then null else domains.next_attempt_at end,
                failures = case when domains.redirect_from <> excluded.redirect_from then 0 else domains.failures end
            """, domain);
    }

    public bool Delete(string host)
    {
        using var c = Open();
        return c.Execute("delete from domains where host = @host", new { host }) > 0;
    }

    public void RecordIssued(string host, string thumbprint, string? certId, DateTimeOffset issuedAt, DateTimeOffset notAfter, DateTimeOffset renewAt)
    {
        using var c = Open();
        c.Execute("""
            update domains set acme_thumbprint = @thumbprint, acme_cert_id = @certId, issued_at = @issuedAt, not_after = @notAfter,
                renew_at = @renewAt, ari_checked_at = null, next_attempt_at = null, failures = 0, last_error = null, last_attempt_at = @issuedAt
            where host = @host
            """, new { host, thumbprint, certId, issuedAt, notAfter, renewAt });
    }

    public void RecordFailure(string host, string error, DateTimeOffset at, DateTimeOffset nextAttemptAt)
    {
        using var c = Open();
        c.Execute("""
            update domains set failures = failures + 1, last_error = @error, last_attempt_at = @at, next_attempt_at = @nextAttemptAt
            where host = @host
            """, new { host, error, at, nextAttemptAt });
    }

    /// <summary>The CA's renewal window was read: renew at <paramref name="renewAt"/> (earlier than planned, or the same).</summary>
    public void RecordRenewalInfo(string host, DateTimeOffset checkedAt, DateTimeOffset renewAt)
    {
        using var c = Open();
        c.Execute("update domains set ari_checked_at = @checkedAt, renew_at = @renewAt where host = @host", new { host, checkedAt, renewAt });
    }

    /// <summary>`domains renew`: the next round orders a new certificate (renewal time and backoff cleared to now).</summary>
    public void RenewNow(string host, DateTimeOffset now)
    {
        using var c = Open();
        c.Execute("update domains set renew_at = @now, next_attempt_at = null, failures = 0 where host = @host", new { host, now });
    }

    /// <summary>Another CA or account now: every certificate the old one issued is replaced at the next round (without
    /// `replaces`, which names a certificate of the old CA).</summary>
    public void ReissueAll()
    {
        using var c = Open();
        c.Execute("update domains set renew_at = issued_at, acme_cert_id = null, next_attempt_at = null, failures = 0 where issued_at is not null");
    }

    /// <summary>Certificates of destroyed environments' domains, still to delete (host, thumbprint).</summary>
    public IReadOnlyList<(string Host, string Thumbprint)> CertificatesToRemove()
    {
        using var c = Open();
        return c.Query<(string, string)>("select host, thumbprint from certificates_to_remove").ToList();
    }

    public void CertificateRemoved(string host, string thumbprint)
    {
        using var c = Open();
        c.Execute("delete from certificates_to_remove where host = @host and thumbprint = @thumbprint", new { host, thumbprint });
    }

    /// <summary>Asks for an attempt now (domains add again, a manual certificate removed): clears the backoff.</summary>
    public void ClearBackoff(string host)
    {
        using var c = Open();
        c.Execute("update domains set next_attempt_at = null where host = @host", new { host });
    }

    // ---- ACME settings: plain values, and sealed ones (account key, EAB HMAC key) as the Keyring's ciphertext.

    public string? Setting(string key)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<string>("select value from acme_settings where key = @key", new { key });
    }

    public void SetSettings(IReadOnlyDictionary<string, string?> values)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var (key, value) in values)
        {
            if (value is null)
            {
                c.Execute("delete from acme_settings where key = @key", new { key }, tx);
            }
            else
            {
                c.Execute("insert into acme_settings (key, value) values (@key, @value) on conflict(key) do update set value = excluded.value",
                    new { key, value }, tx);
            }
        }
        tx.Commit();
    }
}
