namespace Slipway.Tests.Domains.Acme;

/// <summary>A Pebble that requires External Account Binding with one known key.</summary>
public sealed class EabPebbleFixture : PebbleFixture
{
    public const string KeyId = "kid-1";

    // Pebble's own example key (test/config/pebble-config-external-account-bindings.json), base64url.
    public const string HmacKey = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";

    protected override IReadOnlyDictionary<string, string>? EabKeys => new Dictionary<string, string> { [KeyId] = HmacKey };
}
