using System.Text.Json;
using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;

namespace HaStack.HealthProbe.Cli;

/// <summary>
/// <c>healthprobe check --patroni &lt;url&gt;[,&lt;url&gt;…] [--dsn …] [--json]</c>: one probe cycle against any Patroni
/// cluster, a report with one row per check, and an exit code: 0 healthy, 1 degraded, 2 unhealthy, 3 could not check.
/// <c>--help</c> prints the options (exit 0); a bad command line and every error is one line on stderr
/// (<c>healthprobe: …</c>, exit 3), never a stack trace.
/// </summary>
public static class CheckCommand
{
    public const int ExitHealthy = 0;
    public const int ExitDegraded = 1;
    public const int ExitUnhealthy = 2;
    public const int ExitCouldNotCheck = 3;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var result = new CheckCommandLine((options, token) => CheckAsync(options, stdout, stderr, token)).Parse(args);
        // The check itself, or --help; a bad command line is one line and exit code 3.
        return await CommandLineInvocation.InvokeAsync(result, stdout, stderr, "healthprobe: ", ExitCouldNotCheck, command: null, ct).ConfigureAwait(false);
    }

    private static async Task<int> CheckAsync(CheckArguments options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        try
        {
            using var http = new HttpClient(StackTrust.CreateHandler(options.RootCertificate, options.Timeout)) { Timeout = Timeout.InfiniteTimeSpan };
            await using var probe = new ClusterProbe(options.Targets, options.Thresholds, http);
            var report = await probe.RunOnceAsync(ct).ConfigureAwait(false);
            if (options.Json)
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(report, ReportJson.Options)).ConfigureAwait(false);
            }

            if (report.Error is not null)
            {
                await stderr.WriteLineAsync($"healthprobe: could not check: {report.Error}").ConfigureAwait(false);
                return ExitCouldNotCheck;
            }

            if (!options.Json)
            {
                ReportPrinter.Write(ReportConsole.Create(stdout, options.NoColor), report);
            }

            return report.Verdict switch
            {
                Verdict.Healthy => ExitHealthy,
                Verdict.Degraded => ExitDegraded,
                _ => ExitUnhealthy,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"healthprobe: could not check: {PatroniClient.OneLine(ex)}").ConfigureAwait(false);
            return ExitCouldNotCheck;
        }
    }
}
