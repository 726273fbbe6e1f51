using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Slipway.Tests.Monitoring;

/// <summary>A real syslog receiver on 127.0.0.1: TCP (RFC 6587) or TLS (RFC 5425) with the given certificate, reading
/// octet-counted frames ("LEN SP MSG") and splitting each RFC 5424 message into its header fields and its UTF-8 text.</summary>
internal sealed class SyslogReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Frame> _frames = [];
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    /// <summary>One message: its header fields (PRI and version, timestamp, hostname, app-name, procid, msgid, structured
    /// data), whether the text came after a BOM, and the text.</summary>
    internal sealed record Frame(string[] Header, bool Bom, string Message);

    private SyslogReceiver(X509Certificate2? certificate)
    {
        _certificate = certificate;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<Frame> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    public static SyslogReceiver Start(X509Certificate2? certificate = null) => new(certificate);

    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Frames.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
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
                    _connections.Add(ReadAsync(client));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReadAsync(TcpClient client)
    {
        using (client)
        {
            Stream stream = client.GetStream();
            try
            {
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                    stream = tls;
                }
                using var reader = new BufferedStream(stream);
                while (await ReadFrameAsync(reader) is { } frame)
                {
                    lock (_gate)
                    {
                        _frames.Add(Parse(frame));
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The client went away, or refused our certificate.
            }
            finally
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>"LEN SP" then exactly LEN bytes; null at the end of the stream.</summary>
    private async Task<byte[]?> ReadFrameAsync(Stream stream)
    {
        var length = 0;
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }
            if (one[0] == ' ')
            {
                break;
            }
            one[0].Should().BeInRange((byte)'0', (byte)'9', "an octet count is digits, then a space");
            length = (length * 10) + (one[0] - '0');
        }
        var frame = new byte[length];
        await stream.ReadExactlyAsync(frame, _stop.Token);
        return frame;
    }

    private static Frame Parse(byte[] frame)
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        var split = frame.AsSpan().IndexOf(bom);
        var header = Encoding.ASCII.GetString(frame, 0, split < 0 ? frame.Length : split).TrimEnd(' ').Split(' ');
        var message = split < 0 ? "" : Encoding.UTF8.GetString(frame, split + 3, frame.Length - split - 3);
        return new Frame(header, split >= 0, message);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections);
        _stop.Dispose();
        _listener.Dispose();
    }
}
