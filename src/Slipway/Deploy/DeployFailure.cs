namespace Slipway.Deploy;

/// <summary>An expected way for a deployment to fail (build, release, start, health check): carries the step
/// and the last lines of its log for the CLI.</summary>
internal sealed class DeployFailure(string step, string message, IReadOnlyList<string> lastLines) : Exception(message)
{
    public string Step { get; } = step;
    public IReadOnlyList<string> LastLines { get; } = lastLines;

    /// <summary>The same failure, with what was done about it added to its message.</summary>
    public DeployFailure With(string note) => new(Step, $"{Message}; {note}", LastLines);
}
