namespace Slipway.Databases;

/// <summary>Backups as files under one directory (default DATA/backups, private to the platform's user).</summary>
internal sealed class LocalBackupStorage(string root) : IBackupStorage
{
    public string Description => $"local directory {root}";

    public string Describe(string key) => Description;

    public async Task PutAsync(string key, string localFile, CancellationToken token)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // fsync the bytes, then an atomic rename: a crash leaves the backup whole or absent, never truncated.
        await using (var file = new FileStream(localFile, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Flush(flushToDisk: true);
        }
        File.Move(localFile, path, overwrite: true);
    }

    public Task PutHereAsync(string key, string localFile, CancellationToken token) => PutAsync(key, localFile, token);

    public Task<FetchedBackup> FetchAsync(string key, string scratchDir, CancellationToken token)
    {
        var path = PathOf(key);
        return File.Exists(path) ? Task.FromResult(new FetchedBackup(path, Temporary: false))
            : throw new UserException($"The backup file {path} is missing from the {Description}.");
    }

    public Task DeleteAsync(string key, CancellationToken token)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    /// <summary>The path of a key (tests corrupt a stored file through it).</summary>
    public string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key));
        return path.StartsWith(Path.GetFullPath(root) + "/", StringComparison.Ordinal) ? path : throw new ArgumentException("backup key outside the storage", nameof(key));
    }
}
