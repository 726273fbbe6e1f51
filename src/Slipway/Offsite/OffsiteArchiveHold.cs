using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Keeps the local point-in-time archive until the default store holds it: a WAL segment is copied when its
/// name was shipped under wal/, a base backup when its "finished" was (the last object of one). Without a store nothing
/// is held.</summary>
internal sealed class OffsiteArchiveHold(OffsiteStorages storages, ShippedObjects shipped) : IArchiveHold
{
    public IReadOnlySet<string> Unshipped(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0 || storages.Default() is not { } storage)
        {
            return new HashSet<string>();
        }
        // wal/SYSID/NAME.sealed and base/SYSID/STAMP/finished.sealed: this machine's own (a restore forgets the old one's).
        var wal = shipped.Keys(storage.Name, "wal/").Select(k => k[(k.LastIndexOf('/') + 1)..^".sealed".Length]).ToHashSet(StringComparer.Ordinal);
        var bases = shipped.Keys(storage.Name, "base/").Where(k => k.EndsWith("/finished.sealed", StringComparison.Ordinal))
            .Select(k => k.Split('/')[2]).ToHashSet(StringComparer.Ordinal);
        return paths.Where(p => !(Directory.Exists(p) ? bases.Contains(Path.GetFileName(p)) : wal.Contains(Path.GetFileName(p)))).ToHashSet(StringComparer.Ordinal);
    }
}
