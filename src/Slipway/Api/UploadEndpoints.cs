using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;

namespace Slipway.Api;

/// <summary>`slipway deploy DIR` against a platform elsewhere: the CLI snapshots the directory (the same files a
/// local deploy takes: no .git, node_modules or ignored files), sends it as a .tar.gz, and the platform deploys
/// the unpacked copy, checked entry by entry (<see cref="Builds.SourceArchive"/>).</summary>
internal static class UploadEndpoints
{
    /// <summary>The largest archive accepted (`--max-upload` later); the CLI says so before sending.</summary>
    public const long MaxArchive = 200L * 1024 * 1024;
    private static readonly TimeSpan KeptUploads = TimeSpan.FromHours(6);

    public static void MapUploadApi(this IEndpointRouteBuilder api, string uploadsDir)
    {
        api.MapPost("/v1/apps/{app}/deployments/upload", async (string app, string? hosts, string? commit, string? commitMessage, string? commitAuthor,
            DeployEngine engine, TimeProvider clock, HttpContext context) =>
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxArchive;
            }
            if (context.Request.ContentLength is > MaxArchive)
            {
                throw new UserException($"The upload is {context.Request.ContentLength:N0} bytes; at most {MaxArchive / 1024 / 1024} MB is accepted. " +
                    "Leave build output and large assets out (.gitignore), or deploy from a git URL.", 413);
            }
            Prune(uploadsDir, clock.GetUtcNow() - KeptUploads);
            var dir = Path.Combine(uploadsDir, State.Ids.New("up"));
            Directory.CreateDirectory(dir);
            try
            {
                await Builds.SourceArchive.UnpackAsync(context.Request.Body, dir, "upload", context.RequestAborted);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                Directory.Delete(dir, recursive: true);
                throw new UserException($"The upload is not a gzipped tar archive of a directory ({e.Message}).");
            }
            catch
            {
                Directory.Delete(dir, recursive: true);
                throw;
            }
            var scope = AppScope.Of(context, app);
            var hostList = hosts?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            ApiEndpoints.DemandNewHosts(context, context.RequestServices.GetRequiredService<AppHosts>(), scope, hostList);
            return Results.Accepted(null, AppViews.Deployment(engine.Enqueue(new DeployRequest(scope, dir, null, hostList) 
            {
                Commit = Commit(commit, commitMessage, commitAuthor), RequestedBy = AccessControl.Caller(context).Name,
            })));
        }).RequireAccess(Access.Permission.Deploy, "deploy");
    }

    /// <summary>The commit the CLI read from the uploaded directory's work tree (a CI checkout): shown in the history, as a
    /// local deploy's is. Only what looks like one is kept.</summary>
    private static State.CommitInfo? Commit(string? sha, string? message, string? author)
    {
        if (sha is not { Length: >= 7 and <= 70 } || !System.Text.RegularExpressions.Regex.IsMatch(sha, "^[0-9a-f]{7,64}(-dirty)?$"))
        {
            return null;
        }
        static string? Cut(string? text) => string.IsNullOrWhiteSpace(text) ? null
            : text.Length <= State.CommitInfo.MaxSubject ? text : text[..State.CommitInfo.MaxSubject];
        return new State.CommitInfo(sha, Cut(message), Cut(author));
    }

    /// <summary>Uploads are copied into their build at once; what is left of older ones goes.</summary>
    private static void Prune(string uploadsDir, DateTimeOffset before)
    {
        if (!Directory.Exists(uploadsDir))
        {
            return;
        }
        foreach (var old in new DirectoryInfo(uploadsDir).EnumerateDirectories().Where(d => d.CreationTimeUtc < before.UtcDateTime))
        {
            try
            {
                old.Delete(recursive: true);
            }
            catch (IOException)
            {
                // In use by a build that copies it now: the next upload tries again.
            }
        }
    }
}
