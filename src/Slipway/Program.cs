// slipway: the CLI and the platform in one executable. `slipway server` runs the platform
// (Hosting/PlatformHost); every other command is a thin client of its API (Cli/).
return await Slipway.Cli.CliApp.RunAsync(args);
