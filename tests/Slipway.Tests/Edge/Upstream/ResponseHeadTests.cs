using System.Text;
using Slipway.Edge.Upstream;

namespace Slipway.Tests.Edge.Upstream;

public sealed class ResponseHeadTests
{
    private static ResponseHead Parse(string text, bool ok = true)
    {
        var head = new ResponseHead();
        head.TryParse(Encoding.Latin1.GetBytes(text)).Should().Be(ok, head.Error);
        return head;
    }

    [Fact]
    public void A_plain_head_gives_status_length_and_fields()
    {
        var text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length:  12 \r\nX-A: b c\r\n\r\n";
        var head = Parse(text);

        head.Status.Should().Be(200);
        head.ContentLength.Should().Be(12);
        head.Close.Should().BeFalse();
        head.Length.Should().Be(text.Length);
        head.Framing(headRequest: false).Should().Be(BodyFraming.ContentLength);
        head.Framing(headRequest: true).Should().Be(BodyFraming.None);
        var fields = head.Fields.Select(f => (text.Substring(f.NameStart, f.NameLength), text.Substring(f.ValueStart, f.ValueLength)));
        fields.Should().Equal(("Content-Type", "text/plain"), ("Content-Length", "12"), ("X-A", "b c"));
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", "None")]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", "None")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "Chunked")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", "UntilClose")]
    [InlineData("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "ContentLength")]
    public void Framing_follows_rfc_9112(string text, string framing) =>
        Parse(text).Framing(headRequest: false).ToString().Should().Be(framing);

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\n\r\n", true)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", false)]
    public void Close_is_read_from_connection_and_version(string text, bool close) => Parse(text).Close.Should().Be(close);

    [Fact]
    public void Connection_naming_a_field_is_noticed() =>
        Parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n\r\n").ConnectionListsFields.Should().BeTrue();

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\nInjected: yes\r\n\r\n")] // bare LF: response splitting
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\rInjected: yes\r\n\r\n")] // bare CR
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\n\r\n")] // obs-fold
    [InlineData("HTTP/1.1 200 OK\r\nX-A : a\r\n\r\n")] // space before the colon
    [InlineData("HTTP/1.1 200 OK\r\nX(A): a\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n: a\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")] // smuggling
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n")]
    [InlineData("HTTP/2 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    public void A_head_that_could_split_or_smuggle_is_refused(string text) =>
        Parse(text, ok: false).Error.Should().NotBeNullOrEmpty();

    [Fact]
    public void Repeated_equal_lengths_are_one_length() =>
        Parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").ContentLength.Should().Be(5);

    [Fact]
    public void More_than_the_field_limit_is_refused()
    {
        var text = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, ResponseHead.MaxFields + 1).Select(i => $"X-{i}: v\r\n")) + "\r\n";
        Parse(text, ok: false);
    }
}
