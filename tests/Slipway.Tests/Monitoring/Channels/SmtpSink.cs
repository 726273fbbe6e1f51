using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Tests.Monitoring.Channels;

/// <summary>An SMTP server of the test's own on 127.0.0.1 that keeps what it is sent: enough of RFC 5321 for a real
/// client (MailKit) to deliver mail — 220 greeting, EHLO/HELO, optional AUTH PLAIN, MAIL FROM, RCPT TO, DATA up to
/// ".", RSET, NOOP, QUIT. No STARTTLS is offered. <see cref="RejectData"/> answers DATA with that reply instead
/// (a 4xx or 5xx line) to test failures.</summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Mail> _mails = [];
    private readonly List<Task> _sessions = [];
    private Task _accept = Task.CompletedTask;

    /// <summary>One message as received: the envelope, the DATA text (dot-unstuffed), and the AUTH PLAIN credentials.</summary>
    public sealed record Mail(string From, IReadOnlyList<string> To, string Data, string? User, string? Password)
    {
        public string Header(string name) =>
            Data.Split("\r\n").TakeWhile(l => l.Length > 0).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim() ?? "";

        public string Body => Data[(Data.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>When set (like "451 4.3.0 try later"), DATA is answered with it and nothing is kept.</summary>
    public string? RejectData { get; set; }

    /// <summary>Whether EHLO offers AUTH PLAIN (and AUTH is required before MAIL).</summary>
    public bool RequireAuth { get; init; }

    public IReadOnlyList<Mail> Mails
    {
        get
        {
            lock (_gate)
            {
                return [.. _mails];
            }
        }
    }

    public static SmtpSink Start(bool requireAuth = false)
    {
        var sink = new SmtpSink { RequireAuth = requireAuth };
        sink._listener.Start();
        sink._accept = sink.AcceptAsync();
        return sink;
    }

    public async Task<IReadOnlyList<Mail>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (Mails.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return Mails;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_gate)
                {
                    _sessions.Add(SessionAsync(client));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 sink.test ESMTP ready");
            string? from = null, user = null, password = null;
            var to = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-sink.test");
                        await writer.WriteLineAsync(RequireAuth ? "250-AUTH PLAIN" : "250-8BITMIME");
                        await writer.WriteLineAsync("250 SMTPUTF8");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 sink.test");
                        break;
                    case "AUTH":
                        var parts = line.Split(' ');
                        var encoded = parts.Length > 2 ? parts[2] : await Continue(reader, writer);
                        var plain = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)).Split('\0');
                        (user, password) = (plain[1], plain[2]);
                        await writer.WriteLineAsync("235 2.7.0 accepted");
                        break;
                    case "MAIL":
                        if (RequireAuth && user is null)
                        {
                            await writer.WriteLineAsync("530 5.7.0 authentication required");
                            break;
                        }
                        from = Address(line);
                        to.Clear();
                        await writer.WriteLineAsync("250 2.1.0 ok");
                        break;
                    case "RCPT":
                        to.Add(Address(line));
                        await writer.WriteLineAsync("250 2.1.5 ok");
                        break;
                    case "DATA":
                        if (RejectData is { } reject)
                        {
                            await writer.WriteLineAsync(reject);
                            break;
                        }
                        await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        }
                        lock (_gate)
                        {
                            _mails.Add(new Mail(from ?? "", [.. to], data.ToString(), user, password));
                        }
                        await writer.WriteLineAsync("250 2.0.0 queued");
                        break;
                    case "RSET":
                        (from, to) = (null, []);
                        await writer.WriteLineAsync("250 ok");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 ok");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 not implemented");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static async Task<string> Continue(StreamReader reader, StreamWriter writer)
    {
        await writer.WriteLineAsync("334 ");
        return await reader.ReadLineAsync() ?? "";
    }

    private static string Address(string line)
    {
        var open = line.IndexOf('<', StringComparison.Ordinal);
        var close = line.IndexOf('>', StringComparison.Ordinal);
        return open >= 0 && close > open ? line[(open + 1)..close] : "";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        Task[] sessions;
        lock (_gate)
        {
            sessions = [.. _sessions];
        }
        await Task.WhenAll(sessions);
        _stop.Dispose();
    }
}
