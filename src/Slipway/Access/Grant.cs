namespace Slipway.Access;

/// <summary>A role over a scope: the whole platform (App null), every environment of one app (Env null), or
/// one environment of one app. A deployer of shop's staging cannot deploy shop's production nor touch billing.</summary>
internal sealed record Grant(Role Role, string? App = null, string? Env = null)
{
    public bool IsGlobal => App is null;

    /// <summary>Whether this grant applies to <paramref name="target"/> (null: a platform-wide request).</summary>
    public bool Covers(AppRef? target) =>
        App is null || (target is { } t && string.Equals(App, t.App, StringComparison.Ordinal) &&
                        (Env is null || string.Equals(Env, t.Env, StringComparison.Ordinal)));

    /// <summary>Whether every target this grant covers, <paramref name="wider"/> covers too.</summary>
    public bool IsWithin(Grant wider) =>
        wider.App is null || (App == wider.App && (wider.Env is null || Env == wider.Env));

    /// <summary>"owner", "deployer of shop", "viewer of shop (staging)".</summary>
    public override string ToString() =>
        App is null ? Spell(Role) : Env is null ? $"{Spell(Role)} of {App}" : $"{Spell(Role)} of {App} ({Env})";

    /// <summary>"--app shop --env staging" or "" for a global grant.</summary>
    public string Flags => App is null ? "" : Env is null ? $"--app {App}" : $"--app {App} --env {Env}";

    private static string Spell(Role role) => JsonSpellings.Of(role);
}
