using System.CommandLine;
using System.Text.Json;

namespace Slipway.Cli;

/// <summary>What every command needs: where to write, and which platform (data directory) to talk to.</summary>
internal sealed partial class CliContext(TextWriter output, TextWriter error)
{
    public static readonly JsonSerializerOptions Json = JsonSpellings.Web(indented: true);

    public static readonly Option<string> Data = new("--data")
    {
        Description = "The platform's data directory (default: $SLIPWAY_DATA, else ~/.local/share/slipway)",
        Recursive = true,
    };

    public static readonly Option<bool> JsonOutput = new("--json") { Description = "Print JSON for scripts" };

    public static readonly Option<string> Environment = new("--env", "-e")
    {
        Description = "The app's environment (production, staging, ...); a new name creates it on first deploy",
        Recursive = true,
    };

    public TextWriter Out { get; } = output;
    public TextWriter Err { get; } = error;

    /// <summary>Standard input, for the --*-stdin flags (tests give each command its own, as a pipe would).</summary>
    public TextReader In { get; init; } = Console.In;

    public static string DataDir(ParseResult parse) =>
        parse.GetValue(Data) is { Length: > 0 } dir ? Path.GetFullPath(dir)
        : System.Environment.GetEnvironmentVariable("SLIPWAY_DATA") is { Length: > 0 } env ? Path.GetFullPath(env)
        : Path.Combine(System.Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".local", "share"), "slipway");

    /// <summary>The platform this command talks to: SLIPWAY_URL with SLIPWAY_TOKEN (CI), else the one `slipway
    /// login` stored (unless --data or SLIPWAY_DATA names a local one), else the local data directory's socket.</summary>
    public ApiClient Api(ParseResult parse)
    {
        if (System.Environment.GetEnvironmentVariable("SLIPWAY_URL") is { Length: > 0 } url)
        {
            var token = System.Environment.GetEnvironmentVariable("SLIPWAY_TOKEN") is { Length: > 0 } t ? t
                : throw new UserException("SLIPWAY_URL is set but SLIPWAY_TOKEN is not: set it to a token ('slipway tokens create' on the platform).");
            return ApiClient.Remote(RemoteUrl(url), token, System.Environment.GetEnvironmentVariable("SLIPWAY_CA"), parse.GetValue(Environment));
        }
        if (parse.GetValue(Data) is not { Length: > 0 } && System.Environment.GetEnvironmentVariable("SLIPWAY_DATA") is not { Length: > 0 } &&
            Login.Load() is { } login)
        {
            return ApiClient.Remote(RemoteUrl(login.Url), login.Token, login.Ca, parse.GetValue(Environment));
        }
        return new ApiClient(DataDir(parse), parse.GetValue(Environment));
    }

    /// <summary>The platform of this machine's data directory, whatever login exists: for the commands that act on
    /// the server itself (up, down, doctor, keys rotate, users reset-password).</summary>
    public ApiClient LocalApi(ParseResult parse) => new(DataDir(parse), parse.GetValue(Environment));

    /// <summary>Refuses a machine-local command when this CLI talks to a platform elsewhere.</summary>
    public static void RequireLocal(ApiClient api, string command)
    {
        if (api.IsRemote)
        {
            throw new UserException($"'slipway {command}' must run on the server itself, where the platform's data directory is: " +
                "this CLI is logged in to a platform elsewhere ('slipway logout', or SLIPWAY_URL, chooses that).");
        }
    }

    public static Uri RemoteUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? uri
            : throw new UserException($"'{url}' is not a platform URL like https://slipway.example.com.");

    /// <summary>How to run slipway again against the same platform, for hints: "./slipway --data DIR" when --data
    /// was given, "SLIPWAY_DATA=DIR ./slipway" when that chose it, else "./slipway".</summary>
    public static string Command(ParseResult parse) =>
        parse.GetValue(Data) is { Length: > 0 } ? $"./slipway --data {Quote(DataDir(parse))}"
        : System.Environment.GetEnvironmentVariable("SLIPWAY_DATA") is { Length: > 0 } ? $"SLIPWAY_DATA={Quote(DataDir(parse))} ./slipway"
        : "./slipway";

    private static string Quote(string path) => path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_') ? path : $"'{path.Replace("'", "'\\''")}'";

    /// <summary>Whether output goes to a terminal (Console.Out not redirected); false for files, pipes and tests.</summary>
    public bool OutputIsTerminal => ReferenceEquals(Out, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>A line of build or app output as this output takes it: colour and cursor codes (which some tools
    /// print even into a pipe) are kept for a terminal and stripped for files, pipes and CI logs.</summary>
    public string ForOutput(string line) => OutputIsTerminal || !line.Contains('\u001b') ? line : AnsiCodes().Replace(line, "");

    [System.Text.RegularExpressions.GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)|[@-Z\\-_])")]
    private static partial System.Text.RegularExpressions.Regex AnsiCodes();

    /// <summary>Set when the command line asked for --json: errors are JSON too, on standard output.</summary>
    public bool JsonErrors { get; set; }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    // Most commands answer the same way: with --json the API's answer exactly as it came (scripts parse it, so
    // it never depends on what the text shows), else text for people. These keep that rule in one place.

    /// <summary>Prints <paramref name="value"/> as JSON with --json, else as <paramref name="text"/> writes it.</summary>
    public void Print<T>(ParseResult parse, T value, Action<T> text)
    {
        if (parse.GetValue(JsonOutput))
        {
            WriteJson(value);
        }
        else
        {
            text(value);
        }
    }

    /// <summary>GETs <paramref name="path"/> from the platform and prints the answer as <see cref="Print"/> does.</summary>
    public Task<int> ShowAsync<T>(ParseResult parse, string path, Action<T> text, CancellationToken token) =>
        ShowAsync<T>(parse, path, (value, _) =>
        {
            text(value);
            return Task.CompletedTask;
        }, token);

    /// <summary>As above, for text that asks the platform for more (the JSON is still the one answer).</summary>
    public async Task<int> ShowAsync<T>(ParseResult parse, string path, Func<T, ApiClient, Task> text, CancellationToken token)
    {
        using var api = Api(parse);
        var value = await api.GetAsync<T>(path, token);
        if (parse.GetValue(JsonOutput))
        {
            WriteJson(value);
        }
        else
        {
            await text(value, api);
        }
        return 0;
    }

    /// <summary>GETs a list and prints it; an empty one prints <paramref name="empty"/> (what to do next) as text,
    /// and `[]` with --json.</summary>
    public Task<int> ListAsync<T>(ParseResult parse, string path, string empty, Action<List<T>> text, CancellationToken token) =>
        ShowAsync<List<T>>(parse, path, list =>
        {
            if (list.Count == 0)
            {
                Out.WriteLine(empty);
            }
            else
            {
                text(list);
            }
        }, token);

    /// <summary>Runs a command body: user errors print one clear message and exit 1, never a stack trace.</summary>
    public async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (UserException e)
        {
            if (JsonErrors)
            {
                WriteJson(new { error = e.Message, status = e.StatusCode });
            }
            else
            {
                await Err.WriteLineAsync("error: " + e.Message);
            }
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            const string lost = "lost the connection to the Slipway platform (did it stop?). " +
                "Check it with 'slipway apps'; 'slipway deployments --app APP' shows how a deployment ended.";
            if (JsonErrors)
            {
                WriteJson(new { error = lost, status = 503 });
            }
            else
            {
                await Err.WriteLineAsync("error: " + lost);
            }
            return 1;
        }
    }

    /// <summary>Plain aligned columns.</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.ToUpperInvariant().PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
        {
            Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }
}
