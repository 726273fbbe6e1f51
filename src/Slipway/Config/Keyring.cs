using System.Security.Cryptography;
using System.Text;

namespace Slipway.Config;

/// <summary>Encrypts config values at rest with AES-256-GCM under the platform's master key.
///
/// The key comes from $SLIPWAY_MASTER_KEY (base64, 32 bytes) or DATA/master.key (mode 0600, created on first
/// start). Every ciphertext names the key that made it ("v1.KEYID.DATA"), so during a rotation the old and
/// the new key are both loaded and a crash half-way loses nothing. Apps never see either key: their
/// environment is built from scratch (Deploy/RuntimeEnvironment).</summary>
internal sealed class Keyring
{
    public const string EnvironmentVariable = "SLIPWAY_MASTER_KEY";
    private const string Prefix = "v1.";
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public Keyring(string dataDir)
    {
        KeyPath = Path.Combine(dataDir, "master.key");
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            Current = Add(Parse(fromEnv, "$" + EnvironmentVariable));
            FromEnvironment = true;
        }
        else
        {
            if (!File.Exists(KeyPath))
            {
                WriteKeyFile(KeyPath, RandomNumberGenerator.GetBytes(32));
            }
            Current = Add(Parse(File.ReadAllText(KeyPath), KeyPath));
        }
        if (File.Exists(NextKeyPath))
        {
            // A rotation was interrupted: both keys decrypt, the newer one encrypts, and start-up finishes the
            // rotation (ConfigVars.FinishInterruptedRotation) before anything else is written.
            Current = Add(Parse(File.ReadAllText(NextKeyPath), NextKeyPath));
            RotationPending = true;
        }
    }

    public string KeyPath { get; }
    public string NextKeyPath => KeyPath + ".next";
    public bool FromEnvironment { get; }
    public bool RotationPending { get; private set; }

    /// <summary>Id of the key new values are encrypted with.</summary>
    public string Current { get; private set; }

    public string Encrypt(string plaintext)
    {
        var key = _keys[Current];
        var nonce = RandomNumberGenerator.GetBytes(12);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var sealedData = new byte[12 + 16 + data.Length];
        nonce.CopyTo(sealedData, 0);
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, data, sealedData.AsSpan(28), sealedData.AsSpan(12, 16), Encoding.ASCII.GetBytes(Current));
        return Prefix + Current + "." + Convert.ToBase64String(sealedData);
    }

    public string Decrypt(string ciphertext)
    {
        var parts = ciphertext.Split('.', 3);
        if (parts.Length != 3 || parts[0] + "." != Prefix)
        {
            throw new InvalidOperationException("not a Slipway ciphertext");
        }
        if (!_keys.TryGetValue(parts[1], out var key))
        {
            throw new UserException($"Config was encrypted with master key {parts[1]}, which this platform does not have. " +
                $"Start it with that key (in {KeyPath} or ${EnvironmentVariable}).");
        }
        var sealedData = Convert.FromBase64String(parts[2]);
        var plain = new byte[sealedData.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(sealedData.AsSpan(0, 12), sealedData.AsSpan(28), sealedData.AsSpan(12, 16), plain, Encoding.ASCII.GetBytes(parts[1]));
        return Encoding.UTF8.GetString(plain);
    }

    public static bool IsCiphertext(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>A keyed hash of a config, to compare two configs without decrypting or revealing them.</summary>
    public string Fingerprint(string plaintext)
    {
        var subkey = HMACSHA256.HashData(_keys[Current], "slipway config fingerprint"u8);
        return Convert.ToHexStringLower(HMACSHA256.HashData(subkey, Encoding.UTF8.GetBytes(plaintext)))[..32];
    }

    /// <summary>The master key itself (base64), for the platform's off-site backup, which carries it sealed under the backup
    /// key. Refused while a rotation is unfinished: a copy must open everything it holds with one key.</summary>
    public string ExportForBackup() => RotationPending
        ? throw new UserException("A master key rotation is unfinished; the platform's backup waits until 'slipway keys rotate' completes it.", 409)
        : Convert.ToBase64String(_keys[Current]);

    /// <summary>Rotation, step 1: a new key next to the current one (both decrypt from now on).</summary>
    public void BeginRotation()
    {
        if (FromEnvironment)
        {
            throw new UserException($"The master key comes from ${EnvironmentVariable}, which Slipway cannot change. " +
                $"To rotate: unset it, put the same key in {KeyPath} (mode 0600), restart, then run 'slipway keys rotate'.");
        }
        var key = RandomNumberGenerator.GetBytes(32);
        WriteKeyFile(NextKeyPath, key);
        Current = Add(key);
        RotationPending = true;
    }

    /// <summary>Rotation, step 3 (after every value was re-encrypted): the new key replaces the old.</summary>
    public void CompleteRotation()
    {
        File.Move(NextKeyPath, KeyPath, overwrite: true);
        RotationPending = false;
    }

    private string Add(byte[] key)
    {
        var id = Convert.ToHexStringLower(SHA256.HashData(key))[..8];
        _keys[id] = key;
        return id;
    }

    private static byte[] Parse(string text, string where)
    {
        try
        {
            var key = Convert.FromBase64String(text.Trim());
            if (key.Length == 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }
        throw new UserException($"The master key in {where} is not 32 bytes of base64. Restore the right key (config cannot be read without it).");
    }

    private static void WriteKeyFile(string path, byte[] key) =>
        PrivateFile.Write(path, stream => stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n")));
}
