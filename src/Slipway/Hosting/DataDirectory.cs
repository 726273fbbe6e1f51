namespace Slipway.Hosting;

/// <summary>Owns the data directory for the life of the process: mode 0700, and an exclusive lock so two
/// platforms never run on the same state. (The API socket is ListeningSockets': one a supervisor kept must stay.)</summary>
internal sealed class DataDirectory : IDisposable
{
    private readonly FileStream _lock;

    private DataDirectory(FileStream @lock) => _lock = @lock;

    /// <param name="wait">How long another holder may keep it (a predecessor handing over); zero: refuse at once.</param>
    public static DataDirectory Acquire(string dataDir, TimeSpan wait = default)
    {
        var deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        Directory.CreateDirectory(dataDir);
        if (Directory.Exists(Path.Combine(dataDir, Offsite.PlatformRestore.StagingDir)))
        {
            throw new UserException($"{dataDir} holds {Offsite.PlatformRestore.StagingDir}: a 'slipway restore-platform' into it was stopped half-way. " +
                "Empty the directory and run restore-platform again (the store still holds everything).");
        }
        // Also when it already existed (created by `up`, or by hand): builds, logs and state are private.
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        FileStream? stream = null;
        while (stream is null)
        {
            try
            {
                // FileShare.None takes an exclusive advisory lock (flock) on Unix.
                stream = new FileStream(Path.Combine(dataDir, "slipway.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(20);
            }
            catch (IOException)
            {
                throw new UserException($"Another Slipway platform is already running on {dataDir}. Stop it with 'slipway down', or use --data for another directory.");
            }
        }
        File.WriteAllText(Path.Combine(dataDir, "slipway.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new DataDirectory(stream);
    }

    public void Dispose() => _lock.Dispose();
}
