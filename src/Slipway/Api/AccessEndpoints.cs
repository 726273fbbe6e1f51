using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Access;
using Slipway.State;

namespace Slipway.Api;

internal sealed record SetupBody(string Code, string Name, string Password);
internal sealed record LoginBody(string Name, string Password, string? Code = null, string? Kind = null);
internal sealed record LoginDto(string User, string? Token, string? Csrf, DateTimeOffset ExpiresAt);
internal sealed record GrantDto(Role Role, string? App, string? Env, string Scope);
internal sealed record WhoAmIDto(string Name, PrincipalKind Kind, IReadOnlyList<GrantDto> Roles, string? Address);
internal sealed record UserBody(string Name, string Password, Role Role, string? App = null, string? Env = null);
internal sealed record RoleBody(Role Role, string? App = null, string? Env = null, bool Remove = false);
internal sealed record PasswordBody(string Password);
internal sealed record UserDto(string Name, IReadOnlyList<GrantDto> Roles, bool Totp, DateTimeOffset CreatedAt);
internal sealed record RemovedUserDto(string Name, IReadOnlyList<string> RevokedTokens);
internal sealed record TotpDto(string Secret, string Uri, IReadOnlyList<string> RecoveryCodes);
internal sealed record TokenBody(string Name, Role Role, string? App = null, string? Env = null, string? Expires = null);
internal sealed record TokenDto(string Id, string Name, string Hint, GrantDto Role, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, string? LastUsedFrom, DateTimeOffset? RevokedAt, string? Token = null);
internal sealed record AuditDto(DateTimeOffset At, string Actor, string? Address, string? Client, string Action, string? App, string? Env, string? Detail, string Outcome);

/// <summary>Setup, login, whoami, users, tokens and the audit log (Access/). Who may call what is declared on each
/// endpoint and enforced by <see cref="AccessControl"/>.</summary>
internal static class AccessEndpoints
{
    public static void MapAccessApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1");
        v1.MapPost("/setup", (SetupBody body, AccessService access, AuditLog audit, HttpContext context) =>
        {
            var user = access.Setup(body.Code ?? "", body.Name ?? "", body.Password ?? "");
            audit.Record(user.Name, Address(context), Client(context), "setup", null, "the first owner", AuditLog.Allowed);
            return Results.Created($"/v1/users/{user.Name}", ToDto(user, [new Grant(Role.Owner)]));
        }).AllowAnyone("setup");

        v1.MapPost("/login", (LoginBody body, AccessService access, AccessOptions options, AuditLog audit, HttpContext context) =>
        {
            var kind = body.Kind is "browser" ? "browser" : "cli";
            var outcome = access.Login(body.Name ?? "", body.Password ?? "", body.Code, kind, Address(context) ?? "?", Client(context));
            if (outcome.Secret is null)
            {
                audit.Record(body.Name ?? "?", Address(context), Client(context), "login", null, outcome.Refusal, AuditLog.Denied);
                if (outcome.RetryAfter is { } wait)
                {
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                return Results.Problem(outcome.Refusal, statusCode: outcome.Status, title: outcome.NeedsCode ? "Second factor needed" : "Login refused");
            }
            audit.Record(outcome.User!.Name, Address(context), Client(context), "login", null, kind, AuditLog.Allowed);
            if (kind == "browser")
            {
                // Kept by the browser until the session's hard limit: the platform decides when it ended (idle or
                // logged out), and slides it while it is used, so the cookie must not run out before it (review).
                context.Response.Cookies.Append(AccessControl.SessionCookieFor(context), outcome.Secret, new CookieOptions
                {
                    HttpOnly = true,
                    Secure = context.Request.IsHttps,
                    SameSite = SameSiteMode.Strict,
                    Path = "/",
                    Expires = outcome.Session!.CreatedAt + options.SessionMax,
                });
                return Results.Ok(new LoginDto(outcome.User.Name, null, outcome.Session.Csrf, outcome.Session.ExpiresAt));
            }
            return Results.Ok(new LoginDto(outcome.User.Name, outcome.Secret, null, outcome.Session!.ExpiresAt));
        }).AllowAnyone("login");

        v1.MapPost("/logout", (AccessService access, HttpContext context) =>
        {
            var secret = context.Request.Headers.Authorization.ToString() is { Length: > 7 } bearer && bearer.StartsWith("Bearer sls_", StringComparison.Ordinal)
                ? bearer[7..].Trim()
                : context.Request.Cookies[AccessControl.SessionCookieFor(context)];
            if (secret is not null && secret.StartsWith(Credentials.SessionPrefix, StringComparison.Ordinal))
            {
                access.Logout(secret);
            }
            context.Response.Cookies.Delete(AccessControl.SessionCookieFor(context),
                new CookieOptions { Secure = context.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = "/" });
            return Results.NoContent();
        }).RequireSignedInEvenWithoutGrant("logout");

        v1.MapGet("/whoami", (HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return new WhoAmIDto(me.Name, me.Kind, me.Grants.Select(ToDto).ToList(), Address(context));
        }).RequireSignedIn("whoami");

        MapUsers(v1);
        MapTokens(v1);

        v1.MapGet("/audit", (string? app, string? since, int? limit, AuditLog audit, Store store, TimeProvider clock, HttpContext context) =>
        {
            DateTimeOffset? from = since is null ? null : Lifetime(since) is { } ago ? clock.GetUtcNow() - ago
                : UtcTime.TryParse(since, out var at) ? at : throw new UserException($"--since '{since}' is neither a duration like 7d nor a time like 2026-11-21T10:00:00Z.");
            return AuditLines(AccessControl.Caller(context), audit, store, app, from, limit ?? 200);
        }).RequireSignedIn("audit");
    }

