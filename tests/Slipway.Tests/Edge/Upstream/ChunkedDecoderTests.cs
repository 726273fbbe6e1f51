using System.Text;
using Slipway.Edge.Upstream;

namespace Slipway.Tests.Edge.Upstream;

public sealed class ChunkedDecoderTests
{
    /// <summary>Decodes <paramref name="wire"/> fed in pieces of <paramref name="piece"/> bytes; the data, and the
    /// last step (Done, Invalid or NeedMore).</summary>
    private static (string Data, ChunkStep Last, int Leftover) Decode(string wire, int piece)
    {
        var bytes = Encoding.Latin1.GetBytes(wire);
        var decoder = default(ChunkedDecoder);
        var data = new StringBuilder();
        var pending = new List<byte>();
        var last = ChunkStep.NeedMore;
        for (var offset = 0; offset < bytes.Length; offset += piece)
        {
            pending.AddRange(bytes.AsSpan(offset, Math.Min(piece, bytes.Length - offset)));
            while (pending.Count > 0)
            {
                var span = pending.ToArray().AsSpan();
                last = decoder.Next(span, out var consumed, out var start, out var length);
                if (last == ChunkStep.Data)
                {
                    data.Append(Encoding.Latin1.GetString(span.Slice(start, length)));
                }
                pending.RemoveRange(0, consumed);
                if (last is ChunkStep.Done or ChunkStep.Invalid)
                {
                    return (data.ToString(), last, pending.Count + bytes.Length - Math.Min(bytes.Length, offset + piece));
                }
                if (last == ChunkStep.NeedMore)
                {
                    break;
                }
            }
        }
        return (data.ToString(), last, pending.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Chunks_extensions_and_trailers_decode_however_the_bytes_are_split(int piece)
    {
        var wire = "5\r\nhello\r\na;name=\"x\"\r\n, world!!!\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n";
        var (data, last, leftover) = Decode(wire, piece);

        data.Should().Be("hello, world!!!abcdefghijklmnopqrstuvwxyz");
        last.Should().Be(ChunkStep.Done);
        leftover.Should().Be(0);
    }

    [Fact]
    public void An_empty_body_is_just_the_last_chunk() => Decode("0\r\n\r\n", 1).Should().Be(("", ChunkStep.Done, 0));

    [Fact]
    public void Bytes_after_the_end_are_left_for_the_caller() => Decode("0\r\n\r\nHTTP/1.1 200", 100).Last.Should().Be(ChunkStep.Done);

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")] // data longer than its size
    [InlineData("-5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\nhello\r\n0\r\n\r\n")] // bare LF
    [InlineData("5\r\nhello\n0\r\n\r\n")]
    [InlineData("\r\nhello\r\n0\r\n\r\n")] // no size
    [InlineData("1000000000000000\r\n")] // 16 digits: past any real body, and an overflow trick
    [InlineData("0\r\nX-T: a\nb\r\n\r\n")]
    public void Malformed_framing_is_invalid(string wire)
    {
        foreach (var piece in new[] { 1, 4, 1000 })
        {
            Decode(wire, piece).Last.Should().Be(ChunkStep.Invalid, $"fed {piece} bytes at a time");
        }
    }

    [Fact]
    public void A_long_extension_is_invalid() => Decode("5;" + new string('x', 5000) + "\r\nhello\r\n0\r\n\r\n", 100).Last.Should().Be(ChunkStep.Invalid);
}
