namespace Slipway.Git;

/// <summary>How many pushes may be open at once. A push holds its place from the moment its pack arrives until its
/// deployment ends (git waits on the hook that long): a git process, a quarantine on disk and a thread on its pipe.
/// Pushes to one app take turns, so more than two to one app at once only wait; a third is refused at once, which
/// also keeps one app's pushes (up to an hour each) from taking every place and blocking everyone else's.</summary>
internal sealed class PushSlots
{
    /// <summary>Pushes open at once across apps.</summary>
    public const int MaxOpen = 16;

    /// <summary>Pushes open at once to one app: the one deploying and the next, waiting its turn.</summary>
    public const int MaxPerApp = 2;

    private readonly Dictionary<string, int> _perApp = new(StringComparer.Ordinal);
    private int _open;

    /// <summary>A place for a push to <paramref name="app"/> (dispose to leave it), or null with why there is none.</summary>
    public IDisposable? TryEnter(string app, out string? refusal)
    {
        lock (_perApp)
        {
            refusal = Refusal(app);
            if (refusal is not null)
            {
                return null;
            }
            _perApp[app] = _perApp.GetValueOrDefault(app) + 1;
            _open++;
        }
        return new Place(this, app);
    }

    /// <summary>Why a push to <paramref name="app"/> would find no place now, or null when it would.</summary>
    public string? Full(string app)
    {
        lock (_perApp)
        {
            return Refusal(app);
        }
    }

    private string? Refusal(string app) =>
        _perApp.GetValueOrDefault(app) >= MaxPerApp
            ? $"a push to {app} is deploying and another is waiting for its turn; push again when they are done " +
              $"(slipway deployments --app {app} shows them)."
            : _open >= MaxOpen
                ? $"{MaxOpen} pushes are in progress on this platform already; push again in a minute."
                : null;

    private void Leave(string app)
    {
        lock (_perApp)
        {
            _open--;
            if (--_perApp[app] == 0)
            {
                _perApp.Remove(app);
            }
        }
    }

    private sealed class Place(PushSlots slots, string app) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                slots.Leave(app);
            }
        }
    }
}
