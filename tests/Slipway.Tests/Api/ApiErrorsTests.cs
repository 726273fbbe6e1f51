using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Api;
using Slipway.Edge.Tls;
using Slipway.Hosting;
using Slipway.Tests.Edge.Tls;
using Slipway.Tests.Support;

namespace Slipway.Tests;

/// <summary>A command that cannot write state because the disk is full answers 507 with what to free, not a 500
/// "internal error": checked on real failures of a really full disk (a small tmpfs), SQLite's and the file system's,
/// and end to end through `slipway certs add`, whose files the full disk refuses.</summary>
public sealed class ApiErrorsTests : IDisposable
{
    private readonly SmallDisk _disk = SmallDisk.Mount("apifull");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _disk.Dispose();
    }

    [Fact]
    public void SQLite_refusing_a_write_on_a_full_disk_is_a_full_disk()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_disk.Dir, "state.db")};Pooling=False");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "pragma journal_mode = wal; create table t (b blob)";
            create.ExecuteNonQuery();
        }

        var failure = Record.Exception(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "insert into t values (randomblob(65536))";
                insert.ExecuteNonQuery();
            }
        });

        failure.Should().BeOfType<SqliteException>().Which.SqliteErrorCode.Should().Be(13, "SQLITE_FULL");
        ApiErrors.IsDiskFull(failure!).Should().BeTrue();
        ApiErrors.IsDiskFull(new InvalidOperationException("wrapped", failure)).Should().BeTrue();
    }

    [Fact]
    public void A_file_write_refused_with_ENOSPC_is_a_full_disk_and_other_failures_are_not()
    {
        _disk.Fill();
        var written = Record.Exception(() =>
        {
            using var file = new FileStream(Path.Combine(_disk.Dir, "more"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            file.Write(new byte[10_000]);
        });
        // .NET preallocates a file whose size it knows (File.WriteAllText): that fails with its own message.
        var preallocated = Record.Exception(() => File.WriteAllText(Path.Combine(_disk.Dir, "other"), new string('x', 10_000)));

        written.Should().BeAssignableTo<IOException>().Which.Message.Should().Contain("No space left on device");
        ApiErrors.IsDiskFull(written!).Should().BeTrue();
        preallocated.Should().BeAssignableTo<IOException>().Which.Message.Should().Contain("the disk was full");
        ApiErrors.IsDiskFull(preallocated!).Should().BeTrue();

        ApiErrors.IsDiskFull(Record.Exception(() => File.ReadAllText(Path.Combine(_disk.Dir, "missing")))!).Should().BeFalse();
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var bad = connection.CreateCommand();
        bad.CommandText = "selec 1";
        ApiErrors.IsDiskFull(Record.Exception(() => bad.ExecuteNonQuery())!).Should().BeFalse();
        ApiErrors.IsDiskFull(new InvalidOperationException("a bug")).Should().BeFalse();
    }

    [Fact]
    public async Task A_command_on_a_full_disk_answers_507_and_the_cli_says_what_to_free()
    {
        var options = new PlatformOptions { DataDir = Path.Combine(_disk.Dir, "data") };
        Directory.CreateDirectory(options.DataDir);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(options.SocketPath));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new ApiOptions { DataDir = options.DataDir });
        builder.Services.AddCertificateStore(options.CertsDir);
        await using var api = builder.Build();
        api.UseSlipwayErrors();
        api.MapCertificateApi();
        await api.StartAsync();
        var pair = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        var inputs = TempDirs.Create("apifull-in");
        try
        {
            File.WriteAllText(Path.Combine(inputs, "cert.pem"), pair.CertPem);
            File.WriteAllText(Path.Combine(inputs, "key.pem"), pair.KeyPem);
            _disk.Fill();

            var result = await new CliRunner(options.DataDir).RunAsync("certs", "add", "shop.example.test",
                "--cert", Path.Combine(inputs, "cert.pem"), "--key", Path.Combine(inputs, "key.pem"));

            result.ExitCode.Should().Be(1);
            result.Err.Should().Contain($"The disk holding Slipway's data directory ({options.DataDir}) is full")
                .And.Contain($"{options.DataDir}/builds").And.Contain("--keep-builds").And.Contain($"{options.DataDir}/logs")
                .And.Contain($"{options.DataDir}/backups/files").And.NotContain("internal error").And.NotContain("   at ");

            using var http = SocketClient(options.SocketPath);
            using var response = await http.PostAsJsonAsync("http://slipway/v1/certs",
                new { host = "shop.example.test", cert = pair.CertPem, key = pair.KeyPem });
            response.StatusCode.Should().Be(HttpStatusCode.InsufficientStorage);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("title").GetString().Should().Be("Disk full");
            problem.GetProperty("detail").GetString().Should().Be(ApiErrors.DiskFullDetail(options.DataDir));
        }
        finally
        {
            await api.StopAsync();
            TempDirs.Delete(inputs);
        }
    }

    private static HttpClient SocketClient(string socketPath) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
            return new NetworkStream(socket, ownsSocket: true);
        },
    });
}
