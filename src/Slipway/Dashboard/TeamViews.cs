namespace Slipway.Dashboard;

// What the Team page renders (TeamData builds it from what GET /v1/users, /v1/tokens and /v1/audit answer): public
// records, as Razor components are public types.

/// <summary>The Team page: users (owners only), the tokens the caller manages, and the audit lines it may read.</summary>
/// <param name="Users">Null when the caller may not manage users (an admin of some apps: users are the owners' to manage).</param>
/// <param name="Roles">The roles the add-user and role forms offer (what the caller may grant).</param>
/// <param name="Audit">Newest first, at most <paramref name="Limit"/> lines.</param>
/// <param name="AuditApp">The app the audit lines are filtered to, or null for all the caller may read.</param>
/// <param name="AuditApps">The apps the filter offers: every app for an owner, the apps it is admin of for anyone else.</param>
/// <param name="WholePlatform">The caller reads the whole log (an owner), platform-wide lines (logins, users) included.</param>
/// <param name="Older">The page with more (older) lines, when the list was cut at <paramref name="Limit"/>.</param>
/// <param name="Fragment">Where the page's content (TeamContent) refreshes from, with its filter.</param>
/// <param name="NewToken">The form that makes a token, or null when the caller may make none.</param>
public sealed record TeamView(IReadOnlyList<UserRow>? Users, IReadOnlyList<string> Roles, IReadOnlyList<TokenRow> Tokens,
    IReadOnlyList<AuditRow> Audit, string? AuditApp, IReadOnlyList<string> AuditApps, int Limit, string? Older, bool WholePlatform,
    string Fragment, DateTimeOffset Now, TokenForm? NewToken);

/// <summary>A user (Api.UserDto) and what the caller may do with it.</summary>
/// <param name="Id">A stable id for the page's elements (the name with what an id cannot hold replaced).</param>
/// <param name="OnlyOwner">The platform's only owner: it cannot be removed or demoted (the API answers 409), so the page
/// offers neither.</param>
public sealed record UserRow(string Name, string Id, IReadOnlyList<GrantRow> Roles, bool Totp, DateTimeOffset CreatedAt, bool OnlyOwner);

/// <summary>One role of a user at its scope; <paramref name="RemoveBody"/> is the JSON body of POST /v1/users/NAME/role
/// that takes it away, or null when the API would refuse (the only owner's owner role).</summary>
public sealed record GrantRow(string Scope, string? RemoveBody);

/// <summary>A token (Api.TokenDto): never its secret.</summary>
/// <param name="State">active, expired or revoked (as `slipway tokens ls`).</param>
public sealed record TokenRow(string Id, string Name, string Hint, string Scope, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, string? LastUsedFrom, string State);

/// <summary>The form that makes a token (POST /v1/tokens), offering only what the API would accept from the caller.</summary>
/// <param name="Roles">The roles a token may have: at most the caller's own.</param>
/// <param name="Scopes">The scopes whose tokens the caller manages (it is admin of them), one of which the token's must be
/// (or within); null for an admin of the whole platform, whose token may be platform-wide or of any app.</param>
/// <param name="Known">The platform's apps, suggested where the app is typed (Scopes null).</param>
public sealed record TokenForm(IReadOnlyList<string> Roles, IReadOnlyList<TokenScope>? Scopes, IReadOnlyList<string> Known)
{
    /// <summary>Whether some scope is a whole app, whose token may still be narrowed to one environment.</summary>
    public bool EnvTyped => Scopes is null || Scopes.Any(s => s.Env is null);
}

/// <summary>An app, or one environment of it, whose tokens the caller manages.</summary>
public sealed record TokenScope(string App, string? Env)
{
    /// <summary>"cart" or "cart (staging)", as the token list and Grant.ToString name a scope.</summary>
    public string Label => Env is null ? App : $"{App} ({Env})";

    /// <summary>The members of POST /v1/tokens's body this scope fills (json-form.js, data-json-fields), such as
    /// {"app":"cart","env":"staging"}.</summary>
    public string Fields
    {
        get
        {
            var fields = new System.Text.Json.Nodes.JsonObject { ["app"] = App };
            if (Env is not null)
            {
                fields["env"] = Env;
            }
            return fields.ToJsonString();
        }
    }
}

/// <summary>One audit line (Api.AuditDto).</summary>
/// <param name="Scope">"shop", "shop (staging)" or null for a platform-wide line.</param>
/// <param name="Outcome">ok, denied or failed.</param>
public sealed record AuditRow(DateTimeOffset At, string Actor, string Action, string? Scope, string Outcome, string? Address, string? Detail);
