using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Slipway.Offsite;

/// <summary>Where off-site copies go: a bucket of any S3-compatible store (AWS S3, Cloudflare R2, Backblaze B2, MinIO,
/// Wasabi), under a prefix. The SDK's own checksums are asked for only where a request requires them (small S3-compatible
/// servers do not speak its default checksum trailers); every object is instead read back after it is written and its
/// SHA-256 compared with the file's, so an object is never taken as good that is not what was sent.</summary>
internal sealed class S3Bucket : IDisposable
{
    /// <summary>Objects larger than this go up in parts (resumed part by part by the SDK's retries).</summary>
    public const long PartSize = 16L * 1024 * 1024;

    /// <summary>The part size for <paramref name="length"/> bytes: <see cref="PartSize"/>, or larger (whole MiB) so that no
    /// object needs more than 9,000 parts (S3 allows 10,000): a 1 TiB base backup goes in ~117 MiB parts.</summary>
    public static long PartSizeFor(long length) => Math.Max(PartSize, (length / 9000 + (1 << 20)) >> 20 << 20);

    /// <summary>How long one request may take before it counts as failed (and is retried): long enough for a part of a
    /// large upload on a slow uplink.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long an upload that failed (or was cancelled) waits for its multipart upload's abort.</summary>
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(10);

    private readonly AmazonS3Client _client;

