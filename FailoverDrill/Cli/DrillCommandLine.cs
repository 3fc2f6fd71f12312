using System.Globalization;
using System.Text;
using System.Text.Json;
using HaStack.FailoverDrill.Drills;
using Microsoft.Extensions.Logging.Abstractions;

namespace HaStack.FailoverDrill.Cli;

/// <summary>A bad command line: the message is the one line the user sees.</summary>
public sealed class CommandLineException(string message) : Exception(message);

/// <summary>The parsed <c>run</c> command.</summary>
public sealed record RunOptions(DrillKind Kind, int Rounds, DrillTarget Target, DrillSettings Settings, bool Json, bool Verbose);

/// <summary>
/// <c>failoverdrill run --kind crash|switchover [--rounds N] --patroni URL[,URL…] --dsn DSN [--direct-dsn DSN]
/// [--kill-command CMD] [--start-command CMD] [--containers member=container,…] [--rest-user U] [--rest-password P]
/// [--health-probe URL] [--candidate MEMBER] [--json]</c>. Exit codes: 0 every drill passed, 1 a drill failed,
/// 2 bad arguments, 3 refused (unreachable or unhealthy cluster).
/// </summary>
public static class DrillCommandLine
{
    public const int ExitPassed = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitRefused = 3;

    public const string Usage =
        "usage: FailoverDrill run --kind crash|switchover [--rounds N] --patroni URL[,URL...] --dsn DSN [--direct-dsn DSN] " +
        "[--kill-command \"docker kill {container}\"] [--start-command \"docker start {container}\"] [--containers member=container,...] " +
        "[--rest-user patroni] [--rest-password P | env HASTACK_PATRONI_PASSWORD] [--health-probe URL] [--candidate MEMBER] [--json]";

    public static async Task<int> MainAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        RunOptions options;
        try
        {
            if (args.Length == 0 || args[0] != "run")
            {
                throw new CommandLineException(args.Length == 0 ? "missing command (expected: run)" : $"unknown command '{args[0]}' (expected: run)");
            }

            options = Parse(args[1..]);
        }
        catch (CommandLineException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitUsage;
        }

        try
        {
            return await RunAsync(options, stdout, stderr, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One line, never a stack trace: the report (or its absence) says the rest.
            await stderr.WriteLineAsync($"error: {ex.GetBaseException().Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return ExitFailed;
        }
    }

    public static RunOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        string[] valued = ["--kind", "--rounds", "--patroni", "--dsn", "--direct-dsn", "--kill-command", "--start-command", "--containers",
            "--rest-user", "--rest-password", "--health-probe", "--candidate"];
        string[] switches = ["--json", "--verbose"];
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var (name, inline) = arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (switches.Contains(name) && inline is null)
            {
                flags.Add(name);
            }
            else if (valued.Contains(name))
            {
                var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new CommandLineException($"{name} needs a value"));
                if (!values.TryAdd(name, value))
                {
                    throw new CommandLineException($"{name} given twice");
                }
            }
            else
            {
                throw new CommandLineException($"unknown argument '{arg}'");
            }
        }

        var kindText = Required(values, "--kind");
        if (!Enum.TryParse<DrillKind>(kindText, ignoreCase: true, out var kind) || int.TryParse(kindText, out _))
        {
            throw new CommandLineException($"--kind is '{kindText}'; allowed: crash, switchover");
        }

        var rounds = 1;
        if (values.TryGetValue("--rounds", out var roundsText) && (!int.TryParse(roundsText, CultureInfo.InvariantCulture, out rounds) || rounds < 1 || rounds > 1000))
        {
            throw new CommandLineException($"--rounds is '{roundsText}'; allowed: a whole number from 1 to 1000");
        }

        var urls = new List<Uri>();
        foreach (var url in Required(values, "--patroni").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new CommandLineException($"--patroni has '{url}'; expected http(s) URLs of Patroni REST APIs, e.g. http://pg-1:8008");
            }

            urls.Add(uri);
        }

        var dsn = ConnectionString(Required(values, "--dsn"), "--dsn");
        var directDsn = values.TryGetValue("--direct-dsn", out var d) ? ConnectionString(d, "--direct-dsn") : null;
        var containers = new Dictionary<string, string>();
        if (values.TryGetValue("--containers", out var map))
        {
            foreach (var pair in map.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = pair.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                {
                    throw new CommandLineException($"--containers has '{pair}'; expected member=container pairs");
                }

                containers[parts[0]] = parts[1];
            }
        }

        if (kind == DrillKind.Crash && !values.ContainsKey("--kill-command"))
        {
            throw new CommandLineException("--kind crash needs --kill-command, e.g. --kill-command \"docker kill {container}\"");
        }

        Uri? probe = null;
        if (values.TryGetValue("--health-probe", out var probeText) && !Uri.TryCreate(probeText.TrimEnd('/') + "/", UriKind.Absolute, out probe))
        {
            throw new CommandLineException($"--health-probe is '{probeText}'; expected an http(s) URL");
        }

        var target = new DrillTarget(urls, dsn, directDsn,
            values.GetValueOrDefault("--rest-user") ?? "patroni",
            values.GetValueOrDefault("--rest-password") ?? Environment.GetEnvironmentVariable("HASTACK_PATRONI_PASSWORD"),
            values.TryGetValue("--kill-command", out var kill) ? HookCommand.Parse(kill) : null,
            values.TryGetValue("--start-command", out var start) ? HookCommand.Parse(start) : null,
            containers,
            probe);
        var settings = new DrillSettings { Candidate = values.GetValueOrDefault("--candidate") };
        return new RunOptions(kind, rounds, target, settings, flags.Contains("--json"), flags.Contains("--verbose"));
    }

    private static async Task<int> RunAsync(RunOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        using ILoggerFactory loggerFactory = options.Verbose
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information))
            : new NullLoggerFactory();
        var logger = loggerFactory.CreateLogger("FailoverDrill");
        var runner = new DrillRunner(options.Target, options.Settings, metrics: null, logger);
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
                await stdout.WriteAsync(report.ToTable()).ConfigureAwait(false);
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
            await stdout.WriteAsync(summary.ToTable()).ConfigureAwait(false);
        }

        if (reports[^1].Outcome == DrillOutcome.Refused)
        {
            await stderr.WriteLineAsync($"error: drill refused: {reports[^1].Reason}").ConfigureAwait(false);
            return ExitRefused;
        }

        return reports.All(r => r.Outcome == DrillOutcome.Passed) ? ExitPassed : ExitFailed;
    }

    private static string Required(Dictionary<string, string> values, string name) =>
        values.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new CommandLineException($"{name} is required ({Usage})");

    private static string ConnectionString(string value, string name)
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(value);
            return string.IsNullOrEmpty(builder.Host) ? throw new CommandLineException($"{name} has no Host") : value;
        }
        catch (ArgumentException ex)
        {
            throw new CommandLineException($"{name} is not a valid connection string: {ex.Message}");
        }
    }
}

