using Slipway.Offsite;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

public sealed class BackupKeyringTests
{
    [Fact]
    public void The_key_is_made_once_kept_private_read_back_and_another_is_not_taken_over_it()
    {
        var data = TempDirs.Create("backup-keyring");
        var first = new BackupKeyring(data).Current;

        File.GetUnixFileMode(Path.Combine(data, "backup.key")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        new BackupKeyring(data).Current.Bytes.Should().Equal(first.Bytes, "the same key after a restart");
        new BackupKeyring(data).Find(first.Id).Should().NotBeNull();
        new BackupKeyring(data).Find("00000000").Should().BeNull();
        var other = BackupKey.New();
        FluentActions.Invoking(() => new BackupKeyring(data).Import(other)).Should().Throw<UserException>().WithMessage("*already has backup key*");

        var fresh = TempDirs.Create("backup-keyring-new");
        new BackupKeyring(fresh).Import(first);
        new BackupKeyring(fresh).Current.Id.Should().Be(first.Id, "a new machine takes the key given back");
    }
}
