using System.Text.Json.Serialization;

namespace Slipway.Jobs;

/// <summary>A message as the API and `slipway messages ls --json` show it (body and headers left out: they
/// are the app's data).</summary>
internal sealed record MessageView(
    string Id, string Status, string Target, string Method, string NotBefore, long Attempts, long Retries,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? LastStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError,
    string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FinishedAt)
{
    public static MessageView Of(MessageRecord m) => new(m.Id, m.Status,
        m.Url ?? (m.Service is null ? m.Path! : $"{m.Service}:{m.Path}"), m.Method, m.NotBefore, m.Attempts, m.Retries,
        m.LastStatus, m.LastError, m.CreatedAt, m.FinishedAt);
}
