using Microsoft.Extensions.Logging;
using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

/// <summary>Every line the ACME client logs, at every level, with its exception, so tests can say what a log holds.</summary>
internal sealed class RecordingLogger : ILogger<AcmeClient>
{
    private readonly List<string> _lines = [];

    public string Text
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
