namespace Slipway.Domains;

/// <summary>Where certificates come from: the CA's ACME directory, the contact address it mails about expiry and
/// incidents, and External Account Binding for CAs that need it (ZeroSSL, Google, most commercial CAs).</summary>
/// <param name="HasEabKey">Whether an EAB HMAC key is stored (it never leaves the platform).</param>
/// <param name="AccountUrl">The ACME account this platform registered with the directory, once it has.</param>
internal sealed record AcmeSettings(string Directory, string? Email, string? EabKid, bool HasEabKey, string? AccountUrl)
{
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";
    public const string LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

    // Keys of acme_settings rows.
    public const string DirectoryKey = "directory";
    public const string EmailKey = "email";
    public const string EabKidKey = "eab_kid";
    public const string EabHmacKey = "eab_hmac";
    public const string AccountKeyKey = "account_key";
    public const string AccountUrlKey = "account_url";
    public const string ServerFlagsKey = "server_flags"; // the --acme-* flags of the last start that applied them

    /// <summary>Values sealed under the master key.</summary>
    public static readonly string[] SealedKeys = [EabHmacKey, AccountKeyKey];

    public string DirectoryName => Directory switch
    {
        LetsEncrypt => "Let's Encrypt",
        LetsEncryptStaging => "Let's Encrypt staging (certificates browsers do not trust)",
        _ => Directory,
    };
}
