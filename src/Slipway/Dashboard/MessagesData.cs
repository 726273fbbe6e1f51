using Slipway.Access;
using Slipway.Jobs;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>The Messages page's data: the pending and dead messages `GET /v1/apps/APP/messages?status=` answers for
/// every environment the caller may read (delivered ones are left out: nothing is to be done about them), with Retry
/// on a dead one where the caller may run jobs (run-jobs, as `POST .../messages/ID/retry` demands).</summary>
internal sealed class MessagesData(Store store, JobStore jobs, TimeProvider clock)
{
    /// <summary>How many messages of each state an app environment lists, newest first (the counts are of all).</summary>
    public const int Shown = 50;

    public MessagesView List(Principal me)
    {
        var pending = jobs.MessageCounts(MessageStatus.Pending).ToDictionary(c => c.App, c => c.Count, StringComparer.Ordinal);
        var dead = jobs.MessageCounts(MessageStatus.Dead).ToDictionary(c => c.App, c => c.Count, StringComparer.Ordinal);
        var groups = store.ListApps()
            .Where(a => me.Can(Permission.Read, a.Ref) && (pending.ContainsKey(a.Name) || dead.ContainsKey(a.Name)))
            .OrderBy(a => a.App, StringComparer.Ordinal).ThenBy(a => !a.Ref.IsProduction).ThenBy(a => a.Env, StringComparer.Ordinal)
            .Select(a =>
            {
                var retry = me.Can(Permission.RunJobs, a.Ref);
                return new MessageGroup(a.App, a.Env,
                    Rows(a, MessageStatus.Pending, false), pending.GetValueOrDefault(a.Name),
                    Rows(a, MessageStatus.Dead, retry), dead.GetValueOrDefault(a.Name));
            })
            .ToList();
        return new MessagesView(groups, clock.GetUtcNow());
    }

    private List<MessageRow> Rows(AppRecord app, string status, bool retry) =>
        jobs.ListMessages(app.Name, status, Shown).Select(MessageView.Of).Select(m => new MessageRow(m.Id, m.Status, m.Method, m.Target,
            UtcTime.Parse(m.NotBefore), m.Attempts, m.Retries, m.LastStatus, m.LastError, UtcTime.Parse(m.CreatedAt),
            m.FinishedAt is { } finished ? UtcTime.Parse(finished) : null,
            retry ? $"/v1/apps/{Uri.EscapeDataString(app.App)}/messages/{Uri.EscapeDataString(m.Id)}/retry" + (app.Ref.IsProduction ? "" : "?env=" + Uri.EscapeDataString(app.Env)) : null))
        .ToList();
}
