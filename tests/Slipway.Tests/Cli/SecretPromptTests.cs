using Slipway.Cli;

namespace Slipway.Tests.Cli;

/// <summary>The no-echo prompt of `env set --secret NAME` takes one line: a multi-line value would be cut at its
/// first line and saved, so it is refused with the --from-file that takes it whole.</summary>
public sealed class SecretPromptTests
{
    [Fact]
    public void A_pem_block_or_input_left_after_enter_is_refused_with_from_file()
    {
        EnvCommands.PromptProblem("shop", "TLS_KEY", "-----BEGIN PRIVATE KEY-----", pendingAfterEnter: false)
            .Should().Contain("slipway env set --app shop --secret TLS_KEY --from-file FILE").And.Contain("nothing was saved");
        EnvCommands.PromptProblem("shop", "TOKEN", "first line of a paste", pendingAfterEnter: true)
            .Should().Contain("--from-file FILE");
        EnvCommands.PromptProblem("shop", "TOKEN", "", pendingAfterEnter: false).Should().Contain("No value entered for TOKEN");
        EnvCommands.PromptProblem("shop", "TOKEN", "sk_live_123", pendingAfterEnter: false).Should().BeNull();
    }
}
