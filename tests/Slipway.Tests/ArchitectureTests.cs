using System.Reflection;
using NetArchTest.Rules;

namespace Slipway.Tests;

/// <summary>Dependencies point one way, down this stack (ARCHITECTURE.md, "Layers"). A layer may use any layer
/// below it and never one above it; the subsystems that share a level (Jobs, Databases, Monitoring; Builds and Edge) do
/// not use each other. A lower layer that needs something from above owns a small interface that the upper one
/// implements (for example Deploy.IEnvironmentResources, State.ISealedRows).</summary>
public sealed class ArchitectureTests
{
    /// <summary>Top to bottom; a row with several names is one level.</summary>
    private static readonly string[][] Stack =
    [
        ["Cli"],
        ["Hosting"],
        ["Dashboard"],
        ["Api"],
        ["Git", "Errors", "Offsite"],
        ["Monitoring"],
        ["Jobs", "Databases", "Access", "Domains"],
        ["Deploy"],
        ["Builds", "Edge"],
        ["Runtime"],
        ["Sandbox"],
        ["Config"],
        ["Manifests"],
        ["State"],
    ];

    private static readonly Assembly Slipway = typeof(UserException).Assembly;

    public static TheoryData<string> Layers => new(Stack.SelectMany(level => level));

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_layer_uses_nothing_above_it_nor_beside_it(string layer)
    {
        var forbidden = Forbidden(layer).ToList();
        var violations = forbidden
            .SelectMany(namespaceName => Offenders(Types.InAssembly(Slipway).That().ResideInNamespace("Slipway." + layer), namespaceName))
            .ToList();
        violations.Should().BeEmpty($"Slipway.{layer} may not use {string.Join(", ", forbidden)}; invert such an arrow with an interface owned by the lower layer");
    }

    [Fact]
    public void The_kernel_uses_no_subsystem()
    {
        var all = Stack.SelectMany(level => level).Select(name => "Slipway." + name).ToList();
        var violations = all.SelectMany(namespaceName => Offenders(Types.InAssembly(Slipway).That().ResideInNamespaceMatching(@"^Slipway$"), namespaceName)).ToList();
        violations.Should().BeEmpty("the root namespace Slipway is the kernel every layer may use, so it uses none of them");
    }

    [Fact]
    public void Every_namespace_of_the_platform_has_a_place_in_the_stack()
    {
        var known = Stack.SelectMany(level => level).ToHashSet();
        var placeless = Slipway.GetTypes()
            .Select(t => t.Namespace)
            .Where(ns => ns is not null && ns != "Slipway" && ns.StartsWith("Slipway.", StringComparison.Ordinal))
            .Select(ns => ns!.Split('.')[1])
            .Where(top => !known.Contains(top))
            .Distinct()
            .ToList();
        placeless.Should().BeEmpty("a new subsystem gets a level in ArchitectureTests.Stack and in ARCHITECTURE.md");
    }

    [Fact]
    public void The_rule_catches_an_upward_dependency()
    {
        // Deploy → Api would be an upward arrow; this test's own assembly reaches Slipway.Api from a test type, which the
        // same rule must report when asked about it (so the theory above cannot pass by checking nothing).
        var offenders = Offenders(Types.InAssembly(typeof(ArchitectureTests).Assembly).That().HaveName(nameof(ReachesApi)), "Slipway.Api");
        offenders.Should().ContainSingle().Which.Should().Contain(nameof(ReachesApi));
    }

    private static IEnumerable<string> Forbidden(string layer)
    {
        var level = Array.FindIndex(Stack, names => names.Contains(layer));
        return Stack.Take(level).SelectMany(names => names)
            .Concat(Stack[level].Where(sibling => sibling != layer))
            .Select(name => "Slipway." + name);
    }

    private static IEnumerable<string> Offenders(PredicateList types, string namespaceName)
    {
        var result = types.ShouldNot().HaveDependencyOn(namespaceName).GetResult();
        return result.IsSuccessful ? [] : (result.FailingTypeNames ?? []).Select(type => $"{type} → {namespaceName}");
    }

    /// <summary>A deliberate upward reference for <see cref="The_rule_catches_an_upward_dependency"/>.</summary>
    private static class ReachesApi
    {
        public static string Name => typeof(global::Slipway.Api.ApiToken).FullName!;
    }
}
