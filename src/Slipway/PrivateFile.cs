namespace Slipway;

/// <summary>A file only its owner reads (mode 0600 from its creation, never a moment wider), written whole or not at
/// all: a temporary beside it, flushed to disk, renamed over it. Keys and logins.</summary>
internal static class PrivateFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var temp = path + ".tmp";
        File.Delete(temp);
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
