using System.Net;
using System.Text;
using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>An answer of the CA, read whole: ACME bodies are small (JSON objects, a PEM chain).</summary>
internal sealed record AcmeResponse(Uri Url, HttpStatusCode Status, Uri? Location, TimeSpan? RetryAfter, string? ContentType, byte[] Body)
{
    public bool Succeeded => (int)Status is >= 200 and < 300;

    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The body as JSON; a body that is not JSON is the CA's fault and said so.</summary>
    public JsonElement Json(Uri directory)
    {
        try
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new AcmeException(AcmeErrorMessages.Unreachable(directory, $"its answer to {Url.AbsolutePath} is not JSON (HTTP {(int)Status})"), null, Status);
        }
    }

    /// <summary>The RFC 7807 problem document of a failed request, or null when the body is not one.</summary>
    public AcmeProblem? Problem()
    {
        if (Body.Length == 0)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(Body);
            var problem = AcmeProblem.Parse(document.RootElement);
            return problem.Type is null && problem.Detail is null ? null : problem;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
