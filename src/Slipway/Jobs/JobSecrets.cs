using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Secrets the platform generates for each environment (app row): CRON_SECRET (sent by cron jobs,
/// so a handler can reject outside callers), the messages API token and the key messages are signed with.
///
/// They live in config_vars under a scope of their own ("@platform:ENV"), so they are encrypted at rest and
/// re-encrypted by key rotation like every config value, but never show up in `env ls` or `env pull`. A value
/// that cannot be decrypted (written during a key rotation) is replaced: these secrets are generated, not
/// chosen, and the next instance start hands out the new one.</summary>
internal sealed class JobSecrets(Store store, Keyring keyring, SecretRedactor redactor)
{
    public const string CronSecret = "CRON_SECRET";
    public const string MessagesToken = "SLIPWAY_MESSAGES_TOKEN";
    public const string SigningKey = "SLIPWAY_MESSAGES_SIGNING_KEY";

    private static readonly string[] Names = [CronSecret, MessagesToken, SigningKey];

    private readonly ConcurrentDictionary<string, string> _appByTokenHash = new();
    private readonly ConcurrentDictionary<string, string> _tokenHashOfApp = new(StringComparer.Ordinal);
    private readonly Lock _generate = new();

    public static string Scope(string env) => "@platform:" + env;

    /// <summary>The environment's generated secrets, created on first use.</summary>
    public IReadOnlyDictionary<string, string> For(string appKey)
    {
        // Read every time (a few rows): an environment destroyed and created again gets new secrets, never
        // stale ones from memory.
        lock (_generate)
        {
            var (app, env) = store.RefOf(appKey);
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var stored in store.ListConfig(app, Scope(env)))
            {
                try
                {
                    values[stored.Name] = keyring.Decrypt(stored.ValueEnc);
                }
                catch (CryptographicException)
                {
                    // Replaced below.
                }
            }
            var missing = Names.Where(name => !values.ContainsKey(name)).ToList();
            foreach (var name in missing)
            {
                values[name] = Generate(name);
            }
            if (missing.Count > 0)
            {
                store.ChangeConfig(app, Scope(env), missing.Select(name => (name, keyring.Encrypt(values[name]), true)), []);
            }
            redactor.Register(appKey, values.Select(kv => (kv.Key, kv.Value)));
            var hash = Hash(values[MessagesToken]);
            _appByTokenHash[hash] = appKey;
            _tokenHashOfApp[appKey] = hash;
            return values;
        }
    }

    /// <summary>The app row a messages API token belongs to, or null.</summary>
    public string? AppOfToken(string token)
    {
        var hash = Hash(token);
        if (!_appByTokenHash.ContainsKey(hash))
        {
            // Only environments not seen yet are read: a guessed token costs one query, not a decryption of
            // every app's secrets, and the map is never emptied under a request with a valid token.
            foreach (var record in store.ListApps().Where(a => !_tokenHashOfApp.ContainsKey(a.Name)))
            {
                For(record.Name);
            }
        }
        // Still the environment's token (not one of an environment since destroyed)?
        return _appByTokenHash.TryGetValue(hash, out var app) && store.FindApp(app) is not null && Hash(For(app)[MessagesToken]) == hash
            ? app
            : null;
    }

    private static string Generate(string name) =>
        (name == MessagesToken ? "slpm_" : "") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    // Lookups go by a hash of the token, so no comparison leaks how much of a guessed token was right.
    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
