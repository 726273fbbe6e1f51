namespace Slipway.Offsite;

/// <summary>The backup key of this platform: DATA/backup.key (mode 0600), made the first time something is sealed for
/// off-site storage or the key is exported. Apart from the master key on purpose: the platform's own backup carries
/// the master key sealed under this one, so a new machine needs only this key (and the store's) to read everything.</summary>
internal sealed class BackupKeyring(string dataDir)
{
    private readonly object _gate = new();
    private BackupKey? _current;

    public string KeyPath => Path.Combine(dataDir, "backup.key");

    /// <summary>The key new off-site copies are sealed with (made now if there is none).</summary>
    public BackupKey Current
    {
        get
        {
            lock (_gate)
            {
                if (_current is null)
                {
                    if (!File.Exists(KeyPath))
                    {
                        Write(BackupKey.New());
                    }
                    _current = BackupKey.Parse(File.ReadAllText(KeyPath));
                }
                return _current;
            }
        }
    }

    /// <summary>The key with <paramref name="id"/>, if it is this platform's.</summary>
    public BackupKey? Find(string id) => Current.Id == id ? Current : null;

    /// <summary>Takes a key given back on a new machine (restore-platform) as this platform's: refused when another
    /// key is already in use here, since copies sealed with it would be lost.</summary>
    public void Import(BackupKey key)
    {
        lock (_gate)
        {
            if (File.Exists(KeyPath) && BackupKey.Parse(File.ReadAllText(KeyPath)) is { } existing && existing.Id != key.Id)
            {
                throw new UserException($"This platform already has backup key {existing.Id}; {KeyPath} would be replaced by {key.Id}. " +
                    "Restore onto a fresh data directory.");
            }
            Write(key);
            _current = key;
        }
    }

    private void Write(BackupKey key)
    {
        Directory.CreateDirectory(dataDir);
        PrivateFile.Write(KeyPath, stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(key.Export() + "\n")));
    }
}
