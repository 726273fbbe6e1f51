using System.Collections.Concurrent;

namespace Slipway.Access;

/// <summary>Slows password guessing, per account and per address (in memory: a platform restart forgives, which
/// an attacker cannot cause). An account is locked after <see cref="AccountFailures"/> failures in a row, for a
/// minute doubling to a quarter of an hour, whatever the address (a botnet cannot spread the guesses); an
/// address is refused after <see cref="AddressFailures"/> failures within <see cref="AddressWindow"/>, whatever
/// the account (one address cannot try a password on every name). While locked even the right password is
/// refused, so a lock cannot be probed.</summary>
internal sealed class LoginThrottle(TimeProvider clock)
{
    public const int AccountFailures = 5;
    public const int AddressFailures = 20;
    public static readonly TimeSpan AddressWindow = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan FirstLock = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestLock = TimeSpan.FromMinutes(15);
    private const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<string, AccountState> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AddressState> _addresses = new(StringComparer.Ordinal);

    /// <summary>How long until <paramref name="account"/> from <paramref name="address"/> may try again; null: now.</summary>
    public TimeSpan? RetryAfter(string account, string address)
    {
        var now = clock.GetUtcNow();
        TimeSpan? wait = null;
        if (_accounts.TryGetValue(Key(account), out var a))
        {
            lock (a)
            {
                if (a.LockedUntil > now)
                {
                    wait = a.LockedUntil - now;
                }
            }
        }
        if (_addresses.TryGetValue(address, out var b))
        {
            lock (b)
            {
                b.Forget(now);
                if (b.Failures.Count >= AddressFailures)
                {
                    var until = b.Failures.Peek() + AddressWindow - now;
                    wait = wait is { } w && w > until ? w : until;
                }
            }
        }
        return wait;
    }

    public void Failed(string account, string address)
    {
        var now = clock.GetUtcNow();
        Trim();
        var a = _accounts.GetOrAdd(Key(account), _ => new AccountState());
        lock (a)
        {
            a.Failures++;
            if (a.Failures >= AccountFailures)
            {
                var doublings = Math.Min(a.Failures - AccountFailures, 4);
                var length = FirstLock * Math.Pow(2, doublings);
                a.LockedUntil = now + (length > LongestLock ? LongestLock : length);
            }
        }
        var b = _addresses.GetOrAdd(address, _ => new AddressState());
        lock (b)
        {
            b.Forget(now);
            b.Failures.Enqueue(now);
        }
    }

    public void Succeeded(string account) => _accounts.TryRemove(Key(account), out _);

    private static string Key(string account) => account.ToLowerInvariant();

    /// <summary>Guessing at random names must not grow memory without bound.</summary>
    private void Trim()
    {
        if (_accounts.Count > MaxTracked)
        {
            _accounts.Clear();
        }
        if (_addresses.Count > MaxTracked)
        {
            _addresses.Clear();
        }
    }

    private sealed class AccountState
    {
        public int Failures;
        public DateTimeOffset LockedUntil;
    }

    private sealed class AddressState
    {
        public readonly Queue<DateTimeOffset> Failures = new();

        public void Forget(DateTimeOffset now)
        {
            while (Failures.Count > 0 && Failures.Peek() + AddressWindow <= now)
            {
                Failures.Dequeue();
            }
        }
    }
}
