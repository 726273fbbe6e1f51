using Slipway.Runtime;

namespace Slipway.Builds;

internal enum StepOutcome { Succeeded, Failed, TimedOut, Cancelled, OutOfMemory }

/// <param name="MemoryLimitBytes">The step's memory limit, for the message when it ran out.</param>
internal sealed record StepResult(StepOutcome Outcome, int ExitCode, IReadOnlyList<string> LastLines, long? MemoryLimitBytes = null)
{
    public bool Succeeded => Outcome == StepOutcome.Succeeded;

    public string Describe(string what) => Outcome switch
    {
        StepOutcome.Succeeded => $"{what} succeeded",
        StepOutcome.TimedOut => $"{what} did not finish within its time limit and was stopped",
        StepOutcome.Cancelled => $"{what} was cancelled",
        StepOutcome.OutOfMemory => $"{what} was killed by the kernel for running out of memory (limit " +
            $"{(MemoryLimitBytes is { } limit ? Manifests.ByteSizes.Format(limit) : "unknown")}); raise deploy.buildMemory " +
            "(builds) or the service's resources.memory (release commands) in slipway.json",
        _ => $"{what} exited with code {ExitCode}",
    };
}

/// <summary>Runs one build or release command to completion: output streams line by line into the
/// deployment's log as it happens, a time limit and cancellation stop the whole process tree.</summary>
internal sealed class StepRunner(IProcessLauncher launcher, LogStore logs, TimeProvider clock)
{
    public async Task<StepResult> RunAsync(string app, string deploymentId, string kind, string? service, LaunchSpec spec,
        TimeSpan timeout, CancellationToken cancellationToken, bool echoCommand = true)
    {
        var key = LogKeys.Deployment(app, deploymentId);
        var last = new Queue<string>();
        if (echoCommand)
        {
            logs.Append(key, new LogEntry(clock.GetUtcNow(), kind, "$ " + spec.Command, deploymentId, service));
        }
        await using var process = launcher.Start(spec, line =>
        {
            lock (last)
            {
                last.Enqueue(line.Text);
                if (last.Count > 20)
                {
                    last.Dequeue();
                }
            }
            logs.Append(key, new LogEntry(line.At, kind, line.Text, deploymentId, service));
        });

        return await WaitAsync(process, last, timeout, cancellationToken) with { MemoryLimitBytes = spec.Isolation.Limits.MemoryBytes };
    }

    private async Task<StepResult> WaitAsync(ILaunchedProcess process, Queue<string> last, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        var outcome = StepOutcome.Succeeded;
        try
        {
            await process.Exited.WaitAsync(either.Token);
        }
        catch (OperationCanceledException)
        {
            outcome = cancellationToken.IsCancellationRequested ? StepOutcome.Cancelled : StepOutcome.TimedOut;
            await process.StopAsync(TimeSpan.FromSeconds(5));
        }
        var code = process.Exited.IsCompleted ? await process.Exited : -1;
        if (outcome == StepOutcome.Succeeded && code != 0)
        {
            outcome = process.Usage() is { OomKills: > 0 } ? StepOutcome.OutOfMemory : StepOutcome.Failed;
        }
        lock (last)
        {
            return new StepResult(outcome, code, last.ToList());
        }
    }
}
