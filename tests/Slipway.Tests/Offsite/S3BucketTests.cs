using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Slipway.Offsite;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>The bucket client against a real S3-compatible server (s3rver): what is put is read back and checked, large
/// files go in parts, and a wrong key, a missing bucket or a server that is gone each say what is wrong.</summary>
public sealed class S3BucketTests
{
    [Theory]
    [InlineData(1L << 20, 16L << 20)]
    [InlineData(100L << 30, 16L << 20)]
    [InlineData(1L << 40, 117L << 20)]
    [InlineData(5L << 40, 583L << 20)]
    public void Parts_grow_so_that_no_object_needs_more_than_9000(long length, long expected)
    {
        S3Bucket.PartSizeFor(length).Should().Be(expected);
        ((length + expected - 1) / expected).Should().BeLessThanOrEqualTo(9000);
    }

    [Fact]
    public async Task Objects_are_put_checked_listed_fetched_and_deleted_and_each_fault_says_what_to_do()
    {
        await using var server = await S3Server.StartAsync();
        using var bucket = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "slipway/", "us-east-1", S3Server.Key, S3Server.Key));
        await bucket.ProbeAsync(CancellationToken.None);

        var dir = TempDirs.Create("s3-bucket");
        var large = Path.Combine(dir, "large.bin");
        var bytes = RandomNumberGenerator.GetBytes((int)(S3Bucket.PartSize + S3Bucket.PartSize / 2));
        await File.WriteAllBytesAsync(large, bytes);
        var sha = await bucket.PutAsync("db/main/bk_1.dump.sealed", large, CancellationToken.None);
        sha.Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        var small = Path.Combine(dir, "small.bin");
        await File.WriteAllTextAsync(small, "wal segment");
        await bucket.PutAsync("wal/000000010000000000000001.gz.sealed", small, CancellationToken.None);

        var listed = await bucket.ListAsync("db/", CancellationToken.None);
        listed.Should().ContainSingle().Which.Should().Match<StoredObject>(o => o.Key == "db/main/bk_1.dump.sealed" && o.Size == bytes.Length);
        (await bucket.ListAsync("", CancellationToken.None)).Select(o => o.Key).Should().BeEquivalentTo("db/main/bk_1.dump.sealed", "wal/000000010000000000000001.gz.sealed");
        var fetched = Path.Combine(dir, "fetched.bin");
        await bucket.GetAsync("db/main/bk_1.dump.sealed", fetched, CancellationToken.None);
        (await File.ReadAllBytesAsync(fetched)).Should().Equal(bytes);
        await bucket.DeleteAsync("db/main/bk_1.dump.sealed", CancellationToken.None);
        (await bucket.ListAsync("db/", CancellationToken.None)).Should().BeEmpty();
        (await bucket.AbortUploadsBeganBeforeAsync(DateTime.UtcNow.AddMinutes(1), CancellationToken.None))
            .Should().BeNull("s3rver does not list multipart uploads (it answers 501 NotImplemented)");

        using (var wrongKey = new S3Bucket(new S3Settings(server.Endpoint, S3Server.Bucket, "slipway/", "us-east-1", "NOT-A-KEY", S3Server.Key)))
        {
            (await Refusal(() => wrongKey.ProbeAsync(CancellationToken.None))).Should().Contain("refused the access key or secret");
        }
        using (var noBucket = new S3Bucket(new S3Settings(server.Endpoint, "no-such-bucket", "", "us-east-1", S3Server.Key, S3Server.Key)))
        {
            (await Refusal(() => noBucket.ProbeAsync(CancellationToken.None))).Should().Contain("the bucket no-such-bucket does not exist").And.Contain("create it first");
        }
        var endpoint = server.Endpoint;
        await server.DisposeAsync();
        using (var gone = new S3Bucket(new S3Settings(endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key)))
        {
            (await Refusal(() => gone.ProbeAsync(CancellationToken.None))).Should().Contain("could not be reached");
        }
    }

    [Fact]
    public async Task Multipart_uploads_under_the_prefix_begun_before_the_cutoff_are_aborted()
    {
        await using var moto = await MotoServer.StartAsync();
        using var client = moto.Client();
        // What a shipper killed mid-upload leaves, and an upload of something else in the same bucket.
        await client.InitiateMultipartUploadAsync(MotoServer.Bucket, "slipway/base/71/x/base.tar.gz.sealed");
        await client.InitiateMultipartUploadAsync(MotoServer.Bucket, "other/base.tar.gz");
        using var bucket = new S3Bucket(new S3Settings(moto.Endpoint, MotoServer.Bucket, "slipway/", "us-east-1", MotoServer.Key, MotoServer.Key));

        // moto says every upload began at 2010-11-10T20:48:33Z, whenever it did.
        var began = new DateTime(2010, 11, 10, 20, 48, 33, DateTimeKind.Utc);
        (await bucket.AbortUploadsBeganBeforeAsync(began, CancellationToken.None)).Should().Be(0, "begun since the cutoff: it may be on its way");
        (await bucket.AbortUploadsBeganBeforeAsync(began.AddSeconds(1), CancellationToken.None)).Should().Be(1);

        (await client.ListMultipartUploadsAsync(MotoServer.Bucket)).MultipartUploads.Select(u => u.Key).Should().Equal(["other/base.tar.gz"], "outside the prefix is not ours");
    }

    [Fact]
    public async Task A_store_that_takes_the_connection_and_never_answers_could_not_be_reached_once_the_timeout_passed()
    {
        // A network that drops packets rather than refusing: the connection is made, no answer ever comes.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var held = new System.Collections.Concurrent.ConcurrentQueue<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    held.Enqueue(await listener.AcceptSocketAsync(stop.Token));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        using var silent = new S3Bucket(new S3Settings(endpoint, S3Server.Bucket, "", "us-east-1", S3Server.Key, S3Server.Key), timeout: TimeSpan.FromSeconds(1));

        var watch = Stopwatch.StartNew();
        (await Refusal(() => silent.ListAsync("", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60))))
            .Should().Contain("could not be reached").And.Contain("check the endpoint and the network");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "each try gives up after the timeout (the SDK tries a few times)");
        held.Should().NotBeEmpty("the connection was taken, never answered");

        await stop.CancelAsync();
        await accepting;
        foreach (var socket in held)
        {
            socket.Dispose();
        }
    }

    private static async Task<string> Refusal(Func<Task> call) => (await call.Should().ThrowAsync<UserException>()).Which.Message;
}
