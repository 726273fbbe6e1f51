namespace Slipway.Offsite;

/// <summary>One way to put a file into a store and get it back: sealed with the backup key on the way out (a scratch
/// file beside it, deleted after), read back and compared by <see cref="S3Bucket.PutAsync"/>, opened with the key on the
/// way in. A copy that does not open (cut short, altered, another platform's key) is a user error naming the object.</summary>
internal static class SealedObjects
{
    public static async Task PutAsync(S3Bucket bucket, string key, string plainFile, BackupKey sealWith, string scratchDir, CancellationToken token)
    {
        Directory.CreateDirectory(scratchDir);
        var sealedFile = Path.Combine(scratchDir, Guid.NewGuid().ToString("N") + ".sealed");
        try
        {
            await using (var input = File.OpenRead(plainFile))
            await using (var output = new FileStream(sealedFile, FileMode.CreateNew, FileAccess.Write))
            {
                await BackupCipher.EncryptAsync(input, output, sealWith, token);
            }
            await bucket.PutAsync(key, sealedFile, token);
        }
        finally
        {
            File.Delete(sealedFile);
        }
    }

    /// <summary>Downloads <paramref name="key"/> and opens it into <paramref name="plainFile"/> (created; deleted again
    /// when anything fails).</summary>
    public static async Task GetAsync(S3Bucket bucket, string key, string plainFile, Func<string, BackupKey?> keyFor, string scratchDir, CancellationToken token)
    {
        Directory.CreateDirectory(scratchDir);
        var sealedFile = Path.Combine(scratchDir, Guid.NewGuid().ToString("N") + ".sealed");
        try
        {
            await bucket.GetAsync(key, sealedFile, token);
            await using var input = File.OpenRead(sealedFile);
            await using var output = new FileStream(plainFile, FileMode.CreateNew, FileAccess.Write);
            await BackupCipher.DecryptAsync(input, output, keyFor, token);
        }
        catch (BackupCipherException e)
        {
            File.Delete(plainFile);
            throw new UserException($"{key} in the {bucket.Description} cannot be opened: {e.Message}.");
        }
        catch
        {
            File.Delete(plainFile);
            throw;
        }
        finally
        {
            File.Delete(sealedFile);
        }
    }
}