/// <summary>Statistics over several drills of one kind (what bench/ records).</summary>
public sealed record DrillSummary(
    int Runs,
    int Passed,
    int Failed,
    int Refused,
    int LostWrites,
    int UnknownWrites,
    IReadOnlyDictionary<string, Stats> Rto,
    IReadOnlyDictionary<string, Stats> WriteGap,
    Stats? Detection,
    Stats? NewLeader,
    Stats? Rejoin)
{
    public static DrillSummary Of(IReadOnlyList<DrillReport> reports)
    {
        var ran = reports.Where(r => r.Outcome != DrillOutcome.Refused).ToList();
        var paths = ran.SelectMany(r => r.Paths).GroupBy(p => p.Path).ToList();
        return new DrillSummary(
            reports.Count,
            reports.Count(r => r.Outcome == DrillOutcome.Passed),
            reports.Count(r => r.Outcome == DrillOutcome.Failed),
            reports.Count(r => r.Outcome == DrillOutcome.Refused),
            ran.Sum(r => r.LostWrites),
            ran.Sum(r => r.UnknownWrites),
            paths.ToDictionary(g => g.Key, g => Stats.Of(g.Select(p => p.RtoSeconds)))!,
            paths.ToDictionary(g => g.Key, g => Stats.Of(g.Select(p => p.WriteGapSeconds)))!,
            Stats.Of(ran.Select(r => r.Timing?.DetectionSeconds)),
            Stats.Of(ran.Select(r => r.Timing?.NewLeaderSeconds)),
            Stats.Of(ran.Select(r => r.Timing?.RejoinSeconds)));
    }

    public string ToTable()
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"Summary: {Runs} drills, {Passed} passed, {Failed} failed, {Refused} refused; lost {LostWrites}, unknown {UnknownWrites}");
        s.AppendLine("  measure              n    min      median   p95      max");
        foreach (var (name, stats) in Rto.Select(kv => ($"RTO {kv.Key}", (Stats?)kv.Value)).Concat(WriteGap.Select(kv => ($"write gap {kv.Key}", (Stats?)kv.Value)))
                     .Append(("detection", Detection)).Append(("new leader", NewLeader)).Append(("rejoin", Rejoin)))
        {
            if (stats is not null)
            {
                s.AppendLine(c, $"  {name,-18} {stats.Count,3}  {stats.Min,7:0.00}  {stats.Median,7:0.00}  {stats.P95,7:0.00}  {stats.Max,7:0.00}");
            }
        }

        return s.ToString();
    }
}

/// <summary>min / median / p95 / max in seconds (nearest-rank percentiles).</summary>
public sealed record Stats(int Count, double Min, double Median, double P95, double Max)
{
    public static Stats? Of(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is not null).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Stats(sorted.Length, sorted[0], Rank(0.5), Rank(0.95), sorted[^1]);
    }
}
