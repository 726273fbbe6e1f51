namespace Slipway.Jobs;

/// <summary>Whether an app environment's crons fire on their schedule. A subsystem above Jobs that owns a kind of
/// environment implements it (Git/: a pull request's preview runs no crons unless its app turns them on), so the
/// scheduler never needs to know what a preview is. `cron run` still runs a paused job by hand.</summary>
internal interface ICronPause
{
    /// <summary>Null when <paramref name="env"/>'s crons run; else why they do not, with how to turn them on (shown by
    /// `slipway cron ls`).</summary>
    string? Why(AppRef env);
}
