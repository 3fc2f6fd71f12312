using System.Collections.Concurrent;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HaStack.Testing;

/// <summary>
/// Writes every log line of one test cluster (the AppHost's own and every container's, which Aspire forwards as
/// <c>…Resources.&lt;name&gt;</c>) to one file, so the console shows test results and failures only.
/// The directory is <c>HASTACK_TEST_LOGS</c>, else <c>test-logs/</c> under the working directory.
/// </summary>
public sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, FileLogger> _loggers = new();
    private bool _disposed;

    public FileLoggerProvider(string name)
    {
        var directory = Environment.GetEnvironmentVariable("HASTACK_TEST_LOGS") is { Length: > 0 } configured
            ? configured
            : System.IO.Path.Combine(Directory.GetCurrentDirectory(), "test-logs");
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}.log");
        _writer = new StreamWriter(Path, append: false) { AutoFlush = true };
    }

    /// <summary>Sends every log line of the AppHost <paramref name="builder"/> builds to a new file named after <paramref name="name"/>.</summary>
    public static FileLoggerProvider AddTo(IDistributedApplicationTestingBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var provider = new FileLoggerProvider(name);
        builder.Services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Information);
            logging.AddProvider(provider);
        });
        return provider;
    }

    /// <summary>The file this cluster's logs go to (named in a failed start's message).</summary>
    public string Path { get; }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new FileLogger(this, c));

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {level,-11} {category}: {message}");
                if (exception is not null)
                {
                    _writer.WriteLine(exception.ToString());
                }
            }
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Write(category, logLevel, formatter(state, exception), exception);
    }
}
