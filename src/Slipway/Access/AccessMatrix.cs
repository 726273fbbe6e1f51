namespace Slipway.Access;

/// <summary>The one place that says which role a permission needs (README.md of this folder prints it as a
/// table; <c>AccessMatrixTests</c> checks the two agree).
///
///   viewer   reads status, deployments, logs, metrics, config names (values masked), db ls
///   deployer + deploys, rolls back, restarts, sets config, runs crons, takes backups
///   admin    + reveals secrets, restores and branches databases, destroys, domains, log drains, alerts, tokens of its scope
///   owner    + users and platform settings
/// </summary>
internal static class AccessMatrix
{
    public static Role Needs(Permission permission) => permission switch
    {
        Permission.Read => Role.Viewer,
        Permission.Deploy or Permission.SetConfig or Permission.RunJobs or Permission.Backup => Role.Deployer,
        Permission.RevealSecrets or Permission.RestoreDatabases or Permission.Destroy or Permission.ManageDomains
            or Permission.ManageDrains or Permission.ManageAlerts or Permission.ManageGit or Permission.ManageTokens => Role.Admin,
        Permission.ManageUsers or Permission.ManagePlatform => Role.Owner,
        _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, "a permission without a role"),
    };

    /// <summary>Permissions that only make sense for the whole platform: granting them for one app would mean
    /// nothing, so only a global grant of the role satisfies them.</summary>
    public static bool IsGlobal(Permission permission) => permission is Permission.ManageUsers or Permission.ManagePlatform;
}
