using Dapper;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>What went to which store (schema step 19): an object is recorded only after it was read back and matched,
/// so a copy cut short is shipped again at the next round, never taken as there.</summary>
internal sealed class ShippedObjects(Store store, TimeProvider clock)
{
    public HashSet<string> Keys(string storage, string under)
    {
        using var c = store.Connections.Open();
        return c.Query<string>("select key from offsite_shipped where storage = @storage and substr(key, 1, length(@under)) = @under", new { storage, under })
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The stores that hold <paramref name="key"/>.</summary>
    public HashSet<string> Holders(string key)
    {
        using var c = store.Connections.Open();
        return c.Query<string>("select storage from offsite_shipped where key = @key", new { key }).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>When the newest object under <paramref name="under"/> was shipped, if any.</summary>
    public DateTimeOffset? Newest(string storage, string under)
    {
        using var c = store.Connections.Open();
        var at = c.QuerySingleOrDefault<string?>("select max(shipped_at) from offsite_shipped where storage = @storage and substr(key, 1, length(@under)) = @under",
            new { storage, under });
        return at is not null && UtcTime.TryParse(at, out var t) ? t : null;
    }

    public void Add(string storage, string key, long size)
    {
        using var c = store.Connections.Open();
        c.Execute("insert or replace into offsite_shipped (storage, key, size, shipped_at) values (@storage, @key, @size, @at)",
            new { storage, key, size, at = UtcTime.Format(clock.GetUtcNow()) });
    }

    public void Forget(string storage, IEnumerable<string> keys)
    {
        using var c = store.Connections.Open();
        using var tx = c.BeginTransaction();
        foreach (var key in keys)
        {
            c.Execute("delete from offsite_shipped where storage = @storage and key = @key", new { storage, key }, tx);
        }
        tx.Commit();
    }
}
