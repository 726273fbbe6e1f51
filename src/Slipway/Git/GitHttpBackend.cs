using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Slipway.Git;

/// <summary>Runs `git http-backend`, git's own smart-HTTP server, as a CGI program for one request: git speaks the
/// protocol (v0 and v2, packs, side-band progress, keepalives during a long pre-receive hook); this class only passes
/// the request in and streams the answer out as it comes, so a pusher sees the hook's lines live.
///
///   request body ──stdin──► git http-backend ──stdout: CGI head, blank line, body──► response (flushed per read)
///                                  └─ stderr ─► platform log (its errors name repository paths, never credentials)
///
/// The environment is built from nothing (<see cref="GitProcess"/>): no variable of the platform reaches git or its
/// hooks; <paramref name="settings"/> of <see cref="RunAsync"/> are passed as GIT_CONFIG_* entries (git ≥ 2.31).</summary>
internal sealed partial class GitHttpBackend(GitOptions options, ILogger<GitHttpBackend> logger)
{
    /// <summary>Runs one request. <paramref name="respond"/> gets the head once git printed it and returns the stream
    /// the body goes to. Returns git's exit code.</summary>
    public async Task<int> RunAsync(CgiRequest request, Stream input, Func<CgiHead, Stream> respond,
        IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> environment, CancellationToken token)
    {
        using var process = GitProcess.Start(options.ReposDir, Environment(request, settings, environment), input: true, "http-backend");
        using var kill = token.Register(() => Kill(process));
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var feed = FeedAsync(input, process.StandardInput.BaseStream, token);
        try
        {
            await CopyAnswerAsync(process.StandardOutput.BaseStream, respond, token);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        finally
        {
            // Awaited: the caller removes the hook's pipes next, which a receive-pack still stopping may hold.
            await GitProcess.StopAsync(process);
        }
        await feed;
        var errors = (await stderr).Trim();
        if (process.ExitCode != 0 || errors.Length > 0)
        {
            LogBackend(logger, request.Method, request.PathInfo, process.ExitCode, errors);
        }
        return process.ExitCode;
    }

    /// <summary>The CGI variables of RFC 3875 that http-backend reads, and nothing of the platform's own environment.</summary>
    internal IEnumerable<KeyValuePair<string, string>> Environment(CgiRequest request, IReadOnlyDictionary<string, string> settings,
        IReadOnlyDictionary<string, string> environment)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GIT_PROJECT_ROOT"] = options.ReposDir,
            ["GIT_HTTP_EXPORT_ALL"] = "1",
            ["GATEWAY_INTERFACE"] = "CGI/1.1",
            ["SERVER_PROTOCOL"] = "HTTP/1.1",
            ["REQUEST_METHOD"] = request.Method,
            ["PATH_INFO"] = request.PathInfo,
            ["QUERY_STRING"] = request.QueryString.TrimStart('?'),
            ["REMOTE_USER"] = request.RemoteUser,
            ["REMOTE_ADDR"] = request.RemoteAddress ?? "",
        };
        if (request.ContentType is { } type)
        {
            variables["CONTENT_TYPE"] = type;
        }
        if (request.ContentLength is { } length)
        {
            variables["CONTENT_LENGTH"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (request.ContentEncoding is { } encoding)
        {
            variables["HTTP_CONTENT_ENCODING"] = encoding;
        }
        if (request.GitProtocol is { } protocol)
        {
            variables["GIT_PROTOCOL"] = protocol;
            variables["HTTP_GIT_PROTOCOL"] = protocol;
        }
        var i = 0;
        foreach (var (key, value) in settings)
        {
            variables[$"GIT_CONFIG_KEY_{i}"] = key;
            variables[$"GIT_CONFIG_VALUE_{i}"] = value;
            i++;
        }
        variables["GIT_CONFIG_COUNT"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment)
        {
            variables[name] = value;
        }
        return variables;
    }

    /// <summary>The request body into git's stdin, then end of input (a chunked push has no length: git reads to the end).</summary>
    private static async Task FeedAsync(Stream input, Stream stdin, CancellationToken token)
    {
        try
        {
            await input.CopyToAsync(stdin, token);
        }
        catch (IOException)
        {
            // git stopped reading (it refused the request early); its answer says why.
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Reads the CGI head (lines up to a blank one), hands it over, then copies the body as it comes.</summary>
    private static async Task CopyAnswerAsync(Stream stdout, Func<CgiHead, Stream> respond, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        int headEnd;
        int separator;
        while (true)
        {
            (headEnd, separator) = FindBlankLine(buffer.AsSpan(0, filled));
            if (headEnd >= 0)
            {
                break;
            }
            if (filled == buffer.Length)
            {
                throw new InvalidDataException("git http-backend printed a head longer than 64 KiB");
            }
            var read = await stdout.ReadAsync(buffer.AsMemory(filled), token);
            if (read == 0)
            {
                throw new InvalidDataException("git http-backend ended before its CGI head");
            }
            filled += read;
        }
        var head = ParseHead(Encoding.ASCII.GetString(buffer, 0, headEnd));
        var body = respond(head);
        var rest = headEnd + separator;
        if (filled > rest)
        {
            await body.WriteAsync(buffer.AsMemory(rest, filled - rest), token);
            await body.FlushAsync(token);
        }
        int n;
        while ((n = await stdout.ReadAsync(buffer, token)) > 0)
        {
            await body.WriteAsync(buffer.AsMemory(0, n), token);
            await body.FlushAsync(token);
        }
    }

    private static (int End, int Separator) FindBlankLine(ReadOnlySpan<byte> data)
    {
        var crlf = data.IndexOf("\r\n\r\n"u8);
        var lf = data.IndexOf("\n\n"u8);
        return (crlf, lf) switch
        {
            ( >= 0, >= 0) => crlf < lf ? (crlf, 4) : (lf, 2),
            ( >= 0, _) => (crlf, 4),
            (_, >= 0) => (lf, 2),
            _ => (-1, 0),
        };
    }

    internal static CgiHead ParseHead(string text)
    {
        var status = 200;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            var (name, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                _ = int.TryParse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out status);
            }
            else
            {
                headers.Add(new(name, value));
            }
        }
        return new CgiHead(status, headers);
    }

    /// <summary>SIGTERM, so receive-pack removes its quarantine and ref locks; SIGKILL after a grace. The cleanup's
    /// awaited StopAsync waits for the same process group, even once http-backend itself has gone.</summary>
    private static void Kill(Process process) => GitProcess.Stop(process);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git http-backend {Method} {Path} exited {ExitCode}: {Errors}")]
    private static partial void LogBackend(ILogger logger, string method, string path, int exitCode, string errors);
}
