using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Slipway.Cli;
using Slipway.Tests.Support;

namespace Slipway.Tests.Cli;

/// <summary>How the command line answers mistakes: one clear message with a way out, JSON when asked for.</summary>
public sealed class CliBehaviourTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_typo_prints_the_suggestion_and_where_help_is_not_pages_of_help()
    {
        var (code, output, error) = await RunAsync("deploi");

        code.Should().Be(1);
        error.Should().Contain("Did you mean").And.Contain("deploy\n").And.Contain("'./slipway --help'");
        (output + error).Should().NotContain("Commands:").And.NotContain("Options:");
    }

    [Fact]
    public async Task A_typo_in_a_subcommand_points_at_that_commands_help()
    {
        var (code, _, error) = await RunAsync("env", "sett");

        code.Should().Be(1);
        error.Should().Contain("set").And.Contain("'./slipway env --help'");
    }

    [Fact]
    public async Task Without_app_and_without_a_linked_directory_the_command_says_how_to_name_the_app()
    {
        var data = TempDirs.Create("cli-noapp");
        try
        {
            var (code, _, error) = await RunAsync("status", "--data", data);

            code.Should().Be(1);
            error.Should().Contain("--app is required").And.Contain("slipway.json");
        }
        finally
        {
            TempDirs.Delete(data);
        }
    }

    [Fact]
    public void The_app_defaults_to_the_name_in_the_directorys_slipway_json()
    {
        var dir = TempDirs.Create("cli-linked");
        try
        {
            File.WriteAllText(Path.Combine(dir, "slipway.json"), """{ "name": "shop", /* linked */ "services": {} }""");
            AppOption.LinkedName(dir).Should().Be("shop");
            File.WriteAllText(Path.Combine(dir, "slipway.json"), """{ "services": {} }""");
            AppOption.LinkedName(dir).Should().BeNull();
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task With_json_an_error_is_json_on_standard_output()
    {
        var data = TempDirs.Create("cli-json");
        try
        {
            var (code, output, error) = await RunAsync("status", "--app", "shop", "--json", "--data", data);

            code.Should().Be(1);
            error.Should().BeEmpty();
            var json = JsonDocument.Parse(output).RootElement;
            json.GetProperty("error").GetString().Should().Contain("not running");
            json.GetProperty("status").GetInt32().Should().BeGreaterThan(0);

            var (mistakeCode, mistakeOut, mistakeErr) = await RunAsync("status", "--app", "shop", "--json", "--bogus");
            mistakeCode.Should().Be(1);
            mistakeErr.Should().BeEmpty("a parse error with --json is JSON on standard output too");
            JsonDocument.Parse(mistakeOut).RootElement.GetProperty("error").GetString().Should().Contain("--bogus").And.Contain("--help");

            // A platform that hangs up: the lost connection is JSON as well.
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(data, "slipway.sock")));
            socket.Listen();
            var hangUp = Task.Run(async () =>
            {
                using var accepted = await socket.AcceptAsync();
            });
            var (lostCode, lostOut, lostErr) = await RunAsync("status", "--app", "shop", "--json", "--data", data);
            await hangUp;
            lostCode.Should().Be(1);
            lostErr.Should().BeEmpty();
            JsonDocument.Parse(lostOut).RootElement.GetProperty("error").GetString().Should().Contain("lost the connection");
        }
        finally
        {
            TempDirs.Delete(data);
        }
    }

    [Fact]
    public async Task Down_names_the_data_directory_it_looked_at()
    {
        var data = TempDirs.Create("cli-down");
        try
        {
            var (code, output, _) = await RunAsync("down", "--data", data);

            code.Should().Be(0);
            output.Should().Contain(data);
        }
        finally
        {
            TempDirs.Delete(data);
        }
    }

    [Fact]
    public async Task A_port_in_use_is_one_sentence_without_a_stack_trace()
    {
        var data = TempDirs.Create("cli-port");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        try
        {
            var (code, _, error) = await RunAsync("server", "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", data);

            code.Should().Be(1);
            error.Should().Contain("already in use").And.Contain("--http-port");
            error.Should().NotContain("   at ");
            error.Trim().Split('\n').Should().HaveCount(1);
        }
        finally
        {
            TempDirs.Delete(data);
        }
    }

    [Fact]
    public void Build_output_keeps_colours_only_on_a_terminal()
    {
        var cli = new CliContext(new StringWriter(), new StringWriter());

        cli.ForOutput("\u001b[32m✓\u001b[0m built in \u001b[1m2.1s\u001b[22m").Should().Be("✓ built in 2.1s");
        cli.ForOutput("plain").Should().Be("plain");
    }
}
