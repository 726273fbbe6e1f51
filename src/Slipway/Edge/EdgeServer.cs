using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Hosting;

namespace Slipway.Edge;

/// <summary>The edge: its own Kestrel server on the HTTP port, separate from the API so that neither one's
/// middleware or limits touch the other. Everything it serves comes from the current route table.</summary>
internal sealed class EdgeServer(PlatformOptions options, EdgeHandler handler, ILoggerFactory loggerFactory) : IHostedService
{
    private WebApplication? _app;

    /// <summary>The port actually bound (differs from the option when it was 0).</summary>
    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Parse(options.HttpAddress), options.HttpPort);
        });
        _app = builder.Build();
        _app.Run(handler.HandleAsync);
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new UserException($"The edge cannot listen on {options.HttpAddress}:{options.HttpPort}: {e.Message}. " +
                "Stop whatever uses that port, or start with --http-port to pick another.");
        }
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
        }
    }
}
