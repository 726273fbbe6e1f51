using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Access;

/// <summary>Who may do what: the first owner (one-time setup code), users, logins with an optional second
/// factor, API tokens and sessions. Every check that turns a bearer secret into a <see cref="Principal"/> is here;
/// the API's AccessControl asks it and enforces <see cref="AccessMatrix"/>.</summary>
internal sealed partial class AccessService(AccessStore access, LoginThrottle throttle, Keyring keyring, AccessOptions options)
{
    private const string SetupCodeKey = "setup_code_hash";

    /// <summary>A path of the server (DATA/setup-code), written only while no user exists; `slipway up` prints it.</summary>
    public string? SetupCodePath { get; set; }

    // ---- the first owner

    /// <summary>While the platform has no user: a fresh one-time setup code, its hash stored and the code itself
    /// in <see cref="SetupCodePath"/> (mode 0600) for `slipway up` to print. Never a default password.</summary>
    public void EnsureSetupCode()
    {
        if (access.ListUsers().Count > 0 || SetupCodePath is null)
        {
            return;
        }
        if (access.Setting(SetupCodeKey) is not null && File.Exists(SetupCodePath))
        {
            return;
        }
        var code = string.Join('-', Enumerable.Range(0, 4).Select(_ => RandomNumberGenerator.GetString("abcdefghjkmnpqrstuvwxyz23456789", 5)));
        access.SetSetting(SetupCodeKey, Credentials.Hash(code));
        File.Delete(SetupCodePath);
        using var stream = new FileStream(SetupCodePath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(System.Text.Encoding.UTF8.GetBytes(code + "\n"));
    }

    /// <summary>Creates the owner with the setup code; the code works once.</summary>
    public UserRecord Setup(string code, string name, string password)
    {
        var stored = access.Setting(SetupCodeKey);
        if (stored is null || access.ListUsers().Count > 0)
        {
            throw new UserException("This platform has its owner already: log in ('slipway login URL'), or ask an owner to add you.", 409);
        }
        // Name and password first: a typo in them must not use up the one-time code (access review).
        CheckName(name);
        Passwords.Check(password);
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(Credentials.Hash(code.Trim())), System.Text.Encoding.ASCII.GetBytes(stored)) ||
            !access.TakeSetting(SetupCodeKey, stored))
        {
            throw new UserException("That is not the setup code. On the server, 'slipway up' prints it (it is in the data directory's setup-code file).", 403);
        }
        var user = AddUser(name, password, new Grant(Role.Owner));
        if (SetupCodePath is not null)
        {
            File.Delete(SetupCodePath);
        }
        return user;
    }

    // ---- users

    public UserRecord AddUser(string name, string password, Grant grant)
    {
        CheckName(name);
        Passwords.Check(password);
        var now = access.Now;
        var user = new UserRecord(State.Ids.New("u"), name, Passwords.Hash(password), null, 0, "[]", now, now);
        if (!access.CreateUser(user, grant))
        {
            throw new UserException($"There is a user named {name} already; 'slipway users role {name} ...' changes its role.", 409);
        }
        return user;
    }

    public UserRecord RequireUser(string name) =>
        access.FindUser(name) ?? throw new UserException($"No user named '{name}'. 'slipway users ls' lists them.", 404);

    public IReadOnlyList<string> RemoveUser(string name)
    {
        var user = RequireUser(name);
        if (IsLastOwner(user))
        {
            throw new UserException($"{name} is the platform's only owner: make another user owner first ('slipway users role OTHER owner').", 409);
        }
        return access.DeleteUser(user.Id);
    }

    /// <summary>Sets <paramref name="name"/>'s role at a scope; <paramref name="role"/> null removes its grant there.</summary>
    public void SetRole(string name, Grant grant, bool remove)
    {
        var user = RequireUser(name);
        var demotesOwner = grant.IsGlobal && (remove || grant.Role != Role.Owner);
        if (demotesOwner && IsLastOwner(user))
        {
            throw new UserException($"{name} is the platform's only owner: make another user owner first.", 409);
        }
        if (remove)
        {
            if (!access.RemoveGrant(user.Id, grant.App, grant.Env))
            {
                throw new UserException($"{name} has no role {(grant.IsGlobal ? "on the whole platform" : "for " + grant.Flags)}; 'slipway users ls' shows its roles.", 404);
            }
        }
        else
        {
            access.SetGrant(user.Id, grant);
        }
        RevokeTokensBeyondTheirCreator(user.Id, user.Name);
    }

    /// <summary>A token never outlives its creator's rights: after a demotion, the tokens the user made that it could
    /// no longer make are revoked (found by the access review: a demoted admin kept admin through its token).</summary>
    private void RevokeTokensBeyondTheirCreator(string userId, string userName)
    {
        var creator = new Principal(PrincipalKind.User, userId, userName, access.GrantsOf(userId));
        foreach (var token in access.ListTokens().Where(t => t.CreatedBy == userId && t.RevokedAt is null))
        {
            if (access.GrantsOf(token.Id).Any(g => !creator.MayGrant(g)))
            {
                access.RevokeToken(token.Id);
            }
        }
    }

    public void ResetPassword(string name, string password)
    {
        Passwords.Check(password);
        var user = RequireUser(name);
        access.SetPassword(user.Id, Passwords.Hash(password));
        throttle.Succeeded(name);
    }

    private bool IsLastOwner(UserRecord user) =>
        access.GrantsOf(user.Id).Any(g => g.IsGlobal && g.Role == Role.Owner) && access.CountOwners() <= 1;

    private static void CheckName(string name)
    {
        if (!UserName().IsMatch(name))
        {
            throw new UserException($"'{name}' cannot be a user name: use 1 to 64 letters, digits, '.', '_', '-' or '@' (an email address works).");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")]
    private static partial Regex UserName();

    // ---- second factor

    /// <summary>Starts TOTP for a user: the secret (sealed at rest) and recovery codes, shown once.</summary>
    public (string Secret, string Uri, IReadOnlyList<string> RecoveryCodes) EnableTotp(string name, string issuer)
    {
        var user = RequireUser(name);
        var secret = SecondFactor.NewSecret();
        var (codes, stored) = SecondFactor.NewRecoveryCodes();
        access.SetTotp(user.Id, keyring.Encrypt(secret), stored);
        return (secret, SecondFactor.Uri(secret, name, issuer), codes);
    }

    public void DisableTotp(string name) => access.SetTotp(RequireUser(name).Id, null, "[]");

    // ---- login

    /// <summary>Checks a password (and second factor) and opens a session of <paramref name="kind"/> ("browser"
    /// or "cli"). Every failure is the same words for a wrong name and a wrong password.</summary>
    public LoginOutcome Login(string name, string password, string? code, string kind, string address, string? client)
    {
        if (name.Length > 64 || password.Length > 1024)
        {
            // No user has such a name (or password): refused before it is hashed, counted or stored anywhere.
            return LoginOutcome.Refused("Wrong user name or password.");
        }
        UserRecord? user;
        // One password check at a time: the throttle's check and its count cannot be raced by parallel guesses, and a
        // flood of logins costs one Argon2 hash's memory at a time (access review).
        lock (_passwordCheck)
        {
            if (throttle.RetryAfter(name, address) is { } wait)
            {
                return LoginOutcome.Refused($"Too many failed logins: try again in {Math.Ceiling(wait.TotalSeconds)} s.", 429, wait);
            }
            user = access.FindUser(name);
            var passwordOk = Passwords.Verify(password, user?.PasswordHash ?? Passwords.Decoy) && user is not null;
            if (!passwordOk)
            {
                throttle.Failed(name, address);
                return LoginOutcome.Refused("Wrong user name or password.");
            }
        }
        if (user!.TotpSecretEnc is { } sealedSecret)
        {
            if (string.IsNullOrWhiteSpace(code))
            {
                return LoginOutcome.Refused("This account has a second factor: give the 6-digit code from your authenticator app (or a recovery code).", needsCode: true);
            }
            if (!SecondFactorOk(user, keyring.Decrypt(sealedSecret), code))
            {
                throttle.Failed(name, address);
                return LoginOutcome.Refused("Wrong or already used code.", needsCode: true);
            }
        }
        throttle.Succeeded(name);
        var secret = Credentials.NewSession();
        var now = access.Now;
        var session = new SessionRecord(Credentials.Hash(secret), user.Id, kind, Credentials.NewCsrf(), now,
            now + (kind == "cli" ? options.CliSessionIdle : options.SessionIdle), now, address, client);
        access.CreateSession(session);
        return new LoginOutcome(secret, session, user, 200, null);
    }

    private readonly Lock _passwordCheck = new();

    /// <summary>A signed-in user types their password again before something sensitive (the dashboard's reveal of
    /// secrets): checked as a login checks it, against the same throttle, so the page cannot be used to guess it.
    /// Null when it is right; otherwise the refusal (403 wrong, 429 with how long to wait).</summary>
    public LoginOutcome? Reconfirm(Principal user, string password, string address)
    {
        var record = access.FindUserById(user.Id);
        if (user.Kind != PrincipalKind.User || record is null)
        {
            return LoginOutcome.Refused("Only a signed-in user can confirm a password.", 400);
        }
        if (password.Length > 1024)
        {
            return LoginOutcome.Refused("That is not your password; nothing was revealed.", 403);
        }
        lock (_passwordCheck)
        {
            if (throttle.RetryAfter(record.Name, address) is { } wait)
            {
                return LoginOutcome.Refused($"Too many wrong passwords: try again in {Math.Ceiling(wait.TotalSeconds)} s.", 429, wait);
            }
            if (!Passwords.Verify(password, record.PasswordHash))
            {
                throttle.Failed(record.Name, address);
                return LoginOutcome.Refused("That is not your password; nothing was revealed. Type the password you sign in with.", 403);
            }
        }
        throttle.Succeeded(record.Name);
        return null;
    }

    private bool SecondFactorOk(UserRecord user, string secret, string code)
    {
        if (SecondFactor.Match(secret, code, access.Now) is { } step)
        {
            return access.UseTotpStep(user.Id, step);
        }
        return SecondFactor.UseRecoveryCode(user.RecoveryJson, code) is { } rest && access.ReplaceRecoveryCodes(user.Id, user.RecoveryJson, rest);
    }

    public void Logout(string secret) => access.DeleteSession(Credentials.Hash(secret));

    // ---- bearer secrets → principals

    /// <summary>The principal a bearer token or session secret stands for, or why it is refused.</summary>
    public (Principal? Principal, SessionRecord? Session, string? Refusal) Authenticate(string secret, string? address, bool browser = false)
    {
        var now = access.Now;
        if (secret.StartsWith(Credentials.TokenPrefix, StringComparison.Ordinal))
        {
            var token = access.FindTokenByHash(Credentials.Hash(secret));
            if (token is null)
            {
                return (null, null, "This token is not known to this platform (mistyped, or from another platform).");
            }
            if (token.RevokedAt is not null)
            {
                return (null, null, $"Token {token.Name} was revoked; ask an admin for a new one ('slipway tokens create').");
            }
            if (token.ExpiresAt is { } expires && expires <= now)
            {
                return (null, null, $"Token {token.Name} expired on {UtcTime.Format(expires)}; ask an admin for a new one ('slipway tokens create').");
            }
            access.TouchToken(token.Id, address);
            var creator = access.FindUserById(token.CreatedBy)?.Name ?? token.CreatedBy;
            return (new Principal(PrincipalKind.Token, token.Id, $"token:{token.Name} (by {creator})", access.GrantsOf(token.Id)), null, null);
        }
        if (secret.StartsWith(Credentials.SessionPrefix, StringComparison.Ordinal))
        {
            var session = access.FindSession(Credentials.Hash(secret));
            if (session is null || session.ExpiresAt <= now || (browser != (session.Kind == "browser")) ||
                (session.Kind == "browser" && session.CreatedAt + options.SessionMax <= now))
            {
                return (null, null, "Your login has ended; log in again ('slipway login URL').");
            }
            var user = access.FindUserById(session.UserId);
            if (user is null)
            {
                return (null, null, "This user no longer exists.");
            }
            access.TouchSession(session.Hash, Min(now + (session.Kind == "cli" ? options.CliSessionIdle : options.SessionIdle),
                session.Kind == "cli" ? DateTimeOffset.MaxValue : session.CreatedAt + options.SessionMax));
            return (new Principal(PrincipalKind.User, user.Id, user.Name, access.GrantsOf(user.Id)), session, null);
        }
        return (null, null, "That is neither a Slipway token (slp_…) nor a login (sls_…).");
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // ---- tokens

    /// <summary>Creates a token with <paramref name="grant"/>, which <paramref name="creator"/> must be allowed to
    /// hand out; returns the secret (shown once, never stored).</summary>
    public (string Secret, TokenRecord Token) CreateToken(Principal creator, string name, Grant grant, TimeSpan? lifetime)
    {
        if (creator.Kind == PrincipalKind.Token)
        {
            // A token minting tokens would escape its own expiry and its creator's revocation (access review).
            throw new UserException("A token cannot make tokens: sign in as a user ('slipway login') and run 'slipway tokens create' there.", 403);
        }
        if (!creator.MayGrant(grant))
        {
            throw new UserException($"You cannot make a token that is {grant}: a token can have at most your own role, within your own scope.", 403);
        }
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            throw new UserException("Give the token a name of at most 100 characters that says where it is used (--name github-actions).");
        }
        var secret = Credentials.NewToken();
        var now = access.Now;
        var token = new TokenRecord(State.Ids.New("t"), name.Trim(), Credentials.Hash(secret), Credentials.Hint(secret), creator.Id, now,
            lifetime is { } l ? now + l : null, null, null, null);
        access.CreateToken(token, grant);
        return (secret, token);
    }

    /// <summary>Tokens <paramref name="viewer"/> may manage: all for a global admin, else those within its scopes.</summary>
    public IReadOnlyList<(TokenRecord Token, Grant Grant, string Creator)> Tokens(Principal viewer)
    {
        var grants = access.AllGrants();
        var names = access.ListUsers().ToDictionary(u => u.Id, u => u.Name, StringComparer.Ordinal);
        return access.ListTokens()
            .Select(t => (Token: t, Grant: grants.TryGetValue(t.Id, out var g) && g.Count > 0 ? g[0] : new Grant(Role.Viewer), Creator: names.GetValueOrDefault(t.CreatedBy, t.CreatedBy)))
            .Where(t => viewer.MayGrant(t.Grant) && viewer.Grants.Any(own => own.Role >= Role.Admin && t.Grant.IsWithin(own)))
            .ToList();
    }

    public TokenRecord RevokeToken(Principal actor, string nameOrId)
    {
        var matches = Tokens(actor).Where(t => t.Token.Id == nameOrId || t.Token.Name == nameOrId).ToList();
        if (matches.Count == 0)
        {
            throw new UserException($"No token '{nameOrId}' that you manage; 'slipway tokens ls' lists them.", 404);
        }
        if (matches.Count > 1)
        {
            throw new UserException($"Several tokens are named {nameOrId}: revoke one by its id ({string.Join(", ", matches.Select(m => m.Token.Id))}).", 409);
        }
        access.RevokeToken(matches[0].Token.Id);
        return matches[0].Token;
    }
}

/// <summary>How a login went: a session, or a refusal with its HTTP status (401; 429 with Retry-After when
/// throttled) and whether a second-factor code is what is missing.</summary>
internal sealed record LoginOutcome(string? Secret, SessionRecord? Session, UserRecord? User, int Status, string? Refusal,
    TimeSpan? RetryAfter = null, bool NeedsCode = false)
{
    public static LoginOutcome Refused(string message, int status = 401, TimeSpan? retryAfter = null, bool needsCode = false) =>
        new(null, null, null, status, message, retryAfter, needsCode);
}
