using System.Globalization;
using System.Text.Json;
using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;
using HaStack.Testing;
using Microsoft.Extensions.Logging;

// Runs N drills of one kind in a row against a fresh stack started like the tests start it (real containers), with
// the same DrillRunner the service and the CLI use, and prints the per-drill lines, the summary and a JSON file.
// Usage: DrillBench --kind crash|switchover --rounds N --timing fast|default [--sync on|off|strict] [--out file.json]
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal) && x.i + 1 < args.Length)
    .ToDictionary(x => x.a, x => args[x.i + 1]);
var kind = DrillKinds.TryParse(options.GetValueOrDefault("--kind", "crash"), out var parsed) ? parsed : throw new ArgumentException($"--kind: one of {DrillKinds.AllNames}");
var rounds = int.Parse(options.GetValueOrDefault("--rounds", "1"), CultureInfo.InvariantCulture);
var timing = options.GetValueOrDefault("--timing", "fast");
var sync = options.GetValueOrDefault("--sync", "on");
var version = options.GetValueOrDefault("--version", "17");
var output = options.GetValueOrDefault("--out");

string[] stackArguments = [$"--HaStack:PostgresVersion={version}", $"--HaStack:Timing={timing}", $"--HaStack:SynchronousMode={sync}"];
var cluster = new BenchCluster(stackArguments);
Console.Error.WriteLine($"starting the stack (PostgreSQL {version}, timing {timing}, synchronous_mode {sync})…");
await cluster.InitializeAsync();
try
{
    var containers = cluster.Containers;
    var first = cluster.NodeNames[0];
    var patroniVersion = (await cluster.Patroni.GetNodeAsync(cluster.PatroniUrls[first], default)).PatroniVersion;
    var serverVersion = await cluster.QueryAsync<string>("app", "SHOW server_version");
    Console.WriteLine($"platform: PostgreSQL {serverVersion}, Patroni {patroniVersion}");
    var target = new DrillTarget(
        [.. cluster.PatroniUrls.Values],
        await cluster.GetConnectionStringAsync("app"),
        await cluster.GetConnectionStringAsync("pg"),
        HaStack.AppHost.Patroni.PatroniClusterResource.RestUser,
        await cluster.GetParameterAsync("patroni-rest-password"),
        ["docker", "kill", "{container}"],
        ["docker", "start", "{container}"],
        containers);
    using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
    var runner = new DrillRunner(target, new DrillSettings(), metrics: null, loggers.CreateLogger("drill"));
    var reports = new List<DrillReport>();
    for (var round = 1; round <= rounds; round++)
    {
        await runner.WaitUntilReadyAsync(kind, TimeSpan.FromSeconds(180), CancellationToken.None);
        var report = await runner.RunAsync(kind, CancellationToken.None);
        reports.Add(report);
        var paths = string.Join("  ", report.Paths.Select(p => $"{p.Path} rto {p.RtoSeconds:0.00} s gap {p.WriteGapSeconds:0.00} s"));
        Console.WriteLine($"{round,3}/{rounds} {report.Outcome,-7} {report.OldLeader}->{report.NewLeader} tl {report.TimelineBefore}->{report.TimelineAfter}  " +
                          $"detect {report.Timing?.DetectionSeconds:0.00} s  lock {report.Timing?.NewLeaderSeconds:0.00} s  {paths}  " +
                          $"lost {report.LostWrites} unknown {report.UnknownWrites}  rejoin {report.Timing?.RejoinSeconds:0.0} s" +
                          (report.Reason is null ? "" : $"  ({report.Reason})"));
        if (report.Outcome != DrillOutcome.Passed)
        {
            Console.WriteLine(report.ToTable());
        }
    }

    var summary = DrillSummary.Of(reports);
    Console.WriteLine(summary.ToTable());
    if (output is not null)
    {
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(
            new { kind, timing, sync, rounds, postgres = serverVersion, patroni = patroniVersion, summary, reports }, DrillReport.JsonOptions));
    }

    return summary.Passed == rounds && summary.LostWrites == 0 ? 0 : 1;
}
finally
{
    await cluster.DisposeAsync();
}

/// <summary>The test fixture's stack with the bench's timing profile and synchronous mode.</summary>
internal sealed class BenchCluster(string[] arguments) : HaStackCluster
{
    protected override IEnumerable<string> Arguments => arguments;
}
