namespace Slipway.Tests.Support;

/// <summary>The platform's users as a person makes them, through the CLI with a password file: the first owner with
/// `slipway setup`, the others with `slipway users add NAME ROLE [--app ...]`; each with <see cref="PasswordOf"/>, which
/// browser tests type into the login form.</summary>
internal static class TestUsers
{
    public static string PasswordOf(string user) => $"correct horse {user} battery";

    /// <summary>Adds <paramref name="user"/>: with <paramref name="role"/> null the platform's first owner (setup),
    /// else that role, over what <paramref name="scope"/> names (for example "--app", "shop").</summary>
    public static async Task AddUserAsync(this TestPlatform platform, string user, string? role, params string[] scope)
    {
        var dir = TempDirs.Create("user");
        try
        {
            var file = Path.Combine(dir, user + ".pw");
            await File.WriteAllTextAsync(file, PasswordOf(user) + "\n");
            var made = role is null
                ? await platform.CliAsync("setup", user, "--password-file", file)
                : await platform.CliAsync(["users", "add", user, role, .. scope, "--password-file", file]);
            made.ExitCode.Should().Be(0, made.ToString());
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }
}
