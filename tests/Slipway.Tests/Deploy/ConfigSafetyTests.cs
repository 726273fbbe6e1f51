using Microsoft.Extensions.DependencyInjection;
using Slipway.Deploy;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>Nothing lost silently: a rollback's config is the saved config, sizes are checked when a value is set,
/// a mistyped --app creates nothing, and secrets are redacted in the forms apps print them.</summary>
[Collection("platform")]
public sealed class ConfigSafetyTests
{
    private static readonly JsonSerializerOptions AsJavaScript = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task A_rollback_writes_its_config_back_lists_the_changes_by_name_and_only_warns_about_shared_vars()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = EnvApp.Create();
        File.WriteAllText(Path.Combine(app, "slipway.json"), """
            { "services": { "web": { "start": "node server.js" } }, "variables": { "MODE": { "default": "calm" } } }
            """);
        (await platform.CliAsync("env", "set", "--app", "rb", "--create", "--shared", "--no-deploy", "GREETING=hello")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "rb", "--secret", "--no-deploy", "TOKEN=secret-one-123456")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "rb", "--no-deploy", "VERSION_TAG=one", "OLD=x", "API_URL=https://one.example")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(app, "rb")).ExitCode.Should().Be(0);

        (await platform.CliAsync("env", "set", "--app", "rb", "--no-deploy", "VERSION_TAG=two", "NEW=y", "API_URL=https://two.example", "MODE=wild", "TOKEN=now-in-the-clear")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "unset", "--app", "rb", "--no-deploy", "OLD")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "rb", "--shared", "GREETING=bye")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("rb")).Should().Be("two");

        var rollback = await platform.CliAsync("rollback", "--app", "rb");
        rollback.ExitCode.Should().Be(0, rollback.ToString());
        (await platform.VersionAsync("rb")).Should().Be("one");
        rollback.Out.Should().Contain("the saved config is now the config this release runs with: ~API_URL -MODE -NEW +OLD ~TOKEN ~VERSION_TAG")
            .And.Contain("warning: shared GREETING differs");
        rollback.Out.Should().NotContain("one.example").And.NotContain("secret-one").And.NotContain("calm", "names only, never values");

        var saved = JsonDocument.Parse((await platform.CliAsync("env", "ls", "--app", "rb", "--json")).Out).RootElement.EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v);
        saved.Keys.Should().BeEquivalentTo(["API_URL", "GREETING", "OLD", "TOKEN", "VERSION_TAG"], "MODE was the manifest's default, not the environment's");
        saved["TOKEN"].GetProperty("secret").GetBoolean().Should().BeTrue("the rolled-back release had it as a secret");
        saved["GREETING"].GetProperty("shared").GetBoolean().Should().BeTrue();
        var diff = await platform.CliAsync("env", "diff", "--app", "rb");
        diff.Out.Trim().Should().Be("~ GREETING hello -> bye", "only the shared difference it warned about is left");

        // The next change builds on what is live: OLD, which the rollback brought back, stays.
        (await platform.CliAsync("env", "set", "--app", "rb", "EXTRA=1")).ExitCode.Should().Be(0);
        using var old = await platform.GetAsync("rb", "/env/OLD");
        (await old.Content.ReadAsStringAsync()).Should().Be("x");
        using var mode = await platform.GetAsync("rb", "/env/MODE");
        (await mode.Content.ReadAsStringAsync()).Should().Be("calm");
        (await platform.VersionAsync("rb")).Should().Be("one");
    }

    [Fact]
    public async Task A_config_change_made_while_a_rollback_waits_is_kept_and_named_in_a_warning()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = EnvApp.Create();
        (await platform.CliAsync("env", "set", "--app", "rw", "--create", "--no-deploy", "VERSION_TAG=one", "KEEP=a")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(app, "rw")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "rw", "VERSION_TAG=two", "KEEP=b")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("rw")).Should().Be("two");

        string rollbackId;
        using (await platform.Services.GetRequiredService<AppLocks>().HoldAsync("rw", CancellationToken.None))
        {
            rollbackId = platform.Engine.Rollback(AppRef.Of("rw"), null, "test").Id;
            (await platform.CliAsync("env", "set", "--app", "rw", "--no-deploy", "KEEP=typed-while-queued", "ADDED=z")).ExitCode.Should().Be(0);
        }
        await platform.Engine.WaitAsync(rollbackId);

        (await platform.VersionAsync("rw")).Should().Be("one");
        var saved = JsonDocument.Parse((await platform.CliAsync("env", "ls", "--app", "rw", "--json")).Out).RootElement.EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("value").GetString());
        saved["VERSION_TAG"].Should().Be("one", "nobody changed it since the replaced release went live");
        saved["KEEP"].Should().Be("typed-while-queued", "a change made while the rollback waited is not lost");
        saved["ADDED"].Should().Be("z");
        var log = await platform.CliAsync("logs", "--app", "rw", "--deployment", rollbackId);
        log.Out.Should().Contain("warning: ADDED was changed after the replaced release went live")
            .And.Contain("warning: KEEP was changed after the replaced release went live")
            .And.NotContain("typed-while-queued", "names only, never values");
    }

    [Fact]
    public async Task Too_large_values_and_mistyped_apps_are_refused_at_the_door_and_nothing_is_saved()
    {
        await using var platform = await TestPlatform.StartAsync();
        var big = new string('k', 200 * 1024);
        var refused = await platform.CliAsync("env", "set", "--app", "typo", "--create", "BIG=" + big, "SMALL=1");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("BIG is 204,804 bytes").And.Contain("at most 131,071 bytes per variable").And.Contain("Nothing was saved");
        refused.Err.Should().NotContain("kkkkkkkk");
        (await platform.CliAsync("env", "ls", "--app", "typo")).Err.Should().Contain("No app named 'typo'", "--create creates nothing with a refused change");

        (await platform.CliAsync("env", "set", "--app", "typo", "--create", "--no-deploy", "A=1")).ExitCode.Should().Be(0);
        var dotenv = Path.Combine(TempDirs.Create("dotenv"), "large.env");
        File.WriteAllText(dotenv, string.Concat(Enumerable.Range(0, 9).Select(i => $"PART{i}={new string('p', 120 * 1024)}\n")));
        var import = await platform.CliAsync("env", "import", dotenv, "--app", "typo");
        import.ExitCode.Should().Be(1);
        import.Err.Should().Contain("typo: the config is").And.Contain("at most 1 MiB of config").And.Contain("Nothing was saved");
        (await platform.CliAsync("env", "ls", "--app", "typo", "--json")).Out.Should().NotContain("PART", "an import is saved whole or not at all");

        var typo = await platform.CliAsync("env", "set", "--app", "tpyo", "X=1");
        typo.ExitCode.Should().Be(1);
        typo.Err.Should().Contain("No app named 'tpyo'. Did you mean 'typo'?").And.Contain("'slipway apps'").And.Contain("slipway env set --app tpyo --create");
        (await platform.CliAsync("env", "ls", "--app", "tpyo")).Err.Should().Contain("Did you mean 'typo'?");
        (await platform.CliAsync("apps", "--json")).Out.Should().NotContain("tpyo");
        var env = await platform.CliAsync("env", "set", "--app", "typo", "--env", "stagin", "X=1");
        env.Err.Should().Contain("typo has no environment 'stagin'").And.Contain("--env stagin --create");
    }

    [Fact]
    public async Task Sizes_hold_with_the_manifests_defaults_and_env_and_the_kernels_refusal_is_one_sentence_at_config()
    {
        await using var platform = await TestPlatform.StartAsync();
        // Nine defaults of 120 KiB: each fits a process, together they take the config over 1 MiB.
        var defaults = EnvApp.Create();
        File.WriteAllText(Path.Combine(defaults, "slipway.json"), "{ \"services\": { \"web\": { \"start\": \"node server.js\" } }, \"variables\": {" +
            string.Join(",", Enumerable.Range(0, 9).Select(i => $"\"PART{i}\": {{ \"default\": \"{new string('d', 120 * 1024)}\" }}")) + "} }");
        var refused = await platform.DeployAsync(defaults, "sized");
        refused.ExitCode.Should().NotBe(0, refused.ToString());
        (refused.Out + refused.Err).Should().Contain("at most 1 MiB of config").And.Contain("with slipway.json's defaults for PART0");
        (refused.Out + refused.Err).Should().NotContain("dddddddd");

        // A service env of 24 values of 110 KiB each passes every per-value check, but not the kernel: E2BIG.
        var env = EnvApp.Create();
        File.WriteAllText(Path.Combine(env, "slipway.json"), "{ \"services\": { \"web\": { \"start\": \"node server.js\", \"env\": {" +
            string.Join(",", Enumerable.Range(0, 24).Select(i => $"\"E{i}\": \"{new string('e', 110 * 1024)}\"")) + "} } } }");
        var tooLarge = await platform.DeployAsync(env, "sized2");
        tooLarge.ExitCode.Should().NotBe(0, tooLarge.ToString());
        var failed = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "sized2", "--json")).Out).RootElement[0];
        failed.GetProperty("failedStep").GetString().Should().Be("config", failed.ToString());
        failed.GetProperty("error").GetString().Should().Contain("could not be started: its environment is larger than Linux starts a process with")
            .And.Contain("128 KiB per variable").And.NotContain("Win32").And.NotContain("\n");
    }

    [Fact]
    public async Task Values_come_from_a_file_or_stdin_and_a_secret_without_a_value_needs_a_terminal()
    {
        await using var platform = await TestPlatform.StartAsync();
        var dir = TempDirs.Create("values");
        var pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        File.WriteAllText(Path.Combine(dir, "key.pem"), pem);
        var fromFile = await platform.CliAsync("env", "set", "--app", "files", "--create", "--secret", "TLS_KEY", "--from-file", Path.Combine(dir, "key.pem"));
        fromFile.ExitCode.Should().Be(0, fromFile.ToString());
        (await platform.CliAsync("env", "get", "--app", "files", "TLS_KEY", "--reveal")).Out.Should().Be(pem + Environment.NewLine, "every byte, the last newline too");

        File.WriteAllText(Path.Combine(dir, "huge.pem"), new string('h', 200 * 1024));
        var huge = await platform.CliAsync("env", "set", "--app", "files", "--secret", "HUGE", "--from-file", Path.Combine(dir, "huge.pem"));
        huge.ExitCode.Should().Be(1);
        huge.Err.Should().Contain("HUGE is").And.Contain("at most 131,071 bytes");

        // A real `slipway` process, so standard input is a real pipe (no terminal).
        var stdin = await SlipwayAsync(platform.DataDir, "line one\nliné two\n", "env", "set", "--app", "files", "--secret", "FROM_STDIN", "--from-file", "-");
        stdin.ExitCode.Should().Be(0, stdin.ToString());
        (await platform.CliAsync("env", "get", "--app", "files", "FROM_STDIN", "--reveal")).Out.Should().Be("line one\nliné two\n" + Environment.NewLine);

        var asked = await SlipwayAsync(platform.DataDir, "", "env", "set", "--app", "files", "--secret", "ASKED");
        asked.ExitCode.Should().Be(1);
        asked.Err.Should().Contain("ASKED has no value, and without a terminal it cannot be asked for")
            .And.Contain("--from-file FILE").And.Contain("visible in 'ps'");
        (await platform.CliAsync("env", "ls", "--app", "files", "--json")).Out.Should().NotContain("ASKED");
    }

    [Fact]
    public async Task An_app_printing_its_secrets_in_every_common_form_leaves_none_in_its_logs()
    {
        await using var platform = await TestPlatform.StartAsync();
        var secret = "s3cr\"t\\vält/+=?&" + Guid.NewGuid().ToString("N");
        var pemBody = Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).Concat(Guid.NewGuid().ToByteArray()).ToArray());
        var pem = $"-----BEGIN PRIVATE KEY-----\n{pemBody}\n-----END PRIVATE KEY-----";
        var app = TempDirs.Create("leaky");
        File.WriteAllText(Path.Combine(app, "server.js"), """
            const http = require('http');
            const s = process.env.LEAKY;
            http.createServer((req, res) => {
              if (req.url !== '/leak') { res.end('ok'); return; }
              console.log(JSON.stringify(process.env));
              console.log('url ' + encodeURIComponent(s));
              console.log('b64 ' + Buffer.from(s).toString('base64'));
              console.log('b64url ' + Buffer.from(s).toString('base64url'));
              console.log('hex ' + Buffer.from(s).toString('hex').toUpperCase());
              console.log('basic ' + Buffer.from('user:' + s).toString('base64'));
              for (const line of process.env.TLS_KEY.split('\n')) console.log('key ' + line);
              process.stdout.write('split ' + s.slice(0, 7));
              setTimeout(() => { process.stdout.write(s.slice(7) + ' end\n'); res.end('leaked'); }, 100);
            }).listen(process.env.PORT, process.env.HOST);
            """);
        File.WriteAllText(Path.Combine(app, "slipway.json"), """{ "services": { "web": { "start": "node server.js" } } }""");
        (await platform.CliAsync("env", "set", "--app", "leaky", "--create", "--secret", "--no-deploy", "LEAKY=" + secret, "TLS_KEY=" + pem)).ExitCode.Should().Be(0);
        (await platform.DeployAsync(app, "leaky")).ExitCode.Should().Be(0);
        using (var leak = await platform.GetAsync("leaky", "/leak"))
        {
            (await leak.Content.ReadAsStringAsync()).Should().Be("leaked");
        }

        var logs = await platform.LogsContainingAsync(" end", "--app", "leaky");
        var bytes = Encoding.UTF8.GetBytes(secret);
        logs.Out.Should().Contain("split [secret LEAKY] end", "a line written in two pieces is redacted whole")
            .And.Contain("url [secret LEAKY]").And.Contain("b64 [secret LEAKY]").And.Contain("b64url [secret LEAKY]")
            .And.Contain("hex [secret LEAKY]").And.Contain("key [secret TLS_KEY]").And.Contain("key -----BEGIN PRIVATE KEY-----");
        foreach (var form in new[]
        {
            secret, JsonSerializer.Serialize(secret, AsJavaScript)[1..^1],
            Uri.EscapeDataString(secret), Convert.ToBase64String(bytes), Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            Convert.ToHexString(bytes), pemBody, secret[^32..],
        })
        {
            logs.Out.Should().NotContain(form);
        }
    }

    private static async Task<CliResult> SlipwayAsync(string dataDir, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "slipway"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var arg in args.Append("--data").Append(dataDir))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }
}
