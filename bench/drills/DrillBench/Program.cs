using System.Globalization;
using System.Text.Json;
using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;
using HaStack.FailoverDrill.Soak;
using HaStack.Testing;
using Microsoft.Extensions.Logging;

// Runs drills against a fresh stack started like the tests start it (real containers), with the same DrillRunner and
// ChaosSoak the service and the CLI use, and prints per-drill lines, summaries and a JSON file.
// Usage: DrillBench --kind crash[,partition,…|all] --rounds N --timing fast|default [--sync on|off|strict] [--fencing on|off] [--version 18|17|15]
//                   [--switchover paused|plain|paused,plain] [--alerts on] [--out file.json]
//        --alerts on: after each drill that moved the timeline, the time from the fault to the HaStackFailover alert
//                     firing in Prometheus and to the HealthProbe's receiver (its structured log line)
//        DrillBench --chaos 30m --seed N --timing fast [--sync on|off] [--out file.json]
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal) && x.i + 1 < args.Length)
    .ToDictionary(x => x.a, x => args[x.i + 1]);
var kindList = options.GetValueOrDefault("--kind", "crash");
var kinds = kindList == "all"
    ? [.. Enum.GetValues<DrillKind>()]
    : kindList.Split(',').Select(k => DrillKinds.TryParse(k, out var parsed) ? parsed : throw new ArgumentException($"--kind {k}: one of {DrillKinds.AllNames}, all")).ToList();
var rounds = int.Parse(options.GetValueOrDefault("--rounds", "1"), CultureInfo.InvariantCulture);
var chaos = options.TryGetValue("--chaos", out var chaosText) ? SoakDuration.TryParse(chaosText, out var length) ? length : throw new ArgumentException($"--chaos {chaosText}: {SoakDuration.Allowed}") : (TimeSpan?)null;
var seed = int.Parse(options.GetValueOrDefault("--seed", "1"), CultureInfo.InvariantCulture);
var timing = options.GetValueOrDefault("--timing", "fast");
var sync = options.GetValueOrDefault("--sync", "on");
var version = options.GetValueOrDefault("--version", "18");
var fencing = options.GetValueOrDefault("--fencing", "on");
var output = options.GetValueOrDefault("--out");
var measureAlerts = options.GetValueOrDefault("--alerts", "off") == "on";
// Switchover drills in each mode, round-robin in one session (default: the service's default, paused).
var switchoverModes = options.GetValueOrDefault("--switchover", "paused").Split(',')
    .Select(m => SwitchoverModes.TryParse(m, out var mode) ? mode : throw new ArgumentException($"--switchover {m}: {SwitchoverModes.Allowed}")).ToList();

