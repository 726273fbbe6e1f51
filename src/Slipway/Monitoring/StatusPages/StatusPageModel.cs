using Slipway.Monitoring.Uptime;

namespace Slipway.Monitoring.StatusPages;

internal enum ComponentStatus
{
    /// <summary>No check of the component has a result yet (an app never deployed, or just deployed).</summary>
    Unknown,
    Operational,

    /// <summary>A person opened an incident on it; its checks pass.</summary>
    Degraded,

    /// <summary>One of its checks has an open incident.</summary>
    Down,
}

internal enum OverallStatus
{
    Operational,
    Partial,
    Major,
}

/// <summary>Everything a status page shows, built at request time (<see cref="StatusPageModels"/>) and rendered by the
/// pure <see cref="StatusPageRenderer"/>.</summary>
internal sealed record StatusPageModel(string Title, DateTimeOffset Now, OverallStatus Overall, IReadOnlyList<ComponentModel> Components,
    IReadOnlyList<IncidentModel> Open, IReadOnlyList<IncidentModel> Past);

/// <summary>One app on the page: its production default check and the checks added for it, as one.</summary>
internal sealed record ComponentModel(string Name, ComponentStatus Status, double? Availability, IReadOnlyList<DayCell> Days);

internal sealed record IncidentModel(string Id, string Component, string Title, DateTimeOffset Start, DateTimeOffset? End, string? Cause, bool Manual,
    IReadOnlyList<IncidentNote> Notes);
