namespace Slipway.Manifests;

/// <summary>Variables that frameworks inline into browser bundles at build time: they can never be secret, and
/// a change of one needs a rebuild (its value is baked into the build's output).</summary>
internal static class BrowserVariables
{
    /// <summary>Prefixes that frameworks inline into browser bundles at build time.</summary>
    public static readonly IReadOnlyList<string> Prefixes = ["VITE_", "NEXT_PUBLIC_", "REACT_APP_", "PUBLIC_", "NUXT_PUBLIC_", "EXPO_PUBLIC_"];

    public static bool Is(string name) => Prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
