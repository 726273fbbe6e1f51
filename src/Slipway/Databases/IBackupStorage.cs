namespace Slipway.Databases;

/// <summary>Where backup files live: a local directory, and once a store is added an S3-compatible bucket too
/// (Offsite.OffsiteBackupStorage), with no change to how backups are taken or verified.</summary>
internal interface IBackupStorage
{
    /// <summary>Where the backup under <paramref name="key"/> is stored, for messages: "local directory /var/backups/slipway".</summary>
    string Describe(string key);

    /// <summary>Stores <paramref name="localFile"/> under <paramref name="key"/> (consuming the file); durable when it returns.</summary>
    Task PutAsync(string key, string localFile, CancellationToken token);

    /// <summary>Stores <paramref name="localFile"/> under <paramref name="key"/> on this machine only (consuming the file), durable
    /// when it returns: for a backup taken while an app is shut out (LiveReplacement), which must not wait for an upload. A store
    /// off the machine gets its copy later, once the backup verified (the off-site shipper copies the verified backups it lacks
    /// whose file is here, and only then applies its keep-local setting).</summary>
    Task PutHereAsync(string key, string localFile, CancellationToken token);

    /// <summary>A local file with the stored bytes: the stored file itself, or a download into <paramref name="scratchDir"/>
    /// (removed when the result is disposed).</summary>
    Task<FetchedBackup> FetchAsync(string key, string scratchDir, CancellationToken token);

    Task DeleteAsync(string key, CancellationToken token);
}

/// <summary>A backup's bytes as a local file; a temporary download is removed on dispose, a stored file stays.</summary>
internal sealed record FetchedBackup(string Path, bool Temporary) : IDisposable
{
    public void Dispose()
    {
        if (Temporary)
        {
            File.Delete(Path);
        }
    }
}
