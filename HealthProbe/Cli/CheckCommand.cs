using System.Globalization;
using System.Text.Json;
using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;
using HaStack.HealthProbe.Service;

namespace HaStack.HealthProbe.Cli;

/// <summary>
/// <c>healthprobe check --patroni &lt;url&gt;[,&lt;url&gt;…] [--dsn …] [--json]</c>: one probe cycle against any Patroni
/// cluster, a report with one line per check, and an exit code: 0 healthy, 1 degraded, 2 unhealthy, 3 could not check.
/// Errors are one line on stderr, never a stack trace.
/// </summary>
public static class CheckCommand
{
    public const int ExitHealthy = 0;
    public const int ExitDegraded = 1;
    public const int ExitUnhealthy = 2;
    public const int ExitCouldNotCheck = 3;

    public const string Usage =
        "usage: healthprobe check --patroni <url>[,<url>...] [--dsn <connection string|postgresql://URI>] [--pgbouncer <exporter metrics URL>]\n" +
        "                         [--etcd <url>[,<url>...]] [--lag-warning <s>] [--lag-critical <s>] [--timeout <s>] [--json] [--no-color]\n" +
        "  --dsn with as many hosts as --patroni URLs: host i is member i; otherwise each member's host:port from Patroni with these credentials.\n" +
        "  exit codes: 0 healthy, 1 degraded, 2 unhealthy, 3 could not check";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        CheckArguments options;
        try
        {
            options = CheckArguments.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync($"healthprobe: {ex.Message}").ConfigureAwait(false);
            await stderr.WriteLineAsync(Usage).ConfigureAwait(false);
            return ExitCouldNotCheck;
        }

        if (options.Help)
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return ExitHealthy;
        }

        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = options.Timeout }) { Timeout = Timeout.InfiniteTimeSpan };
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
                await stdout.WriteAsync(ReportPrinter.Format(report, options.Color)).ConfigureAwait(false);
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

/// <summary>The parsed command line of <c>check</c>.</summary>
public sealed record CheckArguments(ProbeTargets Targets, ProbeThresholds Thresholds, TimeSpan Timeout, bool Json, bool Color, bool Help)
{
    /// <exception cref="ArgumentException">An option is missing, unknown or malformed; the message says which.</exception>
    public static CheckArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        bool json = false, noColor = false, help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--json":
                    json = true;
                    continue;
                case "--no-color":
                    noColor = true;
                    continue;
                case "-h" or "--help":
                    help = true;
                    continue;
                case "--patroni" or "--dsn" or "--pgbouncer" or "--etcd" or "--lag-warning" or "--lag-critical" or "--timeout":
                    if (i + 1 >= args.Count)
                    {
                        throw new ArgumentException($"{arg} needs a value");
                    }

                    values[arg] = args[++i];
                    continue;
                default:
                    throw new ArgumentException($"unknown argument '{arg}'");
            }
        }

        var thresholds = new ProbeThresholds();
        var timeout = Seconds(values, "--timeout", 2);
        thresholds = thresholds with
        {
            LagWarning = Seconds(values, "--lag-warning", thresholds.LagWarning.TotalSeconds),
            LagCritical = Seconds(values, "--lag-critical", thresholds.LagCritical.TotalSeconds),
        };
        var color = !noColor && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        if (help)
        {
            return new CheckArguments(new ProbeTargets { Members = [] }, thresholds, timeout, json, color, Help: true);
        }

        if (!values.TryGetValue("--patroni", out var patroni))
        {
            throw new ArgumentException("--patroni <url>[,<url>...] is required");
        }

        var urls = Urls(patroni, "--patroni");
        var (perMember, fallback) = (Enumerable.Repeat<string?>(null, urls.Count).ToList() as IReadOnlyList<string?>, (string?)null);
        if (values.TryGetValue("--dsn", out var dsn))
        {
            try
            {
                (perMember, fallback) = Dsn.Assign(dsn, urls.Count);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
            {
                // The message of a connection string parser may quote the string: never echo a password.
                throw new ArgumentException("--dsn is not a valid connection string or postgresql:// URI", ex);
            }
        }

        var targets = new ProbeTargets
        {
            Members = urls.Select((u, i) => new MemberEndpoint(null, u, perMember[i])).ToList(),
            FallbackConnectionString = fallback,
            PgBouncerMetrics = values.TryGetValue("--pgbouncer", out var pgbouncer) ? Urls(pgbouncer, "--pgbouncer")[0] : null,
            Etcd = values.TryGetValue("--etcd", out var etcd) ? Urls(etcd, "--etcd").Select(u => (u.Authority, u)).ToList() : [],
            RequestTimeout = timeout,
        };
        return new CheckArguments(targets, thresholds, timeout, json, color, Help: false);
    }

    private static List<Uri> Urls(string value, string option) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u =>
            Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? ProbeSettings.Slash(u)
                : throw new ArgumentException($"{option}: '{u}' is not an http(s) URL")).ToList();

    private static TimeSpan Seconds(Dictionary<string, string> values, string option, double fallback) =>
        !values.TryGetValue(option, out var raw) ? TimeSpan.FromSeconds(fallback)
        : double.TryParse(raw.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s)
        : throw new ArgumentException($"{option}: '{raw}' is not a positive number of seconds");
}
