using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>An <see cref="OffsiteBackupStorage"/> over a fresh data directory, with the parts tests look into.</summary>
internal sealed record OffsiteBed(string Data, Store State, OffsiteStorages Storages, LocalBackupStorage Local, ShippedObjects Shipped, OffsiteHealth Health,
    OffsiteBackupStorage Storage)
{
    public static OffsiteBed Create(string purpose)
    {
        var data = TempDirs.Create(purpose);
        var state = new Store(Path.Combine(data, "slipway.db"), TimeProvider.System);
        var storages = new OffsiteStorages(state, new Keyring(data), TimeProvider.System);
        var local = new LocalBackupStorage(Path.Combine(data, "backups", "files"));
        var shipped = new ShippedObjects(state, TimeProvider.System);
        var health = new OffsiteHealth(state, storages, TimeProvider.System, NullLogger<OffsiteHealth>.Instance);
        return new OffsiteBed(data, state, storages, local, shipped, health, new OffsiteBackupStorage(local, storages, new BackupKeyring(data), shipped, health));
    }
}
