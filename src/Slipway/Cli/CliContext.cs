using System.CommandLine;
using System.Text.Json;

namespace Slipway.Cli;

/// <summary>What every command needs: where to write, and which platform (data directory) to talk to.</summary>
internal sealed class CliContext(TextWriter output, TextWriter error)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

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

    public static string DataDir(ParseResult parse) =>
        parse.GetValue(Data) is { Length: > 0 } dir ? Path.GetFullPath(dir)
        : System.Environment.GetEnvironmentVariable("SLIPWAY_DATA") is { Length: > 0 } env ? Path.GetFullPath(env)
        : Path.Combine(System.Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".local", "share"), "slipway");

    public ApiClient Api(ParseResult parse) => new(DataDir(parse), parse.GetValue(Environment));

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Runs a command body: user errors print one clear message and exit 1, never a stack trace.</summary>
    public async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (UserException e)
        {
            await Err.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            await Err.WriteLineAsync("error: lost the connection to the Slipway platform (did it stop?). " +
                "Check it with 'slipway apps'; 'slipway deployments --app APP' shows how a deployment ended.");
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