    private static void MapUsers(RouteGroupBuilder v1)
    {
        v1.MapGet("/users", (AccessStore store) => Users(store)).RequireAccess(Permission.ManageUsers, "users.list");

        v1.MapPost("/users", (UserBody body, AccessService access, HttpContext context) =>
        {
            var grant = GrantOf(body.Role, body.App, body.Env);
            var user = access.AddUser(body.Name ?? "", body.Password ?? "", grant);
            AccessControl.AuditDetail(context, $"{user.Name} as {grant}");
            return Results.Created($"/v1/users/{user.Name}", ToDto(user, [grant]));
        }).RequireAccess(Permission.ManageUsers, "users.add");

        v1.MapDelete("/users/{name}", (string name, AccessService access, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return new RemovedUserDto(name, access.RemoveUser(name));
        }).RequireAccess(Permission.ManageUsers, "users.remove");

        v1.MapPost("/users/{name}/role", (string name, RoleBody body, AccessService access, AccessStore store, HttpContext context) =>
        {
            var grant = GrantOf(body.Role, body.App, body.Env);
            access.SetRole(name, grant, body.Remove);
            AccessControl.AuditDetail(context, body.Remove ? $"{name}: no longer {grant}" : $"{name}: {grant}");
            var user = access.RequireUser(name);
            return ToDto(user, store.GrantsOf(user.Id));
        }).RequireAccess(Permission.ManageUsers, "users.role");

        // A user turns its own second factor on or off; an owner can do it for anyone (a lost phone).
        v1.MapPost("/users/{name}/totp", (string name, AccessService access, AccessOptions options, HttpContext context) =>
        {
            SelfOrOwner(context, name);
            AccessControl.AuditDetail(context, name);
            var (secret, uri, codes) = access.EnableTotp(name, options.Issuer);
            return new TotpDto(secret, uri, codes);
        }).RequireSignedIn("users.totp.enable");

        v1.MapDelete("/users/{name}/totp", (string name, AccessService access, HttpContext context) =>
        {
            SelfOrOwner(context, name);
            AccessControl.AuditDetail(context, name);
            access.DisableTotp(name);
            return Results.NoContent();
        }).RequireSignedIn("users.totp.disable");

        // Only on the server (the Unix socket): the recovery path when the owner's password is lost.
        v1.MapPost("/users/{name}/password", (string name, PasswordBody body, AccessService access, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            access.ResetPassword(name, body.Password ?? "");
            return Results.NoContent();
        });
    }

    private static void MapTokens(RouteGroupBuilder v1)
    {
        v1.MapGet("/tokens", (AccessService access, HttpContext context) => Tokens(access, AccessControl.Caller(context))).RequireSignedIn("tokens.list");

        v1.MapPost("/tokens", (TokenBody body, AccessService access, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            var grant = GrantOf(body.Role, body.App, body.Env);
            AccessControl.Demand(context, Permission.ManageTokens, grant.App is null ? null : AppRef.Of(grant.App, grant.Env), "tokens.create");
            TimeSpan? lifetime = body.Expires is null or "never" ? null
                : Lifetime(body.Expires) is { } l && l > TimeSpan.Zero ? l
                : throw new UserException($"--expires '{body.Expires}' is not a duration like 90d or 12h (or 'never').");
            var (secret, token) = access.CreateToken(me, body.Name ?? "", grant, lifetime);
            AccessControl.AuditDetail(context, $"{token.Name} ({grant})");
            return ToDto(token, grant, me.Name) with { Token = secret };
        }).RequireSignedIn("tokens.create");

        v1.MapDelete("/tokens/{id}", (string id, AccessService access, HttpContext context) =>
        {
            var token = access.RevokeToken(AccessControl.Caller(context), id);
            AccessControl.AuditDetail(context, token.Name);
            return Results.NoContent();
        }).RequireSignedIn("tokens.revoke");
    }

