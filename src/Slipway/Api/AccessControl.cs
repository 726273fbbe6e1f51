using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Slipway.Access;

namespace Slipway.Api;

/// <summary>What an endpoint needs: a permission over the request's app environment (its {app} and ?env), over
/// a target found another way (<see cref="Target"/>: a deployment's or backup's app), or over the platform.
/// <see cref="AnyGrant"/>: any principal with any grant (lists filter what it sees); <see cref="NoGrant"/>: any
/// principal at all, even one without a grant yet (logging out, the dashboard's overview saying whom to ask).</summary>
internal sealed record AccessRequirement(Permission Permission, string Action, Func<HttpContext, AppRef?>? Target = null, bool AnyGrant = false,
    bool NoGrant = false);

/// <summary>An endpoint anyone may call (ping, setup, login): it checks what it needs itself.</summary>
internal sealed record PublicEndpoint(string Action);

/// <summary>Who is calling and what they may do, enforced for every endpoint in one place:
///
///   request ─► principal: Unix socket → local:UID (peer credentials; the socket's file mode is the control)
///                          Authorization: Bearer slp_… (token) / sls_… (CLI login) / the server's api-token file
///                          cookie slipway_session (__Host- over HTTPS; browser; state changes need X-CSRF-Token)
///           ─► the endpoint's requirement (none declared: only the server's owner, so nothing is open by accident)
///           ─► 401 (no or bad credentials) / 403 (role too small, naming what is missing) / the endpoint
///           ─► audit: every state change and every refusal, with who, address and client
/// </summary>
internal static class AccessControl
{
    public const string SessionCookie = "slipway_session";

    /// <summary>The login cookie's name over HTTPS: "__Host-" makes the browser refuse one set with a Domain (or a Path
    /// other than /, or without Secure), so an app on a sibling host of the platform's cannot plant a session of its
    /// own choosing in the dashboard (review).</summary>
    public const string HostSessionCookie = "__Host-slipway_session";