string[] stackArguments = [$"--HaStack:PostgresVersion={version}", $"--HaStack:Timing={timing}", $"--HaStack:SynchronousMode={sync}", $"--HaStack:FencedFailover={fencing}"];
var cluster = new BenchCluster(stackArguments);
Console.Error.WriteLine($"starting the stack (PostgreSQL {version}, timing {timing}, synchronous_mode {sync}, fencing {fencing})…");
await cluster.InitializeAsync();
try
{
    var first = cluster.NodeNames[0];
    var patroniVersion = (await cluster.Patroni.GetNodeAsync(cluster.PatroniUrls[first], default)).PatroniVersion;
    var serverVersion = await cluster.QueryAsync<string>("app", "SHOW server_version");
    Console.WriteLine($"platform: PostgreSQL {serverVersion}, Patroni {patroniVersion}");
    var target = new DrillTarget(
        [.. cluster.PatroniUrls.Values],
        await cluster.GetConnectionStringAsync("app"),
        await cluster.GetConnectionStringAsync("pg"),
        Aspire.Hosting.ApplicationModel.PatroniClusterResource.RestUser,
        await cluster.GetParameterAsync("pg-rest-password"),
        ["docker", "kill", "{container}"],
        ["docker", "start", "{container}"],
        cluster.Containers.Concat(cluster.EtcdContainers).ToDictionary())
    {
        FaultImage = cluster.NodeImage,
        FencedFailover = fencing == "on",
        EtcdMembers = cluster.EtcdMetricsUrls,
        PgBouncerContainer = cluster.PgBouncerContainer,
    };
    // Patroni's REST API is HTTPS with the stack's own CA (unless HaStack:Tls=off): verify it, as the service does.
    using var http = new HttpClient(HaStack.Patroni.StackTrust.CreateHandler(cluster.RootCertificatePath)) { Timeout = Timeout.InfiniteTimeSpan };
    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
    if (chaos is { } duration)
    {
        var soak = await new ChaosSoak(target, new DrillSettings(), metrics: null, loggers.CreateLogger("soak"), http).RunAsync(duration, seed, CancellationToken.None);
        Console.WriteLine(soak.ToTable());
        foreach (var (kind, summary) in soak.ByKind)
        {
            Console.WriteLine($"-- {kind}");
            Console.WriteLine(summary.ToTable());
        }

        if (output is not null)
        {
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(
                new { chaos = duration.TotalSeconds, seed, timing, sync, postgres = serverVersion, patroni = patroniVersion, soak, byKind = soak.ByKind }, DrillReport.JsonOptions));
        }

        return soak.Outcome == DrillOutcome.Passed ? 0 : 1;
    }

    // One entry per kind, and per mode for switchovers ("switchover-paused", "switchover-plain").
    var plan = kinds.SelectMany(k => k == DrillKind.Switchover
        ? switchoverModes.Select(m => (Kind: k, Mode: (SwitchoverMode?)m, Name: $"switchover-{SwitchoverModes.Name(m)}"))
        : [(Kind: k, Mode: (SwitchoverMode?)null, Name: DrillKinds.Name(k))]).ToList();
    var reports = plan.ToDictionary(p => p.Name, _ => new List<DrillReport>());
    var alerts = plan.ToDictionary(p => p.Name, _ => new List<AlertLatency>());
    // Round-robin over the kinds: each kind sees the same mix of machine noise.
    for (var round = 1; round <= rounds; round++)
    {
        foreach (var (kind, mode, name) in plan)
        {
            var runner = new DrillRunner(target, new DrillSettings { Switchover = mode }, metrics: null, loggers.CreateLogger("drill"), http);
            await runner.WaitUntilReadyAsync(kind, TimeSpan.FromSeconds(180), CancellationToken.None);
            var report = await runner.RunAsync(kind, CancellationToken.None);
            reports[name].Add(report);
            var paths = string.Join("  ", report.Paths.Select(p => $"{p.Path} rto {p.RtoSeconds:0.00} s gap {p.WriteGapSeconds:0.00} s failed {p.FailedDuringGap} unknown {p.UnknownDuringGap}"));
            Console.WriteLine($"{round,3}/{rounds} {name,-18} {report.Outcome,-7} {report.OldLeader}->{report.NewLeader ?? report.OldLeader} tl {report.TimelineBefore}->{report.TimelineAfter}  " +
                              $"detect {report.Timing?.DetectionSeconds:0.00} s  lock {report.Timing?.NewLeaderSeconds:0.00} s  {paths}  " +
                              $"lost {report.LostWrites} unknown {report.UnknownWrites}  split {report.SplitBrain?.LongestSeconds:0.0} s  healthy {report.Timing?.RejoinSeconds:0.0} s" +
                              (report.Pause is { } pause ? $"  paused {pause.ResumedAfterSeconds:0.00} s" : "") +
                              (report.Synchronous is { WentAsynchronous: true } s ? $"  async {s.AsynchronousSeconds:0.0} s" : "") +
                              (report.Reason is null ? "" : $"  ({report.Reason})"));
            if (report.Outcome != DrillOutcome.Passed)
            {
                Console.WriteLine(report.ToTable());
            }
            else if (measureAlerts && report is { TimelineAfter: { } timeline, InjectedAt: { } injectedAt } && timeline != report.TimelineBefore)
            {
                var alert = await cluster.WaitForReceivedAlertAsync($"HaStackFailover firing for timeline {timeline}",
                    a => a is { AlertName: "HaStackFailover", Status: "firing" } && a.Labels.Contains($"timeline={timeline}", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(120));
                var latency = new AlertLatency(report.Timing?.NewLeaderSeconds, (alert.StartsAt - injectedAt).TotalSeconds, (alert.ReceivedAt - injectedAt).TotalSeconds);
                alerts[name].Add(latency);
                Console.WriteLine($"        alert: new leader {latency.NewLeaderSeconds:0.00} s, firing in Prometheus {latency.FiringSeconds:0.00} s, " +
                                  $"at the receiver (its log line) {latency.ReceivedSeconds:0.00} s after the fault");
            }
        }
    }

    var summaries = reports.ToDictionary(kv => kv.Key, kv => DrillSummary.Of(kv.Value));
    foreach (var (kind, summary) in summaries)
    {
        Console.WriteLine($"-- {kind}");
        Console.WriteLine(summary.ToTable());
    }

    var alertSummaries = alerts.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => new
    {
        newLeader = Stats.Of(kv.Value.Select(a => a.NewLeaderSeconds)),
        firing = Stats.Of(kv.Value.Select(a => (double?)a.FiringSeconds)),
        received = Stats.Of(kv.Value.Select(a => (double?)a.ReceivedSeconds)),
    });
    static string Line(Stats? s) => s is null ? "-" : $"{s.Count,3}  {s.Min,6:0.00}  {s.Median,6:0.00}  {s.P95,6:0.00}  {s.Max,6:0.00}";
    foreach (var (kind, a) in alertSummaries)
    {
        Console.WriteLine($"-- {kind}: seconds from the fault     n     min  median     p95     max");
        Console.WriteLine($"   new leader                {Line(a.newLeader)}");
        Console.WriteLine($"   alert firing (Prometheus) {Line(a.firing)}");
        Console.WriteLine($"   alert at the receiver     {Line(a.received)}");
    }

    if (output is not null)
    {
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(
            new { kinds = kinds.Select(DrillKinds.Name), timing, sync, fencing, rounds, postgres = serverVersion, patroni = patroniVersion, summaries, alerts = alertSummaries, reports }, DrillReport.JsonOptions));
    }

    return summaries.Values.All(s => s.Passed == rounds && s.LostWrites == 0) ? 0 : 1;
}
finally
{
    await cluster.DisposeAsync();
}

/// <summary>Seconds from a drill's fault to the new leader, to the failover alert firing in Prometheus, and to the receiver.</summary>
internal sealed record AlertLatency(double? NewLeaderSeconds, double FiringSeconds, double ReceivedSeconds);

/// <summary>The test fixture's stack with the bench's timing profile and synchronous mode.</summary>
internal sealed class BenchCluster(string[] arguments) : HaStackCluster
{
    protected override IEnumerable<string> Arguments => arguments;
}
