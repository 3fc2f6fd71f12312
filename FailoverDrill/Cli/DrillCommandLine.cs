using System.Text.Json;
using HaStack.FailoverDrill.Drills;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaStack.FailoverDrill.Cli;

/// <summary>A bad command line: the message is the one line the user sees.</summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>
/// <c>FailoverDrill run --kind crash|switchover [--rounds N] --patroni URL[,URL…] --dsn DSN …</c> (every option: <c>run --help</c>),
/// and <c>FailoverDrill watch --service-url URL … --dsn DSN --container NAME</c> (<see cref="WatchCommandLine"/>).
/// Exit codes: 0 every drill passed, 1 a drill failed, 2 bad arguments, 3 refused (unreachable or unhealthy cluster).
/// <c>--help</c> prints the options (exit 0); a bad command line and every error is one line on stderr
/// (<c>error: …</c>), never a stack trace.
/// </summary>
public static class DrillCommandLine
{
    public const int ExitPassed = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitRefused = 3;

    public static async Task<int> MainAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var result = new RunCommandLine((options, token) => RunAsync(options, stdout, stderr, token), (options, token) => WatchAsync(options, stdout, stderr, token)).Parse(args);
        try
        {
            // The drills, a watch, or --help; a bad command line is one line and exit code 2.
            return await CommandLineInvocation.InvokeAsync(result, stdout, stderr, "error: ", ExitUsage, "run or watch", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One line, never a stack trace: the report (or its absence) says the rest.
            await stderr.WriteLineAsync($"error: {ex.GetBaseException().Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return ExitFailed;
        }
    }

    /// <summary>Parses the arguments after <c>run</c> as <see cref="MainAsync"/> does.</summary>
    /// <exception cref="CommandLineException">An option is missing, unknown or malformed; the message says which.</exception>
    public static RunOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var commandLine = new RunCommandLine((_, _) => Task.FromResult(ExitPassed));
        var result = commandLine.Parse(["run", .. args]);
        return CommandLineError.Of(result, "run") is { } error ? throw new CommandLineException(error) : commandLine.Bind(result);
    }

    private static async Task<int> RunAsync(RunOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        using ILoggerFactory loggerFactory = options.Verbose
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information))
            : new NullLoggerFactory();
        var logger = loggerFactory.CreateLogger("FailoverDrill");
        // Patroni's REST API over HTTPS, verified against --cacert (a HaStack stack's own CA) or the system's roots.
        using var http = new HttpClient(StackTrust.CreateHandler(options.RootCertificate)) { Timeout = Timeout.InfiniteTimeSpan };
        if (options.Chaos)
        {
            return await SoakAsync(options, logger, http, stdout, stderr, ct).ConfigureAwait(false);
        }

        var console = ReportConsole.Create(stdout, options.NoColor);
        var runner = new DrillRunner(options.Target, options.Settings, metrics: null, logger, http);
        var reports = new List<DrillReport>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            if (round > 1)
            {
                // The previous drill waited for the rejoin; give Patroni a moment to settle replication before judging.
                await runner.WaitUntilReadyAsync(options.Kind, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            }

            var report = await runner.RunAsync(options.Kind, ct).ConfigureAwait(false);
            reports.Add(report);
            if (!options.Json && report.Outcome != DrillOutcome.Refused)
            {
                DrillReportTable.Write(console, report);
                await stdout.FlushAsync(ct).ConfigureAwait(false);
            }

            if (report.Outcome == DrillOutcome.Refused)
            {
                break;
            }
        }

        var summary = DrillSummary.Of(reports);
        if (options.Json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(new { reports, summary }, DrillReport.JsonOptions)).ConfigureAwait(false);
        }
        else if (reports.Count > 1)
        {
            DrillSummaryTable.Write(console, summary);
        }

        if (reports[^1].Outcome == DrillOutcome.Refused)
        {
            await stderr.WriteLineAsync($"error: drill refused: {reports[^1].Reason}").ConfigureAwait(false);
            return ExitRefused;
        }

        return reports.All(r => r.Outcome == DrillOutcome.Passed) ? ExitPassed : ExitFailed;
    }

    /// <summary><c>watch</c>: the service through the kill, the hold and the start; its report (or JSON); exit code as for drills.</summary>
    private static async Task<int> WatchAsync(WatchOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        using ILoggerFactory loggerFactory = options.Verbose
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information))
            : new NullLoggerFactory();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var report = await new Watch.ServiceWatch(options.Target, new DrillSettings(), loggerFactory.CreateLogger("FailoverDrill"), http).RunAsync(ct).ConfigureAwait(false);
        await stdout.WriteLineAsync(options.Json ? JsonSerializer.Serialize(report, DrillReport.JsonOptions) : report.ToTable()).ConfigureAwait(false);
        if (report.Outcome == DrillOutcome.Refused)
        {
            await stderr.WriteLineAsync($"error: watch refused: {report.Reason}").ConfigureAwait(false);
            return ExitRefused;
        }

        return report.Outcome == DrillOutcome.Passed ? ExitPassed : ExitFailed;
    }

    /// <summary><c>--kind chaos</c>: the soak's per-fault table and set checker (or JSON); exit code as for drills.</summary>
    private static async Task<int> SoakAsync(RunOptions options, ILogger logger, HttpClient http, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var soak = await new Soak.ChaosSoak(options.Target, options.Settings, metrics: null, logger, http).RunAsync(options.Duration, options.Seed, ct).ConfigureAwait(false);
        await stdout.WriteLineAsync(options.Json ? JsonSerializer.Serialize(soak, DrillReport.JsonOptions) : soak.ToTable()).ConfigureAwait(false);
        if (soak.Outcome == DrillOutcome.Refused)
        {
            await stderr.WriteLineAsync($"error: soak refused: {soak.Reason}").ConfigureAwait(false);
            return ExitRefused;
        }

        return soak.Outcome == DrillOutcome.Passed ? ExitPassed : ExitFailed;
    }
}
