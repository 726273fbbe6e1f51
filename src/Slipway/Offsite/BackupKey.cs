using System.Security.Cryptography;

namespace Slipway.Offsite;

/// <summary>The key that seals what leaves the machine, apart from the master key (which it carries, sealed, in the
/// platform's own backup): losing the machine loses the master key, so the backup key is printed once for safekeeping
/// (`slipway keys export-backup-key`) and given back on a new machine. Its id is the first 8 hex digits of its SHA-256.</summary>
internal sealed record BackupKey(string Id, byte[] Bytes)
{
    public static BackupKey Of(byte[] bytes) =>
        bytes.Length == 32 ? new(Convert.ToHexStringLower(SHA256.HashData(bytes))[..8], bytes) : throw new ArgumentException("a backup key is 32 bytes", nameof(bytes));

    public static BackupKey New() => Of(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key as `export-backup-key` prints it and `restore-platform` reads it: "slwbk1-" and base64url.</summary>
    public string Export() => "slwbk1-" + Convert.ToBase64String(Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static BackupKey Parse(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("slwbk1-", StringComparison.Ordinal))
        {
            throw new UserException("That is not a Slipway backup key: it starts with slwbk1- (as 'slipway keys export-backup-key' prints it).");
        }
        var body = trimmed["slwbk1-".Length..].Replace('-', '+').Replace('_', '/');
        body = body.PadRight(body.Length + (4 - body.Length % 4) % 4, '=');
        try
        {
            var bytes = Convert.FromBase64String(body);
            return bytes.Length == 32 ? Of(bytes) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new UserException("That backup key is damaged (it is not 32 bytes of base64url after slwbk1-): copy it again from where you kept it.");
        }
    }
}
