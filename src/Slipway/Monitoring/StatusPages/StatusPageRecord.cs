using System.Text.Json;

namespace Slipway.Monitoring.StatusPages;

/// <summary>A row of `status_pages` (schema step 13): a page's name, the hostname the edge serves it at, its title and
/// the apps it shows (JSON list of app names; each app's production environment is a component).</summary>
internal sealed record StatusPageRecord(string Name, string Host, string Title, string Apps, DateTimeOffset CreatedAt)
{
    public IReadOnlyList<string> AppNames => JsonSerializer.Deserialize<List<string>>(Apps) ?? [];
}

/// <summary>A status page as the API and `status-page ls` show it, with its open incidents (for `status-page note
/// --incident`).</summary>
internal sealed record StatusPageView(string Name, string Host, string Title, IReadOnlyList<string> Apps, string Url, DateTimeOffset CreatedAt,
    IReadOnlyList<StatusIncidentView> OpenIncidents);

/// <summary>An open incident of a page's app.</summary>
internal sealed record StatusIncidentView(string Id, string App, string Title, DateTimeOffset Since, bool Manual);

/// <summary>What `status-page note` answers: the incident the note went to, and whether it is closed now.</summary>
internal sealed record StatusNoteView(string Page, string IncidentId, string Title, bool Open, DateTimeOffset At, string Note);
