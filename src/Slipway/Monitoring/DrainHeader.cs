namespace Slipway.Monitoring;

/// <summary>A header an HTTPS drain sends with every batch; its value is a secret (sealed at rest, never shown).</summary>
internal sealed record DrainHeader(string Name, string Value)
{
    /// <summary>How `drains ls` shows it.</summary>
    public string Masked => Name + ": ***";
}
