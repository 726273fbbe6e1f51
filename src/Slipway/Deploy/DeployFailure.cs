namespace Slipway.Deploy;

/// <summary>An expected way for a deployment to fail (build, release, start, health check): carries the step
/// and the last lines of its log for the CLI.</summary>
internal sealed class DeployFailure(string step, string message, IReadOnlyList<string> lastLines) : Exception(message)
{
    public string Step { get; } = step;
    public IReadOnlyList<string> LastLines { get; } = lastLines;

    /// <summary>The kernel refused to start <paramref name="what"/> with its environment: one sentence at "config"
    /// naming the limit, instead of an exception of the OS at a later step.</summary>
    public static DeployFailure EnvironmentTooLarge(string what) => new("config",
        $"{what} could not be started: its environment is larger than Linux starts a process with (at most 128 KiB per variable as NAME=value, " +
        "about 2 MiB for arguments and environment together), so make the largest values of its config or of slipway.json's env smaller " +
        "(keep large data in a file the app reads); the live version keeps serving", []);

    /// <summary>The same failure, with what was done about it added to its message.</summary>
    public DeployFailure With(string note) => new(Step, $"{Message}; {note}", LastLines);
}
