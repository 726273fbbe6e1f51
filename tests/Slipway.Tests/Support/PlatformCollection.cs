namespace Slipway.Tests.Support;

/// <summary>Tests that run real platforms with real apps share the two cores one at a time, so timing
/// assertions are not at the mercy of another test's builds.</summary>
[CollectionDefinition("platform", DisableParallelization = true)]
public sealed class PlatformCollection;
