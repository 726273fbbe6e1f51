using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform-2")]
public sealed class PitrTests(QuotedPathDatabaseFixture fixture) : IClassFixture<QuotedPathDatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    private async Task SqlAsync(string app, string sql)
    {
        var result = await Platform.CliAsync("db", "psql", "--app", app, "-c", sql);
        result.ExitCode.Should().Be(0, result.ToString());
    }

    [Fact]
    public async Task Recovering_a_moment_brings_back_rows_written_before_it_and_not_after_without_touching_the_live_database()
    {
        var created = await Platform.CliAsync("db", "create", "--create", "--app", "clock");
        created.ExitCode.Should().Be(0, created.ToString());
        (await DatabaseFixture.EventuallyAsync(async () =>
        {
            await Task.Yield();
            return Platform.Services.GetRequiredService<Slipway.Databases.PointInTimeRecovery>().BaseBackups().Count > 0;
        }, TimeSpan.FromSeconds(60))).Should().BeTrue("a base backup is taken soon after the cluster starts");

        await SqlAsync("clock", "create table events(id serial primary key, what text); insert into events(what) values ('before1'), ('before2')");
        await SqlAsync("clock", "delete from events where what = 'before2'");
        await Task.Delay(1100); // commit timestamps have microseconds; a clear gap on each side of the target
        var at = DateTime.UtcNow;
        await Task.Delay(1100);
        await SqlAsync("clock", "insert into events(what) values ('after'); drop table if exists nothing; update events set what = 'changed-after' where what = 'before1'");

        var recover = await Platform.CliAsync("db", "restore", "--app", "clock", "--at", at.ToString("O"), "--to-new", "clock_then");
        recover.ExitCode.Should().Be(0, recover.ToString());

        var url = new Uri((await Platform.CliAsync("db", "url", "--app", "clock", "--name", "clock_then")).Out.Trim());
        await using var then = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = url.Host, Port = url.Port, Username = url.UserInfo.Split(':')[0], Password = url.UserInfo.Split(':')[1],
            Database = url.AbsolutePath.Trim('/'), Pooling = false,
        }.ConnectionString);
        await then.OpenAsync();
        await using (var read = new NpgsqlCommand("select string_agg(what, ',' order by id) from events", then))
        {
            (await read.ExecuteScalarAsync()).Should().Be("before1");
        }
        var live = await Platform.CliAsync("db", "psql", "--app", "clock", "-c", "select string_agg(what, ',' order by id) from events");
        live.Out.Trim().Should().Be("changed-after,after", "the live database is untouched");

        var future = await Platform.CliAsync("db", "restore", "--app", "clock", "--at", DateTime.UtcNow.AddHours(1).ToString("O"), "--to-new", "clock_future");
        future.ExitCode.Should().Be(1);
        future.Err.Should().Contain("in the future");
    }
}
