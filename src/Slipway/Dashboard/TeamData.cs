using System.Text.Json.Nodes;
using Slipway.Access;
using Slipway.Api;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds the Team page from what GET /v1/users, /v1/tokens and /v1/audit answer (the same functions, so the
/// page and the API never disagree), with only the actions the API would accept from the caller: users are an owner's
/// (manage-users), tokens anyone's who manages some (an admin, within its scope), audit lines an owner's or those of the
/// apps an admin administers.</summary>
internal sealed class TeamData(AccessStore access, AccessService accounts, AuditLog audit, Store store, TimeProvider clock)
{
    /// <summary>How many audit lines the page shows at first, and how many more each "Older lines" link adds.</summary>
    public const int AuditPage = 50;

    /// <summary>Everything the caller may see of the team; a 403 (as the API's) for a caller who is admin nowhere.</summary>
    public TeamView Team(Principal me, string? app, int? limit)
    {
        if (!DashboardNav.IsAdmin(me))
        {
            throw new UserException($"{me.Name} cannot see the team: users, tokens and the audit log are for owners and for admins of an app. " +
                "An owner can change that: 'slipway users role NAME admin --app APP'.", 403);
        }
        var wholePlatform = me.Can(Permission.ManagePlatform, null);
        var shown = Math.Clamp(limit ?? AuditPage, 1, 10_000);
        var lines = AccessEndpoints.AuditLines(me, audit, store, app, null, shown);
        var apps = wholePlatform
            ? store.ListApps().Select(a => a.App).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList()
            : [.. AccessEndpoints.AuditApps(me, store).Order(StringComparer.Ordinal)];
        return new TeamView(
            me.Can(Permission.ManageUsers, null) ? Users() : null,
            RolesFor(me),
            [.. AccessEndpoints.Tokens(accounts, me).Select(Token)],
            [.. lines.Select(Line)],
            app, apps, shown,
            lines.Count >= shown ? PagePath(app, shown + AuditPage) : null,
            wholePlatform,
            PagePath(app, limit, "/team/content"),
            clock.GetUtcNow(),
            TokenFormFor(me, apps));
    }

    /// <summary>What the form that makes a token offers <paramref name="me"/>, or null when it may make none. POST /v1/tokens
    /// demands manage-tokens over the token's scope (an admin of the whole platform, or of the token's app), and
    /// AccessService.CreateToken a role within the caller's own and a user (a token makes no tokens). An admin of one
    /// environment only (cart (staging)) is offered that environment fixed: the app alone would mean all of them.</summary>
    /// <param name="apps">The platform's apps, suggested to an admin of the whole platform.</param>
    public static TokenForm? TokenFormFor(Principal me, IReadOnlyList<string> apps)
    {
        var needs = AccessMatrix.Needs(Permission.ManageTokens);
        var managed = me.Grants.Where(g => g.Role >= needs).ToList();
        if (me.Kind == PrincipalKind.Token || managed.Count == 0)
        {
            return null;
        }
        var top = managed.Max(g => g.Role);
        List<string> roles = [.. Enum.GetValues<Role>().Where(r => r <= top).Select(r => JsonSpellings.Of(r))];
        if (managed.Any(g => g.IsGlobal))
        {
            return new TokenForm(roles, null, apps);
        }
        // A scope within another the caller manages (shop (staging) beside shop) adds nothing to offer.
        var scopes = managed.Select(g => new Grant(Role.Viewer, g.App, g.Env)).Distinct().ToList();
        return new TokenForm(roles, [.. scopes
            .Where(s => !scopes.Any(wider => wider != s && s.IsWithin(wider)))
            .OrderBy(s => s.App, StringComparer.Ordinal).ThenBy(s => s.Env, StringComparer.Ordinal)
            .Select(s => new TokenScope(s.App!, s.Env))], []);
    }

    /// <summary>/team[?app=A][&amp;limit=N]: the page (or its fragment) with the audit filter it shows.</summary>
    public static string PagePath(string? app, int? limit, string path = "/team")
    {
        var query = new List<string>();
        if (app is not null)
        {
            query.Add("app=" + Uri.EscapeDataString(app));
        }
        if (limit is { } n && n != AuditPage)
        {
            query.Add("limit=" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return query.Count == 0 ? path : path + "?" + string.Join("&", query);
    }

    /// <summary>An id attribute's value for a name (user names may hold '.', '@' and '+').</summary>
    public static string IdOf(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    private List<UserRow> Users()
    {
        var users = AccessEndpoints.Users(access);
        var owners = users.Count(u => u.Roles.Any(IsOwner));
        return [.. users.Select(u =>
        {
            var onlyOwner = owners <= 1 && u.Roles.Any(IsOwner);
            return new UserRow(u.Name, IdOf(u.Name),
                [.. u.Roles.Select(r => new GrantRow(r.Scope, onlyOwner && IsOwner(r) ? null : RoleBody(r, remove: true)))],
                u.Totp, u.CreatedAt, onlyOwner);
        })];
    }

    private static bool IsOwner(GrantDto grant) => grant.Role == Role.Owner && grant.App is null;

    /// <summary>The body of POST /v1/users/NAME/role for <paramref name="grant"/>'s scope.</summary>
    private static string RoleBody(GrantDto grant, bool remove)
    {
        var body = new JsonObject { ["role"] = JsonSpellings.Of(grant.Role) };
        if (grant.App is { } app)
        {
            body["app"] = app;
        }
        if (grant.Env is { } env)
        {
            body["env"] = env;
        }
        body["remove"] = remove;
        return body.ToJsonString();
    }

    /// <summary>The roles the caller may hand out at some scope (Principal.MayGrant: never above its own).</summary>
    private static List<string> RolesFor(Principal me)
    {
        var top = me.Grants.Select(g => g.Role).DefaultIfEmpty(Role.Viewer).Max();
        return [.. Enum.GetValues<Role>().Where(r => r <= top).Select(r => JsonSpellings.Of(r))];
    }

    private TokenRow Token(TokenDto t) =>
        new(t.Id, t.Name, t.Hint, t.Role.Scope, t.CreatedBy, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.LastUsedFrom,
            t.RevokedAt is not null ? "revoked" : t.ExpiresAt <= clock.GetUtcNow() ? "expired" : "active");

    private static AuditRow Line(AuditDto e) =>
        new(e.At, e.Actor, e.Action, e.App is null ? null : e.Env is null or AppRef.Production ? e.App : $"{e.App} ({e.Env})", e.Outcome, e.Address, e.Detail);
}
