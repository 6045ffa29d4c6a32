using Microsoft.Extensions.Logging;

namespace Fersnet.Server;

/// <summary>
/// The server's log on standard error, one line per entry: level, category, message and, for an exception, its type and
/// first message line; never a stack trace (the house rule; <c>FERSNET_DEBUG=1</c> keeps ASP.NET Core's console logger, traces included).
/// </summary>
internal sealed class OneLineLoggerProvider : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => new OneLineLogger(categoryName);

    public void Dispose() { }

    private sealed class OneLineLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{logLevel.ToString().ToLowerInvariant()}: {category}: {formatter(state, exception).Split('\n', 2)[0].Trim()}";
            if (exception is not null) line += $" ({exception.GetType().Name}: {exception.Message.Split('\n', 2)[0].Trim()})";
            lock (Gate) Console.Error.WriteLine(line);
        }
    }
}
