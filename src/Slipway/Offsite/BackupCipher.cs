using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Slipway.Offsite;

/// <summary>Client-side encryption of everything that leaves the machine: AES-256-GCM over chunks of 1 MiB, so a
/// backup of any size streams through a fixed amount of memory, and a reader detects any change, any reordering and
/// any truncation, at a chunk boundary too.
///
///   header:  "SLWBK1\n" | key id (8 ASCII hex digits) | base nonce (12 random bytes)
///   chunk i: length (uint32, big-endian; top bit set on the last chunk) | ciphertext | tag (16 bytes)
///            nonce = base nonce with i XORed into its last 8 bytes; associated data = header | the length field
///
/// The last chunk is marked in data the tag covers, so cutting a file after any whole chunk fails the check; an empty
/// input is one empty last chunk. The key id names the backup key that sealed it, so a wrong key is said as such.</summary>
internal static class BackupCipher
{
    public const int ChunkSize = 1 << 20;
    private const int TagSize = 16;
    private const uint Last = 0x8000_0000;
    private static readonly byte[] Magic = "SLWBK1\n"u8.ToArray();
    private static readonly int HeaderSize = Magic.Length + 8 + 12;

    /// <summary>Encrypts <paramref name="input"/> to its end into <paramref name="output"/>.</summary>
    public static async Task EncryptAsync(Stream input, Stream output, BackupKey key, CancellationToken token)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        Encoding.ASCII.GetBytes(key.Id).CopyTo(header, Magic.Length);
        RandomNumberGenerator.Fill(header.AsSpan(Magic.Length + 8));
        await output.WriteAsync(header, token);
        using var aes = new AesGcm(key.Bytes, TagSize);
        var plain = new byte[ChunkSize];
        var next = new byte[ChunkSize];
        var sealedChunk = new byte[4 + ChunkSize + TagSize];
        var filled = await FillAsync(input, plain, token);
        for (ulong index = 0; ; index++)
        {
            // One chunk ahead: a chunk is the last when nothing follows it.
            var following = filled == ChunkSize ? await FillAsync(input, next, token) : 0;
            var last = following == 0;
            var length = (uint)filled | (last ? Last : 0);
            BinaryPrimitives.WriteUInt32BigEndian(sealedChunk, length);
            aes.Encrypt(Nonce(header, index), plain.AsSpan(0, filled), sealedChunk.AsSpan(4, filled), sealedChunk.AsSpan(4 + filled, TagSize),
                Associated(header, sealedChunk.AsSpan(0, 4)));
            await output.WriteAsync(sealedChunk.AsMemory(0, 4 + filled + TagSize), token);
            if (last)
            {
                return;
            }
            (plain, next, filled) = (next, plain, following);
        }
    }

    /// <summary>Decrypts what <see cref="EncryptAsync"/> wrote; throws <see cref="BackupCipherException"/> saying what
    /// is wrong (not a Slipway backup, another key, changed or cut short) before the bad part reaches
    /// <paramref name="output"/>.</summary>
    public static async Task DecryptAsync(Stream input, Stream output, Func<string, BackupKey?> keyFor, CancellationToken token)
    {
        var header = new byte[HeaderSize];
        if (await FillAsync(input, header, token) < HeaderSize || !header.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new BackupCipherException("it is not a Slipway encrypted backup (its header is missing)");
        }
        var keyId = Encoding.ASCII.GetString(header, Magic.Length, 8);
        var key = keyFor(keyId) ?? throw new BackupCipherException(
            $"it was sealed with backup key {keyId}, which is not the key given; give the backup key that 'slipway keys export-backup-key' printed on the machine that made it");
        using var aes = new AesGcm(key.Bytes, TagSize);
        var lengthField = new byte[4];
        var sealedChunk = new byte[ChunkSize + TagSize];
        var plain = new byte[ChunkSize];
        for (ulong index = 0; ; index++)
        {
            if (await FillAsync(input, lengthField, token) < 4)
            {
                throw new BackupCipherException("it is cut short (its last part is missing)");
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(lengthField);
            var last = (length & Last) != 0;
            var size = (int)(length & ~Last);
            if (size > ChunkSize || (!last && size != ChunkSize))
            {
                throw new BackupCipherException($"it is damaged (part {index} claims {size} bytes)");
            }
            if (await FillAsync(input, sealedChunk.AsMemory(0, size + TagSize), token) < size + TagSize)
            {
                throw new BackupCipherException("it is cut short (its last part is missing)");
            }
            try
            {
                aes.Decrypt(Nonce(header, index), sealedChunk.AsSpan(0, size), sealedChunk.AsSpan(size, TagSize), plain.AsSpan(0, size),
                    Associated(header, lengthField));
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new BackupCipherException($"it was changed or damaged after it was written (part {index} does not match its tag)");
            }
            await output.WriteAsync(plain.AsMemory(0, size), token);
            if (last)
            {
                if (await FillAsync(input, lengthField.AsMemory(0, 1), token) > 0)
                {
                    throw new BackupCipherException("it has bytes after its last part");
                }
                return;
            }
        }
    }

    /// <summary>The size of what <see cref="EncryptAsync"/> writes for <paramref name="plainLength"/> bytes.</summary>
    public static long SealedLength(long plainLength)
    {
        var chunks = Math.Max(1, (plainLength + ChunkSize - 1) / ChunkSize);
        return HeaderSize + plainLength + chunks * (4 + TagSize);
    }

    private static byte[] Nonce(byte[] header, ulong index)
    {
        var nonce = header.AsSpan(Magic.Length + 8, 12).ToArray();
        var counter = BinaryPrimitives.ReadUInt64BigEndian(nonce.AsSpan(4)) ^ index;
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), counter);
        return nonce;
    }

    private static byte[] Associated(byte[] header, ReadOnlySpan<byte> lengthField) => [.. header, .. lengthField];

    private static async Task<int> FillAsync(Stream input, Memory<byte> buffer, CancellationToken token)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await input.ReadAsync(buffer[filled..], token);
            if (read == 0)
            {
                break;
            }
            filled += read;
        }
        return filled;
    }
}

/// <summary>An encrypted backup that cannot be opened; the message says why, to follow "The backup ... cannot be read: ".</summary>
internal sealed class BackupCipherException(string message) : Exception(message);
