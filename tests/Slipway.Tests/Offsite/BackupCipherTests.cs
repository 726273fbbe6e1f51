using System.Security.Cryptography;
using Slipway.Offsite;

namespace Slipway.Tests.Offsite;

public sealed class BackupCipherTests
{
    private static readonly BackupKey Key = BackupKey.New();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(BackupCipher.ChunkSize)]
    [InlineData(BackupCipher.ChunkSize + 1)]
    [InlineData(3 * BackupCipher.ChunkSize - 7)]
    public async Task What_is_sealed_opens_whole_with_its_key(int size)
    {
        var plain = RandomNumberGenerator.GetBytes(size);

        var sealedBytes = await SealAsync(plain);

        sealedBytes.LongLength.Should().Be(BackupCipher.SealedLength(size));
        if (size >= 16)
        {
            sealedBytes.AsSpan().IndexOf(plain.AsSpan(0, 16)).Should().Be(-1, "nothing of the plain text shows");
        }
        (await OpenAsync(sealedBytes)).Should().Equal(plain);
    }

    [Fact]
    public async Task A_changed_reordered_or_cut_backup_and_another_key_are_each_refused_with_why()
    {
        var plain = RandomNumberGenerator.GetBytes(2 * BackupCipher.ChunkSize + 100);
        var sealedBytes = await SealAsync(plain);
        var chunk = 4 + BackupCipher.ChunkSize + 16;
        var header = sealedBytes.Length - 2 * chunk - (4 + 100 + 16);

        var flipped = sealedBytes.ToArray();
        flipped[header + chunk + 500] ^= 1;
        (await Refusal(flipped)).Should().Contain("changed or damaged").And.Contain("part 1");

        var cut = sealedBytes[..(header + 2 * chunk)];
        (await Refusal(cut)).Should().Contain("cut short", "cut after a whole part: no part says it is the last");

        var swapped = sealedBytes.ToArray();
        sealedBytes.AsSpan(header, chunk).CopyTo(swapped.AsSpan(header + chunk));
        sealedBytes.AsSpan(header + chunk, chunk).CopyTo(swapped.AsSpan(header));
        (await Refusal(swapped)).Should().Contain("part 0");

        (await Refusal([.. sealedBytes, 0])).Should().Contain("bytes after its last part");
        (await Refusal("not a backup at all, just text"u8.ToArray())).Should().Contain("not a Slipway encrypted backup");

        var other = BackupKey.New();
        var wrongKey = async () => await OpenAsync(sealedBytes, other);
        (await wrongKey.Should().ThrowAsync<BackupCipherException>()).Which.Message.Should().Contain($"sealed with backup key {Key.Id}");
    }

    [Fact]
    public void A_key_is_exported_and_read_back_and_a_damaged_one_says_so()
    {
        BackupKey.Parse(Key.Export()).Bytes.Should().Equal(Key.Bytes);
        BackupKey.Parse("  " + Key.Export() + "\n").Id.Should().Be(Key.Id);
        FluentActions.Invoking(() => BackupKey.Parse(Key.Export()[..^3])).Should().Throw<UserException>().WithMessage("*damaged*");
        FluentActions.Invoking(() => BackupKey.Parse("hunter2")).Should().Throw<UserException>().WithMessage("*starts with slwbk1-*");
    }

    private static async Task<byte[]> SealAsync(byte[] plain)
    {
        using var output = new MemoryStream();
        await BackupCipher.EncryptAsync(new MemoryStream(plain), output, Key, CancellationToken.None);
        return output.ToArray();
    }

    private static async Task<byte[]> OpenAsync(byte[] sealedBytes, BackupKey? key = null)
    {
        using var output = new MemoryStream();
        var given = key ?? Key;
        await BackupCipher.DecryptAsync(new MemoryStream(sealedBytes), output, id => id == given.Id ? given : null, CancellationToken.None);
        return output.ToArray();
    }

    private static async Task<string> Refusal(byte[] sealedBytes)
    {
        var open = async () => await OpenAsync(sealedBytes);
        return (await open.Should().ThrowAsync<BackupCipherException>()).Which.Message;
    }
}
