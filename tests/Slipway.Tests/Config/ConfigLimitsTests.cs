using Slipway.Config;

namespace Slipway.Tests.Config;

public sealed class ConfigLimitsTests
{
    [Fact]
    public void A_variable_may_be_at_most_MAX_ARG_STRLEN_as_NAME_equals_value()
    {
        // "K=" plus the value, plus the NUL execve adds, is 128 KiB at the limit.
        ConfigLimits.VariableProblem("K", new string('x', 128 * 1024 - 3)).Should().BeNull();
        ConfigLimits.VariableProblem("K", new string('x', 128 * 1024 - 2)).Should().Contain("K is 131,072 bytes").And.Contain("at most 131,071 bytes");
        ConfigLimits.VariableProblem("K", "é".PadRight(70 * 1024, 'é')).Should().NotBeNull("the limit is in UTF-8 bytes, not characters");
        ConfigLimits.VariableProblem("K", "a\0b").Should().Contain("NUL");
    }

    [Fact]
    public void The_whole_config_may_be_at_most_a_mebibyte()
    {
        var vars = Enumerable.Range(0, 8).ToDictionary(i => $"V{i}", _ => new string('x', 120 * 1024));
        ConfigLimits.TotalProblem(vars).Should().BeNull();
        vars["V8"] = new string('x', 120 * 1024);
        ConfigLimits.TotalProblem(vars).Should().Contain("at most 1 MiB");
    }
}
