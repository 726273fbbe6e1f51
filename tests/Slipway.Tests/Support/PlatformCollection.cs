namespace Slipway.Tests.Support;

// Tests that run real platforms with real apps mostly wait (health checks, drains, schedules: a class uses about a
// third of one core), so they run in three lanes side by side, each one test at a time: "platform", "platform-2" and
// "platform-3", balanced by their measured time (summed test times of the full run of 2026-12-06, rebalanced after it:
// about 820, 800 and 770 s; solo about 330 s). Tests whose assertions time the platform itself (a restart within a second,
// twenty deploys under load, an upgrade under load, check timeouts, CA rate limits) run in "platform-solo", alone
// after everything else, so no other test's builds share the two cores with them; so does the test of the published
// CLI, whose minutes-long first publish test.sh starts in the background, to be done by then. A new platform test
// class goes into the lightest lane, or solo if it measures time.
//
// xUnit runs four collections at a time (xunit.runner.json), not one per core, so the other test classes do not queue
// behind the two lanes. The Edge tests that once failed together at four threads shared no state; load broke them:
// the first match of each RegexOptions.Compiled path pattern JIT-compiled it inside its 50 ms match timeout, so a
// CORS, header, rewrite or rate-limit rule counted as not matching, and a certificate poll that caught a pair
// half-written never looked again. Both were product bugs, fixed there.

/// <summary>The first lane of platform tests.</summary>
[CollectionDefinition("platform")]
public sealed class PlatformCollection;

/// <summary>The second lane of platform tests.</summary>
[CollectionDefinition("platform-2")]
public sealed class SecondPlatformCollection;

/// <summary>The third lane of platform tests.</summary>
[CollectionDefinition("platform-3")]
public sealed class ThirdPlatformCollection;

/// <summary>Platform tests that time the platform: alone, after the lanes.</summary>
[CollectionDefinition("platform-solo", DisableParallelization = true)]
public sealed class SoloPlatformCollection;
