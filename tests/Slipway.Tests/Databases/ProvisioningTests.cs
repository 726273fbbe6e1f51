using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Npgsql;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform")]
public sealed class ProvisioningTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_declared_database_exists_before_the_release_command_and_the_deployed_app_reads_and_writes_it()
    {
        var deploy = await Platform.DeployAsync(DbApp.Create(), "shop");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        deploy.Out.Should().Contain("creating postgres database main (DATABASE_URL)");

        (await fixture.GetOkAsync("shop", "/write?v=apple")).Should().Be("ok");
        (await fixture.GetOkAsync("shop", "/write?v=pear")).Should().Be("ok");
        (await fixture.GetOkAsync("shop", "/read")).Should().Be("apple,pear");

        var env = await Platform.CliAsync("env", "ls", "--app", "shop");
        env.Out.Should().Contain("DATABASE_URL").And.Contain("********").And.NotContain("postgres://");
        var url = (await Platform.CliAsync("db", "url", "--app", "shop")).Out.Trim();
        url.Should().StartWith("postgres://app_shop_main:").And.EndWith("/app_shop_main");
        var psql = await Platform.CliAsync("db", "psql", "--app", "shop", "-c", "select string_agg(v, '+' order by id) from items");
        psql.ExitCode.Should().Be(0, psql.ToString());
        psql.Out.Trim().Should().Be("apple+pear");

        // Deploying again keeps the database and its data (and the URL), and puts back a URL unset by hand.
        (await Platform.CliAsync("env", "unset", "--app", "shop", "--no-deploy", "DATABASE_URL")).ExitCode.Should().Be(0);
        var again = await Platform.DeployAsync(DbApp.Create(), "shop");
        again.ExitCode.Should().Be(0, again.ToString());
        again.Out.Should().Contain("DATABASE_URL was missing");
        (await fixture.GetOkAsync("shop", "/read")).Should().Be("apple,pear");
        (await Platform.CliAsync("db", "url", "--app", "shop")).Out.Trim().Should().Be(url);

        var staging = await Platform.DeployAsync(DbApp.Create(), "shop", "--env", "staging");
        staging.ExitCode.Should().Be(0, staging.ToString());
        (await fixture.GetOkAsync("shop-staging", "/read")).Should().BeEmpty("each environment has its own database");
        var ls = JsonDocument.Parse((await Platform.CliAsync("db", "ls", "--app", "shop", "--env", "staging", "--json")).Out).RootElement;
        ls.EnumerateArray().Select(d => d.GetProperty("database").GetString()).Should().Equal("app_shop_staging_main");
    }

    [Fact]
    public async Task An_app_cannot_open_another_apps_database_nor_the_administrative_one()
    {
        (await Platform.CliAsync("db", "create", "--create", "--app", "isoa")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "create", "--create", "--app", "isob")).ExitCode.Should().Be(0);
        var a = new Uri((await Platform.CliAsync("db", "url", "--app", "isoa")).Out.Trim());
        var b = new Uri((await Platform.CliAsync("db", "url", "--app", "isob")).Out.Trim());

        string Conn(Uri credentials, string database)
        {
            var (user, password) = (credentials.UserInfo.Split(':')[0], credentials.UserInfo.Split(':')[1]);
            return new NpgsqlConnectionStringBuilder { Host = credentials.Host, Port = credentials.Port, Username = user, Password = password, Database = database, Pooling = false }.ConnectionString;
        }

        await using (var own = new NpgsqlConnection(Conn(a, "app_isoa_main")))
        {
            await own.OpenAsync();
            await using var create = new NpgsqlCommand("create table secrets(x int); insert into secrets values (1)", own);
            await create.ExecuteNonQueryAsync();
        }
        foreach (var database in new[] { "app_isob_main", "postgres", "template1" })
        {
            await using var other = new NpgsqlConnection(Conn(a, database));
            var open = async () => await other.OpenAsync();
            (await open.Should().ThrowAsync<PostgresException>($"isoa's role must not reach {database}"))
                .Which.SqlState.Should().Be("28000", "pg_hba rejects it (invalid authorization)");
        }
        // Even with a connection to its own database, the role has no privilege on the other's objects or database.
        await using (var own = new NpgsqlConnection(Conn(b, "app_isob_main")))
        {
            await own.OpenAsync();
            await using var read = new NpgsqlCommand("select has_database_privilege('app_isoa_main', 'connect')", own);
            (await read.ExecuteScalarAsync()).Should().Be(false);
        }
    }

    [Fact]
    public async Task Apps_whose_names_map_to_the_same_postgres_name_get_separate_databases_and_roles()
    {
        // App "coll" with database "x_main" and app "coll-x" with database "main" both map to app_coll_x_main.
        (await Platform.CliAsync("db", "create", "--create", "--app", "coll", "--name", "x_main")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "psql", "--app", "coll", "--name", "x_main", "-c", "create table secrets(x int); insert into secrets values (1)")).ExitCode.Should().Be(0);
        var a = new Uri((await Platform.CliAsync("db", "url", "--app", "coll", "--name", "x_main")).Out.Trim());

        var created = await Platform.CliAsync("db", "create", "--create", "--app", "coll-x");
        created.ExitCode.Should().Be(0, created.ToString());
        var b = new Uri((await Platform.CliAsync("db", "url", "--app", "coll-x")).Out.Trim());
        b.AbsolutePath.Should().NotBe(a.AbsolutePath, "another app's database is never handed out");
        b.UserInfo.Split(':')[0].Should().NotBe(a.UserInfo.Split(':')[0], "nor its role");

        var own = await Platform.CliAsync("db", "psql", "--app", "coll", "--name", "x_main", "-c", "select count(*) from secrets");
        own.Out.Trim().Should().Be("1", "the first app's URL (its password) still works: " + own);
        var other = await Platform.CliAsync("db", "psql", "--app", "coll-x", "-c", "select to_regclass('secrets') is null");
        other.Out.Trim().Should().Be("t", "the second app does not see the first app's tables: " + other);
    }

    [Fact]
    public async Task Destroying_an_app_whose_database_server_is_unreachable_says_so_and_works_once_it_is_back()
    {
        var admin = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        var url = $"postgres://{admin.AdminUser}:{admin.AdminPassword}@127.0.0.1:{admin.Port}/postgres";
        (await Platform.CliAsync("db", "server", "add", url, "--name", "flaky")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "create", "--create", "--app", "dropme", "--server", "flaky")).ExitCode.Should().Be(0);
        var databases = Platform.Services.GetRequiredService<Slipway.Databases.DatabaseStore>();
        var keyring = Platform.Services.GetRequiredService<Slipway.Config.Keyring>();
        databases.InsertServer(new Slipway.Databases.DbServerRecord("flaky", keyring.Encrypt($"postgres://{admin.AdminUser}:{admin.AdminPassword}@127.0.0.1:{Ports.Free()}/postgres"), databases.Now()));

        var destroy = await Platform.CliAsync("destroy", "--app", "dropme", "--yes");
        destroy.ExitCode.Should().Be(1);
        destroy.Err.Should().Contain("flaky").And.Contain("app_dropme_main").And.NotContain("internal error");
        destroy.Err.Should().NotContain(admin.AdminPassword);

        databases.InsertServer(new Slipway.Databases.DbServerRecord("flaky", keyring.Encrypt(url), databases.Now()));
        (await Platform.CliAsync("destroy", "--app", "dropme", "--yes")).ExitCode.Should().Be(0);
        databases.Find("dropme", "main").Should().BeNull();
    }

    [Fact]
    public async Task After_kill_9_of_postgres_slipway_restarts_it_the_app_reconnects_and_every_acknowledged_write_is_there()
    {
        (await Platform.DeployAsync(DbApp.Create(), "durable")).ExitCode.Should().Be(0);
        var acknowledged = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            (await fixture.GetOkAsync("durable", $"/write?v=w{i}")).Should().Be("ok");
            acknowledged.Add($"w{i}");
        }
        var pid = fixture.Cluster.Pid!.Value;
        var restarts = fixture.Cluster.Restarts;
        System.Diagnostics.Process.GetProcessById(pid).Kill();

        (await DatabaseFixture.EventuallyAsync(async () =>
        {
            using var response = await Platform.GetAsync("durable", "/write?v=after");
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(60))).Should().BeTrue("the app reconnects once Slipway has restarted PostgreSQL");

        fixture.Cluster.Pid.Should().NotBe(pid);
        fixture.Cluster.Restarts.Should().Be(restarts + 1);
        var values = (await fixture.GetOkAsync("durable", "/read")).Split(',');
        values.Should().StartWith(acknowledged).And.EndWith("after");
        (await Platform.CliAsync("doctor")).Out.Should().Contain($"{restarts + 1} restart(s) after crashes");
    }

    [Fact]
    public async Task An_added_server_is_checked_and_databases_are_provisioned_on_it()
    {
        var bad = await Platform.CliAsync("db", "server", "add", "mysql://nope", "--name", "ext");
        bad.ExitCode.Should().Be(1);
        bad.Err.Should().Contain("postgres://admin:PASSWORD@");
        var refused = await Platform.CliAsync("db", "server", "add", "postgres://nobody:wrong@127.0.0.1:1/postgres", "--name", "ext");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("Could not connect to 127.0.0.1:1 as nobody");

        // Stands in for an existing server: the managed cluster reached only through an administrator URL.
        var admin = await fixture.Cluster.EnsureRunningAsync(CancellationToken.None);
        var add = await Platform.CliAsync("db", "server", "add", $"postgres://{admin.AdminUser}:{admin.AdminPassword}@127.0.0.1:{admin.Port}/postgres", "--name", "ext");
        add.ExitCode.Should().Be(0, add.ToString());
        add.Out.Should().NotContain(admin.AdminPassword);
        (await Platform.CliAsync("db", "create", "--create", "--app", "outside", "--server", "ext")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "ls", "--app", "outside")).Out.Should().Contain("ext");
        var psql = await Platform.CliAsync("db", "psql", "--app", "outside", "-c", "select current_user || '@' || current_database()");
        psql.Out.Trim().Should().Be("app_outside_main@app_outside_main");
        var backup = await Platform.CliAsync("db", "backup", "--app", "outside");
        backup.ExitCode.Should().Be(0, backup.ToString());

        // The URL on standard input: its password never appears in the process list or shell history.
        var piped = await Platform.CliWithInputAsync($"postgres://{admin.AdminUser}:{admin.AdminPassword}@127.0.0.1:{admin.Port}/postgres\n",
            "db", "server", "add", "--name", "piped");
        piped.ExitCode.Should().Be(0, piped.ToString());
        (await Platform.CliAsync("db", "create", "--create", "--app", "piped", "--server", "piped")).ExitCode.Should().Be(0);
        (await Platform.CliAsync("db", "ls", "--app", "piped")).Out.Should().Contain("piped");
    }
}
