using Dapper;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Offsite;
using Slipway.Tests.Support;

namespace Slipway.Tests.Offsite;

/// <summary>Stores' keys and names in the platform's state: two adds of one database's store at once give the second a
/// 409 that names the holder; a restored platform's stores other than the one it came from keep the lost machine's keys,
/// and restore-platform says so for each, as an event too, with the command that replaces them. (`storage keys` against
/// a real store: OffsiteDatabaseTests.)</summary>
public sealed class StorageKeysTests
{
    [Fact]
    public async Task Two_adds_of_one_databases_store_at_once_give_the_second_a_409_that_names_the_holder()
    {
        var bed = OffsiteBed.Create("storage-race");
        try
        {
            var adds = Enumerable.Range(0, 2).Select(i => Task.Run<UserException?>(() =>
            {
                try
                {
                    bed.Storages.Add(new OffsiteStorage($"mine{i}", "http://127.0.0.1:1", "backups", $"p{i}/", "us-east-1", KeepLocal: true, Scope: "shop/main"),
                        "KEY", "SECRET", "shop db main");
                    return null;
                }
                catch (UserException e)
                {
                    return e;
                }
            })).ToList();
            var outcomes = await Task.WhenAll(adds);

            var refused = outcomes.Should().ContainSingle(e => e != null).Which!;
            refused.StatusCode.Should().Be(409);
            refused.Message.Should().MatchRegex("^Store mine[01] takes the backups of shop db main already");
            bed.Storages.List().Should().ContainSingle(s => s.Scope == "shop/main");
            ((Action)(() => bed.Storages.Add(new OffsiteStorage(bed.Storages.List()[0].Name, "http://127.0.0.1:1", "backups", "", "us-east-1", true), "K", "S")))
                .Should().Throw<UserException>().Which.Message.Should().StartWith($"There is a store named {bed.Storages.List()[0].Name} already");
        }
        finally
        {
            TempDirs.Delete(bed.Data);
        }
    }

    [Fact]
    public void A_restored_platform_says_which_stores_keep_the_lost_machines_keys_and_how_to_replace_them()
    {
        var bed = OffsiteBed.Create("storage-adopt");
        try
        {
            var keyring = new Keyring(bed.Data);
            new DatabaseStore(bed.State).Insert(new DatabaseRecord("db_1", "shop-staging", "shop", "staging", "main", DatabaseRecord.Postgres, DatabaseRecord.Managed,
                "shop_staging_main", "shop_staging_main", keyring.Encrypt("pw"), "DATABASE_URL", "{}", "2026-12-01T00:00:00.000Z", null));
            bed.Storages.Add(new OffsiteStorage("wide", "http://old.example", "backups", "wide/", "us-east-1", true), "OLD", "OLD");
            bed.Storages.Add(new OffsiteStorage("mine", "http://mine.example", "vault", "", "us-east-1", true, OffsiteStorages.ScopeOf("shop-staging", "main")), "OLD", "OLD");
            bed.Storages.Add(new OffsiteStorage("gone", "http://mine.example", "vault", "gone/", "us-east-1", true, OffsiteStorages.ScopeOf("ledger", "main")), "OLD", "OLD");

            var (_, _, oldKeys) = PlatformRestore.AdoptState(Path.Combine(bed.Data, "slipway.db"), keyring,
                new S3Settings("http://new.example", "backups", "wide/", "us-east-1", "NEW", "NEW"), "20261201T000000Z");

            oldKeys.Should().HaveCount(2);
            oldKeys.Should().ContainSingle(l => l.StartsWith("store mine ", StringComparison.Ordinal)).Which.Should()
                .StartWith("store mine (shop (staging) db main; bucket vault at http://mine.example) still has the lost machine's keys")
                .And.EndWith("| slipway storage keys mine");
            oldKeys.Should().ContainSingle(l => l.StartsWith("store gone ", StringComparison.Ordinal)).Which.Should()
                .StartWith("store gone (db ledger/main;", "its database is not in the state").And.EndWith("| slipway storage keys gone");
            string.Join("\n", oldKeys).Should().NotContain("OLD").And.NotContain("NEW");
            bed.Storages.Settings(bed.Storages.List().Single(s => s.Name == "wide")).Should().Be(
                new S3Settings("http://new.example", "backups", "wide/", "us-east-1", "NEW", "NEW"), "the store restored from takes the keys given");
            bed.Storages.Settings(bed.Storages.List().Single(s => s.Name == "mine")).AccessKey.Should().Be("OLD");
            using var c = bed.State.Connections.Open();
            c.Query<string>("select message from events where kind = 'offsite.old-keys' order by id").Should().Equal(oldKeys);
        }
        finally
        {
            TempDirs.Delete(bed.Data);
        }
    }
}
