namespace Slipway.Tests.Support;

// Tests that run real platforms with real apps mostly wait (health checks, drains, schedules: a class uses about a
// third of one core), so they run in two lanes side by side, each one test at a time: "platform" and "platform-2",
// balanced by their measured time. Tests whose assertions time the platform itself (a restart within a second,
// twenty deploys under load, an upgrade under load, check timeouts, CA rate limits) run in "platform-solo", alone
// after everything else, so no other test's builds share the two cores with them; so does the test of the published
// CLI, whose minutes-long first publish test.sh starts in the background, to be done by then. A new platform test
// class goes into the lighter lane, or solo if it measures time.

/// <summary>The first lane of platform tests.</summary>
[CollectionDefinition("platform")]
public sealed class PlatformCollection;

/// <summary>The second lane of platform tests.</summary>
[CollectionDefinition("platform-2")]
public sealed class SecondPlatformCollection;

/// <summary>Platform tests that time the platform: alone, after the lanes.</summary>
[CollectionDefinition("platform-solo", DisableParallelization = true)]
public sealed class SoloPlatformCollection;
