using System.Diagnostics;

namespace Slipway.Tests.Support;

/// <summary>A real filesystem that really fills up: a small tmpfs mounted on a temporary directory (tests run as root,
/// here and in CI). <see cref="Fill"/> takes every free byte with a filler file, so the next write that needs a new
/// block fails with ENOSPC exactly as on a full disk; <see cref="Free"/> gives the space back. A refused mount fails the
/// test: a full-disk test that silently skipped would prove nothing.</summary>
internal sealed class SmallDisk : IDisposable
{
    private readonly string _filler;

    private SmallDisk(string dir)
    {
        Dir = dir;
        _filler = Path.Combine(dir, "filler");
    }

    public string Dir { get; }

    public static SmallDisk Mount(string purpose, string size = "1m")
    {
        var dir = TempDirs.Create(purpose);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", dir);
        if (code != 0)
        {
            TempDirs.Delete(dir);
            throw new InvalidOperationException($"Cannot mount a tmpfs for a full-disk test (run the tests as root): {output}");
        }
        return new SmallDisk(dir);
    }

    /// <summary>Writes a filler file until the disk refuses another byte.</summary>
    public void Fill()
    {
        using var filler = new FileStream(_filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true)
            {
                filler.Write(block);
            }
        }
        catch (IOException)
        {
        }
        // What is left is less than a block: take it byte by byte.
        try
        {
            while (true)
            {
                filler.Write(block.AsSpan(0, 1));
            }
        }
        catch (IOException)
        {
        }
    }

    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        var (code, output) = Run("umount", "-l", Dir);
        if (code != 0)
        {
            throw new InvalidOperationException($"Cannot unmount the test's tmpfs at {Dir}: {output}");
        }
        TempDirs.Delete(Dir);
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim());
    }
}
