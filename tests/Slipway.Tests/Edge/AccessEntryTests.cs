using Slipway.Edge;

namespace Slipway.Tests.Edge;

public sealed class AccessEntryTests
{
    [Fact]
    public void A_plain_line_is_logfmt_without_quotes()
    {
        new AccessEntry("r1", "GET", "/api/users", 200, 1.2345, "203.0.113.7", "/api/:path*", "HTTP/1.1").ToLogfmt()
            .Should().Be("method=GET path=/api/users status=200 ms=1.235 ip=203.0.113.7 route=/api/:path* proto=HTTP/1.1 id=r1");
    }

    [Fact]
    public void Control_characters_are_escaped_so_a_value_cannot_forge_another_line_or_field()
    {
        var line = new AccessEntry("r2", "GET", "/a\nmethod=GET path=/admin status=200\r\u001b[2J\t\"x\\", 404, 1, "::1", "", "HTTP/1.1").ToLogfmt();

        line.Should().NotContain("\n").And.NotContain("\r").And.NotContain("\u001b").And.NotContain("\t");
        line.Should().StartWith("method=GET path=\"/a\\nmethod=GET path=/admin status=200\\r\\u001b[2J\\t\\\"x\\\\\" status=404");
        line.Should().Contain("route=\"\"");
    }
}
