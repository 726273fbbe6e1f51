namespace Slipway.Edge.Tls;

/// <summary>Writes a certificate pair the way ACME clients do, so that a reader never sees half a file: each
/// file goes to a temp name in the same directory and is renamed over the old one. The key is created 0600
/// and the directory 0700 from the start (never readable by others, not even for a moment).</summary>
internal static class CertificateFiles
{
    public const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode PrivateDir = Private | UnixFileMode.UserExecute;

    public static void Write(string directory, string certPem, string keyPem)
    {
        Directory.CreateDirectory(directory, PrivateDir);
        // Key first: a reader that sees the new key with the old certificate reports a mismatch and keeps
        // serving the last good pair until the certificate lands a moment later.
        WriteAtomically(Path.Combine(directory, PemCertificates.KeyFile), keyPem, Private);
        WriteAtomically(Path.Combine(directory, PemCertificates.ChainFile), certPem, Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>One file, written to a temp name beside it and renamed over the old one, created with <paramref name="mode"/>.</summary>
    public static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(content);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
