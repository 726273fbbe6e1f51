using Slipway.Sandbox;

namespace Slipway.Tests.Sandbox;

public class PortFirewallRulesTests
{
    private static readonly PortFirewallRules Rules = new("slipway_abc");

    [Theory]
    [InlineData("abc", "slipway_abc")]
    [InlineData("Prod-1.example", "slipway_prod_1_example")]
    [InlineData("a b/c", "slipway_a_b_c")]
    [InlineData("x_9", "slipway_x_9")]
    public void The_table_is_named_after_the_owner_in_what_nft_accepts(string ownerId, string table) =>
        PortFirewallRules.For(ownerId).Table.Should().Be(table);

    [Fact]
    public void A_long_owner_id_is_cut_to_the_longest_table_name_nft_takes() =>
        PortFirewallRules.For(new string('a', 400)).Table.Should().Be("slipway_" + new string('a', 255 - 8));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void An_empty_owner_id_is_a_bug(string ownerId) =>
        FluentActions.Invoking(() => PortFirewallRules.For(ownerId)).Should().Throw<ArgumentException>();

    [Fact]
    public void Reset_deletes_the_table_whether_or_not_it_exists_and_makes_it_again() =>
        Rules.Reset().Should().Be("""
            table inet slipway_abc
            delete table inet slipway_abc
            table inet slipway_abc {
                set instance_ports {
                    type inet_service
                }
                set owners {
                    type uid . inet_service
                }
                chain output {
                    type filter hook output priority filter; policy accept;
                    meta skuid 700000000-799999999 tcp flags syn / syn,ack tcp dport @instance_ports fib daddr type local meta skuid . tcp dport != @owners reject with tcp reset
                }
                chain input {
                    type filter hook input priority filter; policy accept;
                    iifname != "lo" tcp flags syn / syn,ack tcp dport @instance_ports drop
                }
            }

            """);

    [Fact]
    public void Open_adds_the_port_and_its_owner() =>
        Rules.Open(41003, 700000001).Should().Be("""
            add element inet slipway_abc instance_ports { 41003 }
            add element inet slipway_abc owners { 700000001 . 41003 }

            """);

    [Fact]
    public void Close_adds_before_deleting_so_closing_what_is_not_open_succeeds() =>
        Rules.Close(41003, 700000001).Should().Be("""
            add element inet slipway_abc instance_ports { 41003 }
            delete element inet slipway_abc instance_ports { 41003 }
            add element inet slipway_abc owners { 700000001 . 41003 }
            delete element inet slipway_abc owners { 700000001 . 41003 }

            """);

    [Fact]
    public void Remove_deletes_the_table_whether_or_not_it_exists() =>
        Rules.Remove().Should().Be("""
            table inet slipway_abc
            delete table inet slipway_abc

            """);

    [Theory]
    [InlineData(0, 700000001)]
    [InlineData(65536, 700000001)]
    [InlineData(8080, -1)]
    public void A_port_or_uid_out_of_range_is_a_bug(int port, int uid)
    {
        FluentActions.Invoking(() => Rules.Open(port, uid)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Rules.Close(port, uid)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void The_app_uid_range_starts_where_app_users_are_allocated() =>
        PortFirewallRules.FirstAppUid.Should().Be(AppUsers.DefaultFirstUid);

    [Fact]
    public void Describe_names_the_table_and_both_rules() =>
        Rules.Describe().Should().Contain("slipway_abc").And.Contain("700000000-799999999").And.Contain("TCP reset").And.Contain("other machines");
}
