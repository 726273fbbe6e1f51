using System.Text.Json;
using Slipway.Cli;

namespace Slipway.Tests.Support;

/// <summary>The CLI, in-process, against the platform of a data directory.</summary>
internal sealed class CliRunner(string dataDir)
{
    public async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--data", dataDir], output, error);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    public async Task<JsonElement> StatusAsync(string app) =>
        JsonDocument.Parse((await RunAsync("status", "--app", app, "--json")).Out).RootElement;

    public async Task<JsonElement> DeploymentAsync(string id)
    {
        using var api = new ApiClient(dataDir);
        return await api.GetAsync<JsonElement>($"v1/deployments/{id}", CancellationToken.None);
    }
}
