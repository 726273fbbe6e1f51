using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;

namespace Slipway.Cli;

/// <summary>A local directory deployed to a platform elsewhere: the same snapshot a local deploy takes (no .git,
/// node_modules or ignored files), packed as .tar.gz and sent with progress on standard error.</summary>
internal static class SourceUpload
{
    /// <summary>The archive, and the commit of the directory's work tree (a CI checkout), which the deployment records.</summary>
    public static async Task<(string Archive, State.CommitInfo? Commit)> PackAsync(string sourceDir, CancellationToken token)
    {
        var work = Directory.CreateTempSubdirectory("slipway-upload-").FullName;
        var snapshot = Path.Combine(work, "src");
        var commit = await Builds.SourceSnapshot.CopyLocalAsync(sourceDir, snapshot, token);
        var archive = Path.Combine(work, "source.tar.gz");
        await using (var file = File.Create(archive))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            await TarFile.CreateFromDirectoryAsync(snapshot, gzip, includeBaseDirectory: false, token);
        }
        Directory.Delete(snapshot, recursive: true);
        return (archive, commit);
    }

    public static async Task<Api.DeploymentDto> SendAsync(ApiClient api, CliContext cli, string app, string archive, State.CommitInfo? commit,
        IReadOnlyList<string>? hosts, CancellationToken token)
    {
        var size = new FileInfo(archive).Length;
        if (size > Api.UploadEndpoints.MaxArchive)
        {
            throw new UserException($"The packed source is {size / 1024 / 1024} MB; the platform takes at most {Api.UploadEndpoints.MaxArchive / 1024 / 1024} MB. " +
                "Leave build output and large assets out (.gitignore), or deploy from a git URL.");
        }
        await cli.Err.WriteLineAsync($"==> uploading the source ({Size(size)})");
        await using var file = File.OpenRead(archive);
        using var content = new ProgressContent(file, size, cli.Err);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/gzip");
        var parameters = new List<string>();
        if (hosts is { Count: > 0 })
        {
            parameters.Add("hosts=" + Uri.EscapeDataString(string.Join(',', hosts)));
        }
        if (commit is not null)
        {
            parameters.Add("commit=" + Uri.EscapeDataString(commit.Sha));
            parameters.Add("commitMessage=" + Uri.EscapeDataString(commit.Subject ?? ""));
            parameters.Add("commitAuthor=" + Uri.EscapeDataString(commit.Author ?? ""));
        }
        var query = parameters.Count == 0 ? "" : "?" + string.Join('&', parameters);
        return await api.SendContentAsync<Api.DeploymentDto>(HttpMethod.Post, $"v1/apps/{app}/deployments/upload{query}", content, token);
    }

    private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / 1024.0 / 1024.0:0.0} MB" : $"{bytes / 1024.0:0.0} KB";

    /// <summary>Streams the file, printing how far it got at most every second.</summary>
    private sealed class ProgressContent(Stream source, long length, TextWriter progress) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var buffer = new byte[81920];
            long sent = 0;
            var clock = Stopwatch.StartNew();
            var last = TimeSpan.Zero;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                sent += read;
                if (clock.Elapsed - last >= TimeSpan.FromSeconds(1) && sent < length)
                {
                    last = clock.Elapsed;
                    await progress.WriteLineAsync($"    {Size(sent)} of {Size(length)} ({100 * sent / Math.Max(1, length)}%)");
                }
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long size)
        {
            size = length;
            return true;
        }
    }
}
