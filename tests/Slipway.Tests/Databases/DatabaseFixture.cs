using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

/// <summary>One platform, and so one managed PostgreSQL cluster, per test class: creating a cluster (initdb)
/// is the slow part, so tests of a class share it and use their own app names.</summary>
public class DatabaseFixture : IAsyncLifetime
{
    internal TestPlatform Platform { get; private set; } = null!;

    internal PostgresCluster Cluster => Platform.Services.GetRequiredService<PostgresCluster>();

    /// <summary>Appended to the data directory's path to name the databases' directory (default "-db").</summary>
    protected virtual string DatabasesSuffix => "-db";

    public async Task InitializeAsync() =>
        Platform = await TestPlatform.StartAsync(configure: o => o with { DatabasesDir = o.DataDir + DatabasesSuffix });

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    /// <summary>GET through the edge, answering the body (and failing on anything but 200).</summary>
    internal async Task<string> GetOkAsync(string app, string path)
    {
        using var response = await Platform.GetAsync(app, path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, body);
        return body;
    }

    /// <summary>Polls until <paramref name="condition"/> holds, up to <paramref name="timeout"/>.</summary>
    internal static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(100);
        }
        return await condition();
    }
}

/// <summary>A cluster whose directory holds a blank, a quote and a percent sign: postgresql.conf, archive_command and
/// restore_command must quote what they name.</summary>
public sealed class QuotedPathDatabaseFixture : DatabaseFixture
{
    protected override string DatabasesSuffix => "-db it's 100%";
}
