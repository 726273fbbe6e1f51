using System.Net.Mail;
using Slipway.Config;

namespace Slipway.Domains;

/// <summary>The persisted ACME settings (`slipway acme set`, or `server --acme-directory/--acme-email`) and the
/// account this platform holds with the CA. Secrets (the account key, the EAB HMAC key) are sealed with the master
/// key and never returned by the API. Changing the directory or the EAB credentials forgets the account (the next
/// issuance registers a new one with the new CA) and has every certificate of the old one replaced (staging
/// certificates do not linger after a switch to production).</summary>
internal sealed class AcmeConfiguration(DomainStore store, Keyring keyring)
{
    private readonly Lock _gate = new();

    public AcmeSettings Current => new(
        store.Setting(AcmeSettings.DirectoryKey) ?? AcmeSettings.LetsEncrypt,
        store.Setting(AcmeSettings.EmailKey),
        store.Setting(AcmeSettings.EabKidKey),
        store.Setting(AcmeSettings.EabHmacKey) is not null,
        store.Setting(AcmeSettings.AccountUrlKey));

    /// <summary>Changes the given settings (null: unchanged; an empty email removes it). <paramref name="eabHmacKey"/>
    /// is the base64url HMAC key the CA gave with <paramref name="eabKid"/>; both or neither.</summary>
    public AcmeSettings Set(string? directory, string? email, string? eabKid, string? eabHmacKey, bool clearEab = false)
    {
        if (directory is not null)
        {
            directory = directory.Trim();
            if (!Uri.TryCreate(directory, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
            {
                throw new UserException($"'{directory}' is not an ACME directory URL: give the https:// URL of the CA's directory " +
                    $"(Let's Encrypt: {AcmeSettings.LetsEncrypt}; its staging: --staging).");
            }
        }
        if (email is { Length: > 0 })
        {
            email = email.Trim();
            if (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || !email.Contains('.', StringComparison.Ordinal))
            {
                throw new UserException($"'{email}' is not an email address. The CA writes to it about expiring certificates; give one like ops@example.com.");
            }
        }
        if ((eabKid is null) != (eabHmacKey is null))
        {
            throw new UserException("External Account Binding needs both the key id (--eab-kid) and the HMAC key (on stdin), as your CA gave them.");
        }
        if (eabHmacKey is not null && !IsBase64Url(eabHmacKey.Trim()))
        {
            throw new UserException("The EAB HMAC key is not base64url text. Paste it exactly as your CA shows it (letters, digits, - and _).");
        }
        lock (_gate)
        {
            var before = Current;
            var changes = new Dictionary<string, string?>();
            if (directory is not null)
            {
                changes[AcmeSettings.DirectoryKey] = directory;
            }
            if (email is not null)
            {
                changes[AcmeSettings.EmailKey] = email.Length == 0 ? null : email;
            }
            if (eabKid is not null)
            {
                changes[AcmeSettings.EabKidKey] = eabKid.Trim();
                changes[AcmeSettings.EabHmacKey] = keyring.Encrypt(eabHmacKey!.Trim());
            }
            else if (clearEab)
            {
                changes[AcmeSettings.EabKidKey] = null;
                changes[AcmeSettings.EabHmacKey] = null;
            }
            var newCa = (directory is not null && directory != before.Directory) || eabKid is not null || (clearEab && before.EabKid is not null);
            if (newCa)
            {
                changes[AcmeSettings.AccountKeyKey] = null;
                changes[AcmeSettings.AccountUrlKey] = null;
            }
            store.SetSettings(changes);
            if (newCa)
            {
                store.ReissueAll();
            }
            return Current;
        }
    }

    /// <summary>The EAB key id and HMAC key, when set.</summary>
    public (string Kid, string HmacKey)? ExternalAccountBinding =>
        store.Setting(AcmeSettings.EabKidKey) is { } kid && store.Setting(AcmeSettings.EabHmacKey) is { } sealedKey
            ? (kid, keyring.Decrypt(sealedKey))
            : null;

    /// <summary>The account key (PKCS#8 PEM) and URL, when this platform has registered with the current directory.</summary>
    public (string KeyPem, string? Url)? Account =>
        store.Setting(AcmeSettings.AccountKeyKey) is { } sealedKey ? (keyring.Decrypt(sealedKey), store.Setting(AcmeSettings.AccountUrlKey)) : null;

    /// <summary>Keeps the account key (and URL once registered) for the CA of <paramref name="forSettings"/>; nothing when
    /// the directory or EAB changed meanwhile (`acme set` during an order): that account belongs to the old CA.</summary>
    public void SaveAccount(string keyPem, string? url, AcmeSettings forSettings)
    {
        lock (_gate)
        {
            var now = Current;
            if (now.Directory != forSettings.Directory || now.EabKid != forSettings.EabKid)
            {
                return;
            }
            store.SetSettings(new Dictionary<string, string?>
            {
                [AcmeSettings.AccountKeyKey] = keyring.Encrypt(keyPem),
                [AcmeSettings.AccountUrlKey] = url,
            });
        }
    }

    /// <summary>Forgets the account's URL, keeping its key: the CA said it does not know the account any more.</summary>
    public void ForgetAccountUrl()
    {
        lock (_gate)
        {
            store.SetSettings(new Dictionary<string, string?> { [AcmeSettings.AccountUrlKey] = null });
        }
    }

    private static bool IsBase64Url(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=');
}
