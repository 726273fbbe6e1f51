using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>An e-mail channel: one SMTP conversation per message (MailKit), plain text, subject "[FIRING] title".
///
/// Transport security: smtps:// is TLS from the first byte. smtp:// uses STARTTLS when the server offers it, and
/// requires it when the channel has a password and the server is not on this machine (a password never crosses a
/// network in the clear). A server on loopback is spoken to in the clear: nothing crosses a network, and a local MTA's
/// STARTTLS usually has a self-signed ("snakeoil") certificate that would fail verification. Certificates are verified
/// against the system's roots.
///
/// A 4xx reply, a timeout or a network error is retried soon; a 5xx reply (unknown recipient, authentication failed)
/// or a TLS failure is refused: retried slowly, since it needs a fix.</summary>
internal sealed class EmailChannelTarget : ChannelTarget
{
    private readonly Uri _server;
    private readonly string? _user;
    private readonly string? _password;
    private readonly IReadOnlyList<string> _recipients;
    private readonly string _from;
    private readonly string _platformHost;

    public EmailChannelTarget(ChannelRecord record, ChannelSecrets secrets, string platformHost) : base(secrets)
    {
        _server = new Uri(secrets.Url, UriKind.Absolute);
        _user = _server.UserInfo.Length > 0 ? Uri.UnescapeDataString(_server.UserInfo) : null;
        _password = secrets.SmtpPassword;
        _recipients = record.RecipientList;
        _from = record.Sender ?? $"slipway@{platformHost}";
        _platformHost = platformHost;
    }

    /// <summary>How the conversation is secured (see the class comment).</summary>
    public static SecureSocketOptions Security(Uri server, bool hasPassword) =>
        server.Scheme == "smtps" ? SecureSocketOptions.SslOnConnect
        : server.IsLoopback ? SecureSocketOptions.None
        : hasPassword ? SecureSocketOptions.StartTls
        : SecureSocketOptions.StartTlsWhenAvailable;

    public override async Task<DrainAttempt> SendAsync(ChannelMessage message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var mail = Compose(message);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var smtp = new SmtpClient { Timeout = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue) };
        try
        {
            await smtp.ConnectAsync(_server.Host, _server.Port, Security(_server, _password is not null), limit.Token);
            if (_user is not null && _password is not null)
            {
                await smtp.AuthenticateAsync(_user, _password, limit.Token);
            }
            await smtp.SendAsync(mail, limit.Token);
            await smtp.DisconnectAsync(quit: true, limit.Token);
            return DrainAttempt.Delivered;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DrainAttempt(DrainOutcome.Unavailable, $"the SMTP server did not finish within {Durations.Format(timeout)}");
        }
        catch (SmtpCommandException e)
        {
            var reply = Scrub($"the SMTP server answered {(int)e.StatusCode}: {e.Message.Trim()}");
            return (int)e.StatusCode is >= 400 and < 500
                ? new DrainAttempt(DrainOutcome.Unavailable, reply)
                : new DrainAttempt(DrainOutcome.Refused, reply + " (check the recipients, --from and the SMTP account; 'slipway alerts test' tries it)");
        }
        catch (AuthenticationException e)
        {
            return new DrainAttempt(DrainOutcome.Refused, Scrub($"SMTP authentication failed: {e.Message}"));
        }
        catch (SslHandshakeException e)
        {
            return new DrainAttempt(DrainOutcome.Refused, Scrub($"TLS with the SMTP server failed: {e.Message}"));
        }
        catch (NotSupportedException e)
        {
            // StartTls required (a password over the network) but the server does not offer it.
            return new DrainAttempt(DrainOutcome.Refused, Scrub($"the SMTP server does not offer STARTTLS, which a password over the network needs ({e.Message}); use smtps:// or port 587"));
        }
        catch (Exception e) when (e is SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException or ProtocolException)
        {
            return new DrainAttempt(DrainOutcome.Unavailable, Scrub($"SMTP: {e.Message}"));
        }
    }

    public override void Dispose()
    {
    }

    private MimeMessage Compose(ChannelMessage message)
    {
        var mail = new MimeMessage { Subject = ChannelMessage.Cut(message.Headline, 200), Date = message.At };
        mail.From.Add(MailboxAddress.Parse(_from));
        foreach (var recipient in _recipients)
        {
            mail.To.Add(MailboxAddress.Parse(recipient));
        }
        // RFC 3834: no vacation auto-replies to alerts. The ids let a mail filter or a script match notices.
        mail.Headers.Add("Auto-Submitted", "auto-generated");
        mail.Headers.Add("X-Slipway-Notice", message.Id);
        if (message.Notice is { } notice)
        {
            mail.Headers.Add("X-Slipway-Alert", notice.AlertId);
        }
        mail.Body = new TextPart("plain")
        {
            Text = $"{message.Text()}\n-- \nSent by Slipway on {_platformHost} (notice {message.Id}).\n",
        };
        return mail;
    }
}
