using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Monitoring.Alerts.Channels;

internal static class AlertChannelsRegistration
{
    /// <summary>The alert channels: their store, their sealed rows in key rotation, and <see cref="AlertChannels"/> as
    /// the alert engine's <see cref="IAlertNotifier"/> and a hosted service (a sender per channel). Reads
    /// <see cref="AlertChannelsOptions"/>, which the host registers.</summary>
    public static IServiceCollection AddAlertChannels(this IServiceCollection services)
    {
        services.AddSingleton<ChannelStore>();
        services.AddSingleton<ChannelRows>();
        services.AddSingleton<State.ISealedRows>(sp => sp.GetRequiredService<ChannelRows>());
        services.AddSingleton<AlertChannels>();
        services.AddSingleton<IAlertNotifier>(sp => sp.GetRequiredService<AlertChannels>());
        services.AddHostedService(sp => sp.GetRequiredService<AlertChannels>());
        return services;
    }
}
