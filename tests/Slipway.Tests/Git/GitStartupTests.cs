using Slipway.Git;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

/// <summary>What a receive-pack killed outright leaves in a repository is removed at start, once it is old enough that
/// no push still running can own it.</summary>
public sealed class GitStartupTests
{
    [Fact]
    public void Old_quarantines_and_ref_locks_are_swept_and_fresh_ones_and_the_repository_are_kept()
    {
        var repos = TempDirs.Create("git-sweep");
        var repo = Path.Combine(repos, "shop.git");
        var now = DateTime.UtcNow;
        string Dir(string relative, TimeSpan age)
        {
            var path = Path.Combine(repo, relative);
            Directory.CreateDirectory(path);
            Directory.SetLastWriteTimeUtc(path, now - age);
            return path;
        }
        string File(string relative, TimeSpan age)
        {
            var path = Path.Combine(repo, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, "x");
            System.IO.File.SetLastWriteTimeUtc(path, now - age);
            return path;
        }
        var oldQuarantine = Dir("objects/tmp_objdir-incoming-Ab12Cd", TimeSpan.FromHours(7));
        var oldIncoming = Dir("objects/incoming-Xy34Zw", TimeSpan.FromHours(7));
        var freshQuarantine = Dir("objects/tmp_objdir-incoming-Ef56Gh", TimeSpan.FromMinutes(5));
        var pack = Dir("objects/pack", TimeSpan.FromDays(30));
        var oldLock = File("refs/heads/feature/x.lock", TimeSpan.FromMinutes(5));
        var packedLock = File("packed-refs.lock", TimeSpan.FromMinutes(5));
        var headLock = File("HEAD.lock", TimeSpan.FromMinutes(5));
        var configLock = File("config.lock", TimeSpan.FromMinutes(5));
        var freshLock = File("refs/heads/main.lock", TimeSpan.FromSeconds(1));
        var branch = File("refs/heads/main", TimeSpan.FromDays(30));

        GitStartup.SweepLeftovers(repos, now);

        Directory.Exists(oldQuarantine).Should().BeFalse();
        Directory.Exists(oldIncoming).Should().BeFalse();
        System.IO.File.Exists(oldLock).Should().BeFalse();
        System.IO.File.Exists(packedLock).Should().BeFalse();
        System.IO.File.Exists(headLock).Should().BeFalse("a HEAD.lock left behind refuses every later change of HEAD");
        System.IO.File.Exists(configLock).Should().BeFalse();
        Directory.Exists(freshQuarantine).Should().BeTrue("a push through the previous process may still be receiving into it");
        System.IO.File.Exists(freshLock).Should().BeTrue("a ref being updated right now");
        Directory.Exists(pack).Should().BeTrue();
        System.IO.File.Exists(branch).Should().BeTrue();
    }
}