    /// <summary>GET /v1/users (the dashboard's Team page shows the same list).</summary>
    public static List<UserDto> Users(AccessStore store)
    {
        var grants = store.AllGrants();
        return [.. store.ListUsers().Select(u => ToDto(u, grants.GetValueOrDefault(u.Id) ?? []))];
    }

    /// <summary>GET /v1/tokens: the tokens <paramref name="me"/> manages.</summary>
    public static List<TokenDto> Tokens(AccessService access, Principal me) =>
        [.. access.Tokens(me).Select(t => ToDto(t.Token, t.Grant, t.Creator))];

    /// <summary>GET /v1/audit: newest first, what <paramref name="me"/> may read of it (an owner everything; an admin of
    /// some apps their lines; anyone else a 403).</summary>
    public static List<AuditDto> AuditLines(Principal me, AuditLog audit, Store store, string? app, DateTimeOffset? from, int limit)
    {
        IReadOnlySet<string>? visible = null;
        if (!me.Can(Permission.ManagePlatform, null))
        {
            // An admin of some apps reads their lines; only an owner reads the platform's own (users, logins).
            visible = AuditApps(me, store);
            if (visible.Count == 0 || (app is not null && !visible.Contains(app)))
            {
                throw new UserException($"{me.Name} cannot read the audit log{(app is null ? "" : " of " + app)}: that needs admin of the app, or owner for the whole platform.", 403);
            }
        }
        return [.. audit.List(app, from, Math.Clamp(limit, 1, 10_000), visible)
            .Select(e => new AuditDto(e.At, e.Actor, e.Address, e.Client, e.Action, e.App, e.Env, e.Detail, e.Outcome))];
    }

    /// <summary>The apps whose audit lines <paramref name="me"/> reads when it is not an owner: those it is admin of, and
    /// every app for an admin of the whole platform (its users and logins stay the owners').</summary>
    public static IReadOnlySet<string> AuditApps(Principal me, Store store) =>
        me.Grants.Any(g => g.Role >= Role.Admin && g.App is null)
            ? store.ListApps().Select(a => a.App).ToHashSet(StringComparer.Ordinal)
            : me.Grants.Where(g => g.Role >= Role.Admin && g.App is not null).Select(g => g.App!).ToHashSet(StringComparer.Ordinal);

    /// <summary>"90d", "12h", "30m" (days are what token lifetimes and audit windows are counted in).</summary>
    private static TimeSpan? Lifetime(string text) =>
        text.EndsWith('d') && int.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days) && days <= 36_500
            ? TimeSpan.FromDays(days)
            : Durations.TryParse(text, out var duration) ? duration : null;

    private static void SelfOrOwner(HttpContext context, string name)
    {
        var me = AccessControl.Caller(context);
        if (!(me.Kind == PrincipalKind.User && me.Name == name) && !me.Can(Permission.ManageUsers, null))
        {
            throw new UserException($"{me.Name} can change only its own second factor; an owner can change anyone's.", 403);
        }
    }

    private static Grant GrantOf(Role role, string? app, string? env)
    {
        if (!Enum.IsDefined(role))
        {
            throw new UserException("Give a role: viewer, deployer, admin or owner.");
        }
        if (app is null && env is not null)
        {
            throw new UserException("--env needs --app: a role for one environment is a role for one app's environment.");
        }
        if (app is not null)
        {
            Deploy.AppNames.Validate(app);
        }
        if (role == Role.Owner && app is not null)
        {
            throw new UserException("owner is a platform-wide role: for one app, admin is the largest role.");
        }
        return new Grant(role, app, env);
    }

    private static UserDto ToDto(UserRecord user, IReadOnlyList<Grant> grants) =>
        new(user.Name, grants.Select(ToDto).ToList(), user.HasTotp, user.CreatedAt);

    private static GrantDto ToDto(Grant grant) => new(grant.Role, grant.App, grant.Env, grant.ToString());

    private static TokenDto ToDto(TokenRecord t, Grant grant, string creator) =>
        new(t.Id, t.Name, t.Hint, ToDto(grant), creator, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.LastUsedFrom, t.RevokedAt);

    private static string? Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static string? Client(HttpContext context) => context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null;
}
