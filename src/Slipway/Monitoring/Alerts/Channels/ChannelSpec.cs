using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MimeKit;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>An alert channel as the user declared it (`slipway channels add`), checked whole: every mistake is reported
/// at once, naming its flag and what to write instead, and no message repeats a secret.</summary>
/// <param name="Url">The webhook's URL (Slack and Discord URLs hold their token in the path), or the SMTP server
/// (smtp:// or smtps://, with the user name if any). A secret: sealed at rest, shown only as <see cref="Destination"/>.</param>
/// <param name="SigningSecret">A webhook's HMAC key (Slipway-Signature), generated unless the user gave one.</param>
/// <param name="MinSeverity">The least severity the channel takes (warning: all).</param>
/// <param name="Apps">App names (every environment of each) whose alerts it takes; empty: every app's and the
/// platform's own.</param>
internal sealed partial record ChannelSpec(string Name, ChannelKind Kind, Uri Url, IReadOnlyList<string> Recipients, string? From,
    string? SigningSecret, string? SmtpPassword, AlertSeverity MinSeverity, IReadOnlyList<string> Apps)
{
    public const int MinSecretLength = 16;

    /// <summary>What `channels ls` shows: scheme://host:port with *** for user info, path and query; for e-mail the
    /// recipients (not secrets) and the masked SMTP server.</summary>
    public string Destination => Kind == ChannelKind.Email ? $"{string.Join(", ", Recipients)} via {Mask(Url)}" : Mask(Url);

    /// <param name="platformHost">The platform's host name: the default sender is slipway@ it.</param>
    public static ChannelSpec Parse(string? name, string? webhook, string? slack, string? discord, string? email, string? smtp, string? from,
        string? secret, string? smtpPassword, string? severity, IReadOnlyList<string>? apps, string platformHost)
    {
        var errors = new List<string>();
        if (name is null || !ChannelName().IsMatch(name))
        {
            errors.Add($"The channel name '{name}' cannot be used: give 1-40 lowercase letters, digits and dashes, starting with a letter (like ops or team-chat).");
        }
        var given = new[] { ("--webhook", webhook), ("--slack", slack), ("--discord", discord), ("--email", email) }.Where(d => d.Item2 is not null).ToList();
        ChannelKind kind = ChannelKind.Webhook;
        Uri? url = null;
        IReadOnlyList<string> recipients = [];
        if (given.Count != 1)
        {
            errors.Add(given.Count == 0
                ? "Give one destination: --webhook URL (signed JSON), --slack URL, --discord URL (their incoming webhooks), or --email ADDRESSES --smtp smtp://HOST:PORT."
                : $"Give one destination, not {string.Join(" and ", given.Select(d => d.Item1))}: add one channel per destination.");
        }
        else if (email is not null)
        {
            kind = ChannelKind.Email;
            recipients = ParseRecipients(email, errors);
            url = ParseSmtp(smtp, smtpPassword, errors);
        }
        else
        {
            (kind, var flag, var value) = webhook is not null ? (ChannelKind.Webhook, "--webhook", webhook)
                : slack is not null ? (ChannelKind.Slack, "--slack", slack) : (ChannelKind.Discord, "--discord", discord!);
            url = ParseWebhook(flag, value, errors);
        }
        if (kind != ChannelKind.Email)
        {
            foreach (var (flag, value) in new[] { ("--smtp", smtp), ("--from", from), ("--smtp-password-stdin", smtpPassword) })
            {
                if (value is not null)
                {
                    errors.Add($"{flag} is for --email channels; leave it out.");
                }
            }
        }
        if (kind != ChannelKind.Webhook && secret is not null)
        {
            errors.Add("--secret-stdin is for --webhook channels (the key of their Slipway-Signature); leave it out.");
        }
        if (kind == ChannelKind.Webhook && secret is not null && (secret.Length < MinSecretLength || secret.Any(char.IsWhiteSpace)))
        {
            errors.Add($"--secret-stdin: the signing secret must be at least {MinSecretLength} characters without spaces; or leave it out and Slipway makes one.");
        }
        var sender = kind == ChannelKind.Email ? ParseFrom(from, platformHost, errors) : null;
        var minimum = AlertSeverity.Warning;
        if (severity is not null && !JsonSpellings.TryParse(severity, out minimum))
        {
            errors.Add($"--severity: expected warning (every alert) or critical (critical ones only), got '{severity}'.");
        }
        var appNames = (apps ?? []).Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        foreach (var app in appNames.Where(a => !AppName().IsMatch(a)))
        {
            errors.Add($"--apps: '{app}' is not an app name; give app names separated by commas, like --apps shop,billing (every environment of each).");
        }
        if (errors.Count > 0)
        {
            throw new UserException(string.Join("\n", errors));
        }
        var signing = kind == ChannelKind.Webhook ? secret ?? NewSecret() : null;
        return new ChannelSpec(name!, kind, url!, recipients, sender, signing, smtpPassword, minimum, appNames);
    }

    /// <summary>scheme://host:port, with "***@" for user info and "/***" for a path or query (like the drains).</summary>
    public static string Mask(Uri url)
    {
        var masked = url.Scheme + "://" + (url.UserInfo.Length > 0 ? "***@" : "") + url.Authority;
        return url.PathAndQuery is "/" or "" ? masked : masked + "/***";
    }

    /// <summary>A signing secret: 32 random bytes in hex.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static Uri? ParseWebhook(string flag, string value, List<string> errors)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            errors.Add($"{flag}: expected an absolute https:// URL (the incoming webhook's), like https://hooks.example.com/T000/B000/XXXX.");
            return null;
        }
        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            errors.Add($"{flag} {Mask(uri)}: alerts and the webhook's token must travel encrypted, so use https://. Plain http:// is allowed only to 127.0.0.1 or localhost.");
            return null;
        }
        if (uri.Fragment.Length > 0)
        {
            errors.Add($"{flag} {Mask(uri)}: a #fragment is never sent to the receiver; leave it out.");
            return null;
        }
        return uri;
    }

    private static List<string> ParseRecipients(string email, List<string> errors)
    {
        var recipients = new List<string>();
        foreach (var address in email.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IsAddress(address))
            {
                recipients.Add(address);
            }
            else
            {
                errors.Add($"--email: '{address}' is not an e-mail address; give addresses separated by commas, like --email ops@example.com,oncall@example.com.");
            }
        }
        if (recipients.Count == 0 && !errors.Any(e => e.StartsWith("--email", StringComparison.Ordinal)))
        {
            errors.Add("--email: give at least one address, like --email ops@example.com.");
        }
        return recipients.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static Uri? ParseSmtp(string? smtp, string? password, List<string> errors)
    {
        if (smtp is null)
        {
            errors.Add("--email needs --smtp smtp://[USER@]HOST:PORT (STARTTLS) or smtps://[USER@]HOST:PORT (TLS from the start): the server that sends the mail.");
            return null;
        }
        if (!Uri.TryCreate(smtp, UriKind.Absolute, out var uri) || uri.Scheme is not ("smtp" or "smtps") || uri.Host.Length == 0 ||
            uri.PathAndQuery is not ("/" or "") || uri.Fragment.Length > 0)
        {
            errors.Add($"--smtp: expected smtp://HOST:PORT or smtps://HOST:PORT (optionally USER@ before the host), got '{Shown(smtp)}'.");
            return null;
        }
        if (uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            errors.Add("--smtp: leave the password out of the URL (it would stay in your shell's history); pipe it in with --smtp-password-stdin.");
            return null;
        }
        if (uri.Port <= 0)
        {
            // Uri knows no default port for these schemes: the usual ones.
            uri = new UriBuilder(uri) { Port = uri.Scheme == "smtps" ? 465 : 587 }.Uri;
        }
        if (uri.UserInfo.Length > 0 && password is null)
        {
            errors.Add($"--smtp {Mask(uri)} names a user: give its password with --smtp-password-stdin.");
        }
        if (uri.UserInfo.Length == 0 && password is not null)
        {
            errors.Add("--smtp-password-stdin needs the user in --smtp, like smtp://alerts@mail.example.com:587.");
        }
        if (password is { Length: 0 })
        {
            errors.Add("--smtp-password-stdin: standard input was empty.");
        }
        return uri;
    }

    private static string? ParseFrom(string? from, string platformHost, List<string> errors)
    {
        var address = from ?? $"slipway@{platformHost}";
        if (IsAddress(address))
        {
            return address;
        }
        errors.Add(from is null
            ? $"--from: the default sender slipway@{platformHost} is not an e-mail address (the platform's host name is not a domain); give --from alerts@example.com."
            : $"--from: '{from}' is not an e-mail address; give one like --from alerts@example.com.");
        return null;
    }

    private static bool IsAddress(string text) =>
        !text.AsSpan().ContainsAny('\r', '\n', ' ') && MailboxAddress.TryParse(text, out var mailbox) && string.IsNullOrEmpty(mailbox.Name) &&
        mailbox.Address == text && mailbox.Domain.Length > 0 && mailbox.LocalPart.Length > 0;

    /// <summary>What a refused --smtp showed, without what could be a password.</summary>
    private static string Shown(string smtp)
    {
        var at = smtp.LastIndexOf('@');
        var scheme = smtp.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? smtp[..(scheme + 3)] + "***" + smtp[at..] : smtp;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex ChannelName();

    // As Deploy.AppNames: an app name, which names every environment of the app.
    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex AppName();
}
