using Slipway.State;

namespace Slipway.Deploy;

internal static class AppErrors
{
    public static UserException NoApp(string app) =>
        new($"No app named '{app}'. 'slipway apps' lists the apps; 'slipway deploy DIR --app {app}' creates it.", 404);

    public static AppRecord Require(Store store, string app) => store.FindApp(app) ?? throw NoApp(app);
}
