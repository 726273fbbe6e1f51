using System.Globalization;

namespace Slipway.Databases;

/// <summary>Which backups retention removes: it keeps the newest verified backup of each of the newest
/// <c>keepDaily</c> days that have one, and of each of the newest <c>keepWeekly</c> ISO weeks; failed backups
/// are kept while they are newer than the oldest kept one (so a failure stays visible). A verified safety
/// backup (the data a restore or branch replaced: its only copy) does not take a day's place and is kept
/// while its day is inside the kept range. Pure.</summary>
internal static class BackupRetention
{
    public sealed record Item(string Id, DateTime At, bool Verified, bool Safety = false);

    public static IReadOnlyList<string> ToDelete(IReadOnlyList<Item> backups, int keepDaily, int keepWeekly)
    {
        var verified = backups.Where(b => b.Verified && !b.Safety).OrderByDescending(b => b.At).ToList();
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var day in verified.GroupBy(b => b.At.Date).Take(keepDaily))
        {
            keep.Add(day.First().Id);
        }
        foreach (var week in verified.GroupBy(b => (ISOWeek.GetYear(b.At), ISOWeek.GetWeekOfYear(b.At))).Take(keepWeekly))
        {
            keep.Add(week.First().Id);
        }
        var oldestKept = verified.Where(b => keep.Contains(b.Id)).Select(b => b.At).DefaultIfEmpty(DateTime.MinValue).Min();
        return backups.Where(b => b.Verified && b.Safety ? b.At.Date < oldestKept.Date : b.Verified ? !keep.Contains(b.Id) : b.At < oldestKept)
            .Select(b => b.Id).ToList();
    }
}
