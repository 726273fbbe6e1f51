using System.Text.Json.Serialization;

namespace Slipway.Access;

[JsonConverter(typeof(KebabCaseEnumConverter<PrincipalKind>))]
internal enum PrincipalKind
{
    /// <summary>Someone on the server itself, through the data directory's Unix socket: its file mode is the
    /// access control, so this is the server owner's full-access path (recorded as local:UID).</summary>
    Local,

    /// <summary>A person logged in with a password (a session cookie, or the token `slipway login` stored).</summary>
    User,

    /// <summary>An API token made with `slipway tokens create` (CI).</summary>
    Token,
}

/// <summary>Who a request comes from, with every grant it holds. <see cref="Name"/> is what the audit log and
/// `whoami` show: "local:1000", "alice", "token:ci-deploy (by alice)".</summary>
internal sealed record Principal(PrincipalKind Kind, string Id, string Name, IReadOnlyList<Grant> Grants)
{
    public static Principal Local(uint uid) => new(PrincipalKind.Local, $"local:{uid}", $"local:{uid}", [new Grant(Role.Owner)]);

    /// <summary>The largest role this principal has over <paramref name="target"/>, or null.</summary>
    public Role? RoleAt(AppRef? target) =>
        Grants.Where(g => g.Covers(target)).Select(g => (Role?)g.Role).Max();

    public bool Can(Permission permission, AppRef? target) =>
        AccessMatrix.IsGlobal(permission)
            ? Grants.Any(g => g.IsGlobal && g.Role >= AccessMatrix.Needs(permission))
            : RoleAt(target) >= AccessMatrix.Needs(permission);

    /// <summary>Whether this principal may hand out <paramref name="grant"/> (to a user or a token): only within
    /// its own scope, never a larger role than it holds there.</summary>
    public bool MayGrant(Grant grant) =>
        Grants.Any(own => grant.IsWithin(own) && grant.Role <= own.Role);

    /// <summary>Whether any grant reaches <paramref name="app"/> at all (lists show only those apps).</summary>
    public bool Sees(string app) => Grants.Any(g => g.App is null || g.App == app);
}
