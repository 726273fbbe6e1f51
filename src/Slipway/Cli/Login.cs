using System.Text.Json;

namespace Slipway.Cli;

/// <summary>The platform `slipway login` signed in to: its URL, the login's secret and a CA file to trust, in
/// $XDG_CONFIG_HOME/slipway/login.json (~/.config/...), mode 0600 in a 0700 directory.</summary>
internal sealed record Login(string Url, string Token, string User, string? Ca)
{
    private static readonly JsonSerializerOptions Json = JsonSpellings.Web(indented: true);

    public static string FilePath => Path.Combine(
        System.Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".config"),
        "slipway", "login.json");

    public static Login? Load()
    {
        try
        {
            return File.Exists(FilePath) ? JsonSerializer.Deserialize<Login>(File.ReadAllText(FilePath), Json) : null;
        }
        catch (JsonException)
        {
            throw new UserException($"{FilePath} is not a login Slipway wrote: remove it and run 'slipway login URL' again.");
        }
    }

    public void Save()
    {
        var dir = Path.GetDirectoryName(FilePath)!;
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        PrivateFile.Write(FilePath, stream => JsonSerializer.Serialize(stream, this, Json));
    }

    public static bool Forget()
    {
        if (!File.Exists(FilePath))
        {
            return false;
        }
        File.Delete(FilePath);
        return true;
    }
}
