using System.Text.Json.Serialization;

namespace Slipway.Access;

/// <summary>Every kind of request the API serves, as the permission it needs. Each endpoint declares one
/// (<c>RequireAccess</c>); an endpoint that declares none is refused to everyone but the server's owner, so a
/// new endpoint cannot be open by accident.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<Permission>))]
internal enum Permission
{
    /// <summary>Status, deployments, logs, metrics, config names (values masked), crons, db ls, backups list.</summary>
    Read,

    /// <summary>Deploy, promote into, roll back, restart, stop, start, cancel.</summary>
    Deploy,

    /// <summary>Set, unset and import config (values stay masked when read).</summary>
    SetConfig,

    /// <summary>Run a cron job now, resend a message.</summary>
    RunJobs,

    /// <summary>Take a database backup; create an environment's database.</summary>
    Backup,

    /// <summary>Read secrets' values (env get --reveal, env pull --reveal, db url, db psql).</summary>
    RevealSecrets,

    /// <summary>Restore, attach and branch databases.</summary>
    RestoreDatabases,

    /// <summary>Destroy an app or environment.</summary>
    Destroy,

    /// <summary>Hostnames, domains and certificates of its scope.</summary>
    ManageDomains,

    /// <summary>Add and remove log drains of its scope: a drain sends the app's logs elsewhere.</summary>
    ManageDrains,

    /// <summary>Alert rules, uptime checks and status pages of its scope; alert channels (platform-wide only: a
    /// channel receives every app's alerts it is not filtered from, and holds credentials).</summary>
    ManageAlerts,

    /// <summary>An app's git remote: creating or removing it, which branch deploys to which environment, force pushes.</summary>
    ManageGit,

    /// <summary>Create, list and revoke tokens of its scope (never one with a larger role than its own).</summary>
    ManageTokens,

    /// <summary>Users and their roles.</summary>
    ManageUsers,

    /// <summary>Platform settings: key rotation, database servers, the audit log of every app.</summary>
    ManagePlatform,
}