    /// <param name="timeout">Per request (<see cref="DefaultTimeout"/> unless given: tests use a short one).</param>
    public S3Bucket(S3Settings settings, TimeSpan? timeout = null)
    {
        Settings = settings;
        var config = new AmazonS3Config
        {
            ServiceURL = settings.Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = settings.Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 4,
            Timeout = timeout ?? DefaultTimeout,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public S3Settings Settings { get; }

    /// <summary>For messages: "bucket b at https://s3.example.com (prefix slipway/)".</summary>
    public string Description => $"bucket {Settings.Bucket} at {Settings.Endpoint}{(Settings.Prefix.Length > 0 ? $" (prefix {Settings.Prefix})" : "")}";

    /// <summary>Writes, reads and deletes a small object: the credentials, the bucket and the network all work.</summary>
    public async Task ProbeAsync(CancellationToken token)
    {
        var probe = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(probe, $"slipway probe {DateTimeOffset.UtcNow:O}", token);
            await PutAsync(".slipway-probe", probe, token);
            await DeleteAsync(".slipway-probe", token);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>Uploads <paramref name="file"/> as <paramref name="key"/> (under the prefix), then reads it back: returns
    /// its SHA-256 once the stored bytes are known to match. A mismatch deletes the object and fails.</summary>
    public async Task<string> PutAsync(string key, string file, CancellationToken token)
    {
        var sha = await Sha256Async(file, token);
        await Guard(() => UploadAsync(Settings.Prefix + key, file, sha, token));
        var stored = await Guard(async () =>
        {
            using var response = await _client.GetObjectAsync(Settings.Bucket, Settings.Prefix + key, token);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await response.ResponseStream.ReadAsync(buffer, token)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        });
        if (stored != sha)
        {
            await DeleteAsync(key, token);
            throw new UserException($"{key} read back from the {Description} is not what was sent (SHA-256 {stored[..12]}, sent {sha[..12]}); it was removed");
        }
        return sha;
    }

    /// <summary>One PUT for a small file, parts of <see cref="PartSize"/> for a larger one (each part retried by the SDK;
    /// a failed upload is aborted, so no part is left billed). Payloads are signed whole, not in aws-chunked encoding,
    /// which small S3-compatible servers store as sent.</summary>
    private async Task UploadAsync(string key, string file, string sha, CancellationToken token)
    {
        var length = new FileInfo(file).Length;
        if (length <= PartSize)
        {
            var put = new PutObjectRequest { BucketName = Settings.Bucket, Key = key, FilePath = file, UseChunkEncoding = false };
            put.Metadata.Add("sha256", sha);
            await _client.PutObjectAsync(put, token);
            return;
        }
        var initiate = new InitiateMultipartUploadRequest { BucketName = Settings.Bucket, Key = key };
        initiate.Metadata.Add("sha256", sha);
        var upload = await _client.InitiateMultipartUploadAsync(initiate, token);
        try
        {
            var parts = new List<PartETag>();
            var partSize = PartSizeFor(length);
            for (var (number, position) = (1, 0L); position < length; number++, position += partSize)
            {
                var part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Settings.Bucket, Key = key, UploadId = upload.UploadId, PartNumber = number, FilePath = file, FilePosition = position,
                    PartSize = Math.Min(partSize, length - position), UseChunkEncoding = false,
                }, token);
                parts.Add(new PartETag(number, part.ETag));
            }
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = Settings.Bucket, Key = key, UploadId = upload.UploadId, PartETags = parts,
            }, token);
        }
        catch
        {
            try
            {
                // Bounded: a store that hangs must not hold a cancelled upload (a `storage rm` waiting for it) for minutes.
                using var abort = new CancellationTokenSource(AbortWait);
                await _client.AbortMultipartUploadAsync(Settings.Bucket, key, upload.UploadId, abort.Token);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or TimeoutException or System.Net.Sockets.SocketException
                or OperationCanceledException)
            {
                // The prune aborts it a day on (AbortUploadsBeganBeforeAsync), or the store's lifecycle rules do; the
                // failure that matters is rethrown.
            }
            throw;
        }
    }

    /// <summary>Downloads <paramref name="key"/> into <paramref name="file"/>.</summary>
    public Task GetAsync(string key, string file, CancellationToken token) => Guard(async () =>
    {
        using var response = await _client.GetObjectAsync(Settings.Bucket, Settings.Prefix + key, token);
        await using var output = new FileStream(file, FileMode.Create, FileAccess.Write);
        await response.ResponseStream.CopyToAsync(output, token);
    });

    public Task DeleteAsync(string key, CancellationToken token) => Guard(async () =>
    {
        await _client.DeleteObjectAsync(Settings.Bucket, Settings.Prefix + key, token);
    });

    /// <summary>The objects under <paramref name="under"/> (below the prefix), their keys without the prefix.</summary>
    public Task<List<StoredObject>> ListAsync(string under, CancellationToken token) => Guard(async () =>
    {
        var found = new List<StoredObject>();
        var request = new ListObjectsV2Request { BucketName = Settings.Bucket, Prefix = Settings.Prefix + under };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request, token);
            found.AddRange((response.S3Objects ?? []).Select(o => new StoredObject(o.Key[Settings.Prefix.Length..], o.Size ?? 0, o.LastModified ?? DateTime.MinValue)));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
        return found;
    });

    /// <summary>Aborts the multipart uploads under the prefix begun before <paramref name="before"/> (a shipper killed
    /// mid-upload leaves its parts billed, and AWS has no lifecycle rule for them by default); returns how many, or null
    /// when the store does not list multipart uploads (s3rver and some small servers answer NotImplemented).</summary>
    public Task<int?> AbortUploadsBeganBeforeAsync(DateTime before, CancellationToken token) => Guard<int?>(async () =>
    {
        var aborted = 0;
        var request = new ListMultipartUploadsRequest { BucketName = Settings.Bucket, Prefix = Settings.Prefix };
        ListMultipartUploadsResponse response;
        do
        {
            try
            {
                response = await _client.ListMultipartUploadsAsync(request, token);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode is "NotImplemented" or "MethodNotAllowed"
                || e.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
            {
                return null;
            }
            foreach (var upload in response.MultipartUploads ?? [])
            {
                if (upload.Initiated is { } began && began.ToUniversalTime() < before)
                {
                    try
                    {
                        await _client.AbortMultipartUploadAsync(Settings.Bucket, upload.Key, upload.UploadId, token);
                        aborted++;
                    }
                    catch (AmazonS3Exception e) when (e.ErrorCode is "NoSuchUpload")
                    {
                        // Completed or aborted since it was listed.
                    }
                }
            }
            (request.KeyMarker, request.UploadIdMarker) = (response.NextKeyMarker, response.NextUploadIdMarker);
        }
        while (response.IsTruncated == true);
        return aborted;
    });

    public void Dispose() => _client.Dispose();

    private Task Guard(Func<Task> call) => Guard(async () =>
    {
        await call();
        return 0;
    });

    /// <summary>The store's refusals and a network that fails, as user errors that say what to do (the CLI prints
    /// them, a background copy records them as an event).</summary>
    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken")
        {
            throw new UserException($"the {Description} refused the access key or secret ({e.ErrorCode}); give the right keys: for a store already added, slipway storage keys NAME < keys; for a new one, slipway storage add ... < keys");
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "NoSuchBucket")
        {
            throw new UserException($"the bucket {Settings.Bucket} does not exist at {Settings.Endpoint}; create it first (Slipway does not create buckets)");
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "AccessDenied" || e.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new UserException($"the {Description} denied access ({e.Message}); the key needs read, write, list and delete on the prefix");
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "NoSuchKey")
        {
            throw new UserException($"the {Description} has no such object ({e.Message})");
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "QuotaExceeded" or "EntityTooLarge" or "InsufficientStorage" || (int)e.StatusCode == 507)
        {
            throw new UserException($"the {Description} is full or over its quota ({e.ErrorCode}: {e.Message})");
        }
        catch (AmazonS3Exception e)
        {
            throw new UserException($"the {Description} answered {(int)e.StatusCode} {e.ErrorCode}: {e.Message}");
        }
        // A request that timed out surfaces as TimeoutException (the SDK unwraps HttpClient's): a store that accepts
        // connections and never answers (a network that drops packets) is as unreachable as one that refuses them. A
        // connection reset as soon as it is made can surface as a bare SocketException (HttpClient reading its address).
        catch (Exception e) when (e is HttpRequestException or AmazonClientException or IOException or TimeoutException or System.Net.Sockets.SocketException
            or TaskCanceledException && e is not OperationCanceledException { CancellationToken.IsCancellationRequested: true })
        {
            throw new UserException($"the {Description} could not be reached ({e.Message}); check the endpoint and the network");
        }
    }

    private static async Task<string> Sha256Async(string file, CancellationToken token)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, token));
    }
}

/// <summary>Where a bucket is and the keys for it (the keys kept sealed in the platform's state).</summary>
internal sealed record S3Settings(string Endpoint, string Bucket, string Prefix, string Region, string AccessKey, string SecretKey)
{
    /// <summary>The keys never appear in a log line or a message.</summary>
    public override string ToString() => $"S3Settings {{ Endpoint = {Endpoint}, Bucket = {Bucket}, Prefix = {Prefix}, Region = {Region} }}";
}

internal sealed record StoredObject(string Key, long Size, DateTime LastModified);
