using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Git.Forges;

/// <summary>What a commit status says (GitHub and Gitea: pending, success, failure, error; GitLab: pending, success,
/// failed, canceled).</summary>
internal enum CommitState
{
    Pending,
    Success,
    Failure,
    Error,
}

/// <summary>A repository on a forge, as its REST API names it: the API's base and the repository's path
/// (owner/name, or a GitLab group path).</summary>
internal sealed record ForgeRepository(Forge Forge, string ApiBase, string Path)
{
    /// <summary>The repository of <paramref name="repoUrl"/> (https://host/owner/name[.git]); the API is at
    /// <paramref name="apiBase"/> when given (GitHub Enterprise, a GitLab under a sub-path), else where each forge
    /// serves it: api.github.com for github.com, https://HOST/api/v3 for GitHub Enterprise, /api/v4 for GitLab,
    /// /api/v1 for Gitea and Forgejo.</summary>
    public static ForgeRepository Of(Forge forge, string repoUrl, string? apiBase)
    {
        if (!Uri.TryCreate(repoUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            throw new UserException($"'{repoUrl}' is not an https URL of a repository, like https://github.com/acme/shop.git.");
        }
        var path = url.AbsolutePath.Trim('/');
        path = path.EndsWith(".git", StringComparison.Ordinal) ? path[..^4] : path;
        if (!path.Contains('/'))
        {
            throw new UserException($"'{repoUrl}' names no repository: its path should be OWNER/NAME, like https://github.com/acme/shop.git.");
        }
        var origin = url.GetLeftPart(UriPartial.Authority);
        var api = apiBase?.TrimEnd('/') ?? forge switch
        {
            Forge.Github when url.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase) => "https://api.github.com",
            Forge.Github => origin + "/api/v3",
            Forge.Gitlab => origin + "/api/v4",
            _ => origin + "/api/v1",
        };
        return new ForgeRepository(forge, api, path);
    }
}

/// <summary>The forge REST calls Slipway makes, as requests: a commit status, and a comment on a pull (merge) request
/// created once and then edited. Pure: <see cref="ForgeNotices"/> sends them and retries.
///
///   status   GitHub, Gitea  POST  /repos/OWNER/NAME/statuses/SHA                 {state, context, description, target_url}
///            GitLab         POST  /projects/ID/statuses/SHA                        {state, name, description, target_url}
///   comment  GitHub, Gitea  POST  /repos/OWNER/NAME/issues/N/comments              {body}  ─► id
///                           PATCH /repos/OWNER/NAME/issues/comments/ID             {body}
///            GitLab         POST  /projects/ID/merge_requests/N/notes             {body}  ─► id
///                           PUT   /projects/ID/merge_requests/N/notes/ID          {body}
/// </summary>
internal static class ForgeApi
{
    /// <summary>GitHub cuts a longer description off with an error.</summary>
    public const int MaxDescription = 140;

    public static HttpRequestMessage Status(ForgeRepository repo, string token, string sha, CommitState state, string context, string description,
        string? targetUrl)
    {
        var text = description.Length > MaxDescription ? description[..(MaxDescription - 1)] + "…" : description;
        var body = new JsonObject
        {
            ["state"] = Spelling(repo.Forge, state),
            [repo.Forge == Forge.Gitlab ? "name" : "context"] = context,
            ["description"] = text,
        };
        if (targetUrl is not null)
        {
            body["target_url"] = targetUrl;
        }
        return Request(repo, token, HttpMethod.Post, $"{Repository(repo)}/statuses/{Uri.EscapeDataString(sha)}", body);
    }

    public static HttpRequestMessage CreateComment(ForgeRepository repo, string token, long number, string text) =>
        Request(repo, token, HttpMethod.Post,
            repo.Forge == Forge.Gitlab ? $"{Repository(repo)}/merge_requests/{number}/notes" : $"{Repository(repo)}/issues/{number}/comments",
            new JsonObject { ["body"] = text });

    public static HttpRequestMessage UpdateComment(ForgeRepository repo, string token, long number, string id, string text) =>
        repo.Forge == Forge.Gitlab
            ? Request(repo, token, HttpMethod.Put, $"{Repository(repo)}/merge_requests/{number}/notes/{Uri.EscapeDataString(id)}", new JsonObject { ["body"] = text })
            : Request(repo, token, HttpMethod.Patch, $"{Repository(repo)}/issues/comments/{Uri.EscapeDataString(id)}", new JsonObject { ["body"] = text });

    /// <summary>The id of a comment the forge just created (every forge answers the comment with a numeric "id").</summary>
    public static string? CommentId(string json)
    {
        try
        {
            return JsonNode.Parse(json)?["id"] is JsonValue id && id.TryGetValue<long>(out var number) ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string Spelling(Forge forge, CommitState state) => (forge, state) switch
    {
        (_, CommitState.Pending) => "pending",
        (_, CommitState.Success) => "success",
        (Forge.Gitlab, CommitState.Failure) => "failed",
        (Forge.Gitlab, CommitState.Error) => "canceled",
        (_, CommitState.Failure) => "failure",
        _ => "error",
    };

    private static string Repository(ForgeRepository repo) => repo.Forge == Forge.Gitlab
        ? $"{repo.ApiBase}/projects/{Uri.EscapeDataString(repo.Path)}"
        : $"{repo.ApiBase}/repos/{string.Join('/', repo.Path.Split('/').Select(Uri.EscapeDataString))}";

    private static HttpRequestMessage Request(ForgeRepository repo, string token, HttpMethod method, string url, JsonObject body)
    {
        var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body) };
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Slipway", "1"));
        switch (repo.Forge)
        {
            case Forge.Github:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
                request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
                break;
            case Forge.Gitlab:
                request.Headers.Add("PRIVATE-TOKEN", token);
                break;
            default:
                request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
                break;
        }
        return request;
    }
}