    /// <summary>The login cookie of this request's scheme: only the __Host- one is read or written over HTTPS.</summary>
    public static string SessionCookieFor(HttpContext context) => context.Request.IsHttps ? HostSessionCookie : SessionCookie;
    public const string CsrfHeader = "X-CSRF-Token";
    private const string PrincipalKey = "slipway.principal";
    private const string DetailKey = "slipway.audit.detail";
    private const string ActionKey = "slipway.audit.action";
    private const string SessionKey = "slipway.session";
    private const string LateFailureKey = "slipway.audit.late-failure";

    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, Permission permission, string action, Func<HttpContext, AppRef?>? target = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement(permission, action, target));

    /// <summary>Any signed-in principal; the endpoint shows only what its grants reach.</summary>
    public static TBuilder RequireSignedIn<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement(Permission.Read, action, AnyGrant: true));

    /// <summary>Any signed-in principal, even one without a grant yet: the endpoint shows only what its grants reach.</summary>
    public static TBuilder RequireSignedInEvenWithoutGrant<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRequirement(Permission.Read, action, AnyGrant: true, NoGrant: true));

    public static TBuilder AllowAnyone<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PublicEndpoint(action));

    /// <summary>The CSRF token of this request's browser session (the dashboard renders it into each page for the
    /// X-CSRF-Token header), or null when the caller did not come with a login cookie.</summary>
    public static string? CsrfOf(HttpContext context) =>
        context.Items.TryGetValue(SessionKey, out var s) && s is SessionRecord session ? session.Csrf : null;

    /// <summary>Demands what revealing a secret in an answer to a GET needs, and refuses it to a browser's login cookie:
    /// a GET is not checked for CSRF and may be typed into the address bar, and the dashboard reveals only after the
    /// password again (POST /v1/apps/APP/config/reveal). The CLI's sessions and tokens send a bearer header.</summary>
    public static void DemandRevealByGet(HttpContext context, AppRef? target, string action)
    {
        Demand(context, Permission.RevealSecrets, target, action);
        if (CsrfOf(context) is not null)
        {
            context.Items[ActionKey] = action;
            throw new UserException("In a browser, secrets are revealed only after your password again: use Reveal on the app's Config " +
                "page (or, from a terminal, 'slipway env get NAME --reveal' or 'slipway db url').", 403);
        }
    }

    public static Principal? PrincipalOf(HttpContext context) => context.Items.TryGetValue(PrincipalKey, out var p) ? p as Principal : null;

    public static Principal Caller(HttpContext context) =>
        PrincipalOf(context) ?? throw new UserException("Log in first: 'slipway login URL', or send 'Authorization: Bearer <token>'.", 401);

    /// <summary>What the audit line of this request says besides its action: names, never values.</summary>
    public static void AuditDetail(HttpContext context, string detail) => context.Items[DetailKey] = detail;

    /// <summary>The request failed with <paramref name="status"/> after its answer had started (a progress stream's
    /// {"error"} line under a 200): its audit line says failed, as the same failure before the start would.</summary>
    public static void AuditFailedLate(HttpContext context, int status) => context.Items[LateFailureKey] = status;

    /// <summary>The status the audit records: the late failure's when there was one, else the response's.</summary>
    public static int AuditedStatus(HttpContext context) =>
        context.Items.TryGetValue(LateFailureKey, out var late) && late is int status ? status : context.Response.StatusCode;

    /// <summary>A check an endpoint makes beyond its declared one (env get --reveal needs more than reading).</summary>
    public static void Demand(HttpContext context, Permission permission, AppRef? target, string action)
    {
        var principal = Caller(context);
        if (!principal.Can(permission, target))
        {
            context.Items[ActionKey] = action;
            throw new UserException(Missing(principal, permission, target, action), 403);
        }
        if (permission == Permission.RevealSecrets)
        {
            // Reading a secret is recorded like a change (access review: `env get --reveal` left no line).
            context.Items[ActionKey] = action;
            context.Items[RevealedKey] = true;
        }
    }

    private const string RevealedKey = "slipway.revealed";

    public static void UseAccessControl(this WebApplication app, string? legacyToken)
    {
        app.Use(async (context, next) =>
        {
            var access = context.RequestServices.GetRequiredService<AccessService>();
            var audit = context.RequestServices.GetRequiredService<AuditLog>();
            var endpoint = context.GetEndpoint();
            var requirement = endpoint?.Metadata.GetMetadata<AccessRequirement>();
            var isPublic = endpoint?.Metadata.GetMetadata<PublicEndpoint>() is not null;
            var (principal, refusal, viaCookie) = Identify(context, access, legacyToken);
            if (principal is not null)
            {
                context.Items[PrincipalKey] = principal;
            }
            var target = requirement?.Target is { } find ? find(context) : AppScopeOf(context);
            var action = requirement?.Action ?? endpoint?.DisplayName ?? context.Request.Path.Value ?? "?";
            string? denied = null;
            var status = 0;
            if (isPublic || endpoint is null)
            {
                // Public endpoints check what they need; no endpoint answers 404 as usual.
            }
            else if (principal is null && refusal is null && endpoint.Metadata.GetMetadata<LoopbackScraper>() is not null
                && LoopbackScraper.Allows(context))
            {
                // /metrics from a scraper on this machine: no token to configure, and no app user (see LoopbackScraper).
            }
            else if (principal is null && endpoint.Metadata.GetMetadata<DashboardPage>() is not null
                && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                // A page: a browser goes to the login form and back here after it (the request is not audited: no one
                // was refused anything yet, and every tab left open past its session would add a line).
                context.Response.Redirect(DashboardPage.LoginFor(context.Request.Path + context.Request.QueryString));
                return;
            }
            else if (principal is null)
            {
                (status, denied) = (401, refusal ?? "Log in first: 'slipway login URL', or send 'Authorization: Bearer <token>' (an admin makes one with 'slipway tokens create').");
            }
            else if (viaCookie && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !CsrfOk(context, access))
            {
                (status, denied) = (403, context.Request.Headers[CsrfHeader].Count == 0
                    ? "This request changes something and came with a login cookie but without its X-CSRF-Token header: " +
                      "a page of another site cannot act for you. Reload the dashboard and try again."
                    : "This request's X-CSRF-Token is not the one of the session its cookie belongs to (a page left open from " +
                      "before you logged in again?). Reload the dashboard and try again.");
            }
            else if (requirement is null)
            {
                if (principal.Kind != PrincipalKind.Local)
                {
                    (status, denied) = (403, "This endpoint is only available on the server itself.");
                }
            }
            else if (requirement.NoGrant)
            {
                // Signed in is all it takes.
            }
            else if (requirement.AnyGrant ? principal.Grants.Count == 0 : !principal.Can(requirement.Permission, target))
            {
                (status, denied) = (403, Missing(principal, requirement.Permission, target, action));
            }
            var who = principal?.Name ?? "anonymous";
            var address = context.Connection.RemoteIpAddress?.ToString() ?? principal?.Name;
            var client = context.Request.Headers.UserAgent.ToString();
            if (denied is not null)
            {
                audit.Record(who, address, client, action, target, refusal is null ? null : "credentials refused", AuditLog.Denied);
                context.Response.StatusCode = status;
                if (context.Request.Path.StartsWithSegments("/git"))
                {
                    // git asks for credentials only after a 401 that names Basic, and shows a text/plain body as
                    // "remote: ..." lines (a JSON one it would not print).
                    if (status == 401)
                    {
                        context.Response.Headers.WWWAuthenticate = "Basic realm=\"slipway\", charset=\"UTF-8\"";
                    }
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync(denied + "\n");
                    return;
                }
                var title = status == 401 ? "Unauthorized" : "Forbidden";
                if (await DashboardPage.TryWriteProblemAsync(context, status, title, denied))
                {
                    return;
                }
                await context.Response.WriteAsJsonAsync(new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = status,
                    Title = title,
                    Detail = denied,
                }, options: null, contentType: "application/problem+json");
                return;
            }
            int? thrown = null;
            try
            {
                await next(context);
            }
            catch (UserException e)
            {
                thrown = e.StatusCode;
                throw;
            }
            catch (OperationCanceledException)
            {
                // The caller went away (Ctrl+C, a cut connection) and the operation was cancelled with the request;
                // any other cancellation escaping an endpoint is a failure of ours.
                thrown = context.RequestAborted.IsCancellationRequested ? StatusCodes.Status499ClientClosedRequest : 500;
                throw;
            }
            catch (Exception)
            {
                thrown = 500;
                throw;
            }
            finally
            {
                // Public endpoints (login, setup) write their own lines: they know whose name was tried.
                var code = thrown ?? AuditedStatus(context);
                var changes = !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method);
                var revealed = context.Items.ContainsKey(RevealedKey) || requirement?.Permission == Permission.RevealSecrets;
                if (endpoint is not null && !isPublic && (changes || revealed || code is 401 or 403))
                {
                    var outcome = code is 401 or 403 ? AuditLog.Denied : code >= 400 ? AuditLog.Failed : AuditLog.Allowed;
                    var name = context.Items.TryGetValue(ActionKey, out var a) && a is string s ? s : action;
                    var detail = context.Items.TryGetValue(DetailKey, out var d) ? d as string : null;
                    if (code == StatusCodes.Status499ClientClosedRequest)
                    {
                        detail = (detail is null ? "" : detail + "; ") + "cancelled: the caller went away";
                    }
                    audit.Record(who, address, client, name, target, detail, outcome);
                }
            }
        });
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private static readonly uint PlatformUid = GetEuid();

    /// <summary>The principal of the request, why its credentials were refused, and whether it came by cookie.</summary>
    private static (Principal?, string?, bool) Identify(HttpContext context, AccessService access, string? legacyToken)
    {
        if (PeerUid(context) is { } uid)
        {
            // The socket is 0600 in a 0700 directory: only the platform's own user and root can connect. Anything
            // else (a peer whose credentials could not be read) is refused rather than made owner (access review).
            return uid == PlatformUid || uid == 0
                ? (Principal.Local(uid), null, false)
                : (null, "The API socket answers only the platform's own user and root; use a login or a token ('slipway login').", false);
        }
        var address = context.Connection.RemoteIpAddress?.ToString();
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            // Basic is how git sends credentials (any user name, the token as password): git push over HTTPS.
            var secret = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim()
                : authorization.StartsWith("Basic ", StringComparison.Ordinal) ? BasicPassword(authorization["Basic ".Length..].Trim())
                : null;
            if (secret is null)
            {
                return (null, "Send 'Authorization: Bearer <token>' (or, from git, Basic with the token as the password).", false);
            }
            if (legacyToken is not null && ApiToken.Matches(legacyToken, authorization))
            {
                // The api-token file on the server: whoever can read it is the server's owner anyway.
                return (new Principal(PrincipalKind.Local, "api-token", "local:api-token", [new Grant(Role.Owner)]), null, false);
            }
            var (principal, _, refusal) = access.Authenticate(secret, address);
            return (principal, refusal, false);
        }
        if (context.Request.Cookies.TryGetValue(SessionCookieFor(context), out var cookie) && cookie is { Length: > 0 })
        {
            if (!cookie.StartsWith(Credentials.SessionPrefix, StringComparison.Ordinal))
            {
                // Only a browser session lives in the cookie: a token put there would pass for one without its CSRF
                // token (review).
                return (null, "The login cookie holds no browser session. Log in again.", true);
            }
            var (principal, session, refusal) = access.Authenticate(cookie, address, browser: true);
            if (session is not null)
            {
                context.Items[SessionKey] = session;
            }
            return (principal, refusal, true);
        }
        return (null, null, false);
    }

    /// <summary>The password of a Basic credential (user:password, base64), or null when it is not one.</summary>
    private static string? BasicPassword(string encoded)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon >= 0 && colon < text.Length - 1 ? text[(colon + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool CsrfOk(HttpContext context, AccessService access) =>
        context.Items.TryGetValue(SessionKey, out var s) && s is SessionRecord session &&
        context.Request.Headers[CsrfHeader].ToString() is { Length: > 0 } given &&
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(given), System.Text.Encoding.ASCII.GetBytes(session.Csrf));

    /// <summary>The uid of the process at the other end of a Unix socket connection (SO_PEERCRED), or null for TCP.</summary>
    private static uint? PeerUid(HttpContext context)
    {
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is not { AddressFamily: AddressFamily.Unix })
        {
            return null;
        }
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        const int SolSocket = 1, SoPeerCred = 17;
        return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == 12 ? BitConverter.ToUInt32(credentials[4..8]) : uint.MaxValue;
    }

    private static AppRef? AppScopeOf(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("app", out var key) && key is string k ? AppScope.Of(context, k) : null;

    /// <summary>"alice is viewer of shop; deploying shop (staging) needs deployer of shop or of shop (staging).
    /// An admin of shop can change that: slipway users role alice deployer --app shop".</summary>
    private static string Missing(Principal principal, Permission permission, AppRef? target, string action)
    {
        var needed = AccessMatrix.Needs(permission);
        var has = principal.RoleAt(target) is { } role ? $"is {JsonSpellings.Of(role)}" + (target is { } t ? $" of {t}" : " here") : target is { } t2 ? $"has no role for {t2}" : "has no platform-wide role";
        var scope = AccessMatrix.IsGlobal(permission) || target is null ? "on the whole platform" : $"of {target.Value.App}" + (target.Value.IsProduction ? "" : $" or of {target}");
        var fix = principal.Kind == PrincipalKind.Token
            ? "Make a token with that role: 'slipway tokens create'."
            : $"An {(needed == Role.Owner ? "owner" : "admin")} can change that: 'slipway users role {principal.Name} {JsonSpellings.Of(needed)}" +
              (target is { } t3 && !AccessMatrix.IsGlobal(permission) ? $" {t3.Flags}'." : "'.");
        return $"{principal.Name} {has}; {action} needs {JsonSpellings.Of(needed)} {scope}. {fix}";
    }
}
