using Slipway.Config;

namespace Slipway.Tests.Config;

public sealed class DotEnvTests
{
    [Fact]
    public void Reads_the_forms_dotenv_and_compose_agree_on_without_expanding_anything()
    {
        var (values, problems) = DotEnv.Parse("""
            # a comment
            PLAIN=  hello world   
            export EXPORTED=yes
            INLINE=value # comment
            HASH=a#b
            SINGLE='literal $HOME \n stays'
            DOUBLE="line1\nline2\t\"quoted\" \\ $HOME"
            MULTI="first
            second"
            EMPTY=
            URL=postgres://u:p@h:5432/db?sslmode=require
            """);

        problems.Should().BeEmpty();
        values["PLAIN"].Should().Be("hello world");
        values["EXPORTED"].Should().Be("yes");
        values["INLINE"].Should().Be("value");
        values["HASH"].Should().Be("a#b");
        values["SINGLE"].Should().Be("literal $HOME \\n stays");
        values["DOUBLE"].Should().Be("line1\nline2\t\"quoted\" \\ $HOME");
        values["MULTI"].Should().Be("first\nsecond");
        values["EMPTY"].Should().BeEmpty();
        values["URL"].Should().Be("postgres://u:p@h:5432/db?sslmode=require");
    }

    [Fact]
    public void Every_problem_is_reported_with_its_line()
    {
        var (_, problems) = DotEnv.Parse("GOOD=1\nno equals here\nOPEN=\"never closed\n");

        problems.Select(p => p.Line).Should().Equal(2, 3);
        problems[1].Message.Should().Contain("OPEN").And.Contain("never closed");
    }

    [Theory]
    [InlineData("simple")]
    [InlineData("p@$$w0rd $HOME `x` ${Y}")]
    [InlineData("it's got a quote")]
    [InlineData("multi\nline\r\nwith \"double\" and 'single' and \\ backslash\tand tab")]
    [InlineData("ünïcödé 🚀")]
    [InlineData("")]
    public void What_pull_writes_import_reads_back_byte_for_byte(string value)
    {
        var (values, problems) = DotEnv.Parse(DotEnv.Line("KEY", value) + "\n");

        problems.Should().BeEmpty();
        values["KEY"].Should().Be(value);
    }
}
