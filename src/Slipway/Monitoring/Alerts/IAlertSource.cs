namespace Slipway.Monitoring.Alerts;

/// <summary>Something that can tell which conditions hold now: a subsystem's own state read in the background (the
/// deployments, the supervisor's instances, the backups, the uptime incidents). Register one with
/// <c>services.AddSingleton&lt;IAlertSource, ...&gt;()</c>; later subsystems (error tracking, off-site backups) raise
/// their alerts the same way.
///
/// The engine calls <see cref="Evaluate"/> every evaluation interval (15 s) on one background thread, never on a
/// request's path. A source reads state and returns signals; it neither sends nor remembers anything. A source that
/// throws loses only its own signals for that round (logged; its open alerts stay open, not resolved).</summary>
internal interface IAlertSource
{
    /// <summary>The built-in rules this source evaluates, with their defaults.</summary>
    IReadOnlyList<AlertRuleDefinition> Rules { get; }

    /// <summary>Whether this source evaluates <see cref="AlertContext.CustomRules"/>: when it fails, the engine keeps
    /// the custom rules' open alerts open too.</summary>
    bool EvaluatesCustomRules => false;

    /// <summary>The conditions that hold now, for the rules that are on (ask <paramref name="context"/>).</summary>
    IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken);
}
