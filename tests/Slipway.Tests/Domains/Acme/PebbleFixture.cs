using Slipway.Domains.Acme;

using Slipway.Tests.Support;

namespace Slipway.Tests.Domains.Acme;

/// <summary>One Pebble (and its challenge responder) per test class: tests use their own host names and accounts.</summary>
public class PebbleFixture : IAsyncLifetime
{
    /// <summary>The EAB keys Pebble requires, or null for a CA without External Account Binding.</summary>
    protected virtual IReadOnlyDictionary<string, string>? EabKeys => null;

    internal ChallengeResponder Responder { get; private set; } = null!;

    internal PebbleServer Pebble { get; private set; } = null!;

    /// <summary>Fast polling: Pebble validates at once, so the client need not wait a second between polls.</summary>
    internal static AcmeClientOptions Options { get; } = new() { PollInterval = TimeSpan.FromMilliseconds(50), MaxPollDelay = TimeSpan.FromSeconds(1), PollTimeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        Responder = await ChallengeResponder.StartAsync();
        Pebble = await PebbleServer.StartAsync(Responder.HttpPort, Responder.TlsPort, EabKeys);
    }

    public async Task DisposeAsync()
    {
        if (Pebble is not null)
        {
            await Pebble.DisposeAsync();
        }
        if (Responder is not null)
        {
            await Responder.DisposeAsync();
        }
    }

    internal AcmeClient Client(AcmeAccountKey key, string? accountUrl = null, RecordingLogger<AcmeClient>? logger = null) =>
        new(Pebble.Directory, key, accountUrl, Pebble.Handler, logger ?? new RecordingLogger<AcmeClient>(), TimeProvider.System, Options);

    /// <summary>A fresh host name that resolves to this machine for Pebble.</summary>
    internal async Task<string> HostAsync(string purpose)
    {
        var host = $"{purpose}-{Guid.NewGuid():N}"[..(purpose.Length + 9)] + ".acme.test";
        await Pebble.AddHostAsync(host);
        return host;
    }
}
