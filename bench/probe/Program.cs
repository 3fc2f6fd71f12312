using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HaStack.HealthProbe.Probing;
using HaStack.Testing;
using Npgsql;

// Measures the HealthProbe against a real 3-node stack; see run.sh. Writes the "## HealthProbe" section of the
// results file given as first argument.
var resultsPath = args.Length > 0 ? args[0] : "bench/RESULTS.md";
var cycles = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
var invariant = CultureInfo.InvariantCulture;

await using var cluster = new BenchCluster();
Console.Error.WriteLine("[bench] starting a 3-node stack (fast timing)…");
await cluster.InitializeAsync();
using var status = new HttpClient { BaseAddress = cluster.GetEndpoint("healthprobe", "http"), Timeout = TimeSpan.FromSeconds(3) };
using var prometheus = new HttpClient { BaseAddress = cluster.GetEndpoint("prometheus", "http"), Timeout = TimeSpan.FromSeconds(5) };
await WaitHealthyAsync(TimeSpan.FromMinutes(2));
var patroniConfig = await cluster.Patroni.GetConfigAsync(cluster.PatroniUrls[cluster.NodeNames[0]], default);
var serverVersion = (await cluster.QueryAsync<string>("app", "SHOW server_version")).Split(' ')[0];
var patroniVersion = (await cluster.Patroni.GetNodeAsync(cluster.PatroniUrls[cluster.NodeNames[0]], default)).PatroniVersion;
var platformLine = string.Create(invariant,
    $"PostgreSQL {serverVersion}, Patroni {patroniVersion}, timing profile `fast` as Patroni's /config reports it: ttl {patroniConfig.Ttl} / loop_wait {patroniConfig.LoopWait} / retry_timeout {patroniConfig.RetryTimeout}");

// 1. Cycle cost: the same ClusterProbe the service runs, in this process, against the same targets.
var monitor = await cluster.GetParameterAsync("pg-monitor-password");
var targets = new ProbeTargets
{
    Members = cluster.NodeNames.Select(n => new MemberEndpoint(n, cluster.GetEndpoint(n, "patroni"),
        $"Host={cluster.GetEndpoint(n, "postgres").Host};Port={cluster.GetEndpoint(n, "postgres").Port};Username=hastack_monitor;Password={monitor};Database=postgres")).ToList(),
    PgBouncerMetrics = new Uri(cluster.GetEndpoint("pgbouncer", "metrics"), "/metrics"),
    Etcd = new[] { "etcd-1", "etcd-2", "etcd-3" }.Select(n => (n, cluster.GetEndpoint(n, "metrics"))).ToList(),
};
// Patroni's REST API is HTTPS with the stack's own CA (unless HaStack:Tls=off): verify it, as the probe does.
using var http = new HttpClient(HaStack.Patroni.StackTrust.CreateHandler(cluster.RootCertificatePath));
await using (var probe = new ClusterProbe(targets, new ProbeThresholds(), http))
{
    for (var i = 0; i < 20; i++)
    {
        await probe.RunOnceAsync(default);
    }

    var durations = new List<double>();
    for (var i = 0; i < cycles; i++)
    {
        var report = await probe.RunOnceAsync(default);
        if (report.Verdict != HaStack.HealthProbe.Model.Verdict.Healthy)
        {
            throw new InvalidOperationException("cluster not healthy during the cycle benchmark: " + string.Join("; ", report.Reasons));
        }

        durations.Add(report.DurationSeconds * 1000);
        await Task.Delay(50);
    }

    durations.Sort();
    Results.CycleMedianMs = Percentile(durations, 0.5);
    Results.CycleP99Ms = Percentile(durations, 0.99);
    Results.CycleMaxMs = durations[^1];
    Results.Cycles = cycles;
}

// 2. CPU of the probe service (its own process, started by the AppHost) over 60 s at the default 1 s interval.
var pid = await ProbePidAsync();
var ticksPerSecond = 100.0; // USER_HZ on Linux
var (cpu0, at0) = (CpuTicks(pid), Stopwatch.GetTimestamp());
await Task.Delay(TimeSpan.FromSeconds(60));
var (cpu1, elapsed) = (CpuTicks(pid), Stopwatch.GetElapsedTime(at0));
Results.CpuPercent = (cpu1 - cpu0) / ticksPerSecond / elapsed.TotalSeconds * 100;
Results.RssMiB = RssMiB(pid);

// 3. Staleness: real events, timed until /status and Prometheus show them.
var writerCs = await cluster.GetConnectionStringAsync("app");
for (var run = 0; run < 5; run++)
{
    await WaitHealthyAsync(TimeSpan.FromMinutes(1));
    var replica = await ReplicaAsync();
    await using var writer = Writer.Start(writerCs);
    await using var connection = new NpgsqlConnection(await cluster.GetConnectionStringAsync(replica));
    await connection.OpenAsync();
    // Patroni 3.0 resumes paused replay on PostgreSQL 14+ every HA loop unless it is in maintenance mode.
    // Start from what Prometheus shows for a caught-up replica, or the previous run's lag would count as seen.
    await UntilAsync(async () => await QueryScalarAsync($"hastack_probe_replication_lag_seconds{{member=\"{replica}\"}}") < 1);
    await SetMaintenanceModeAsync(true);
    await UntilAsync(async () => (await StatusAsync()).GetProperty("maintenanceMode").GetBoolean());
    await ExecuteAsync(connection, "SELECT pg_wal_replay_pause()");
    var seen = await UntilAsync(async () => (await StatusAsync()).GetProperty("reasons").EnumerateArray()
        .Any(r => r.GetString() == $"{replica}: WAL replay is paused"));
    var scraped = await UntilAsync(async () => await QueryScalarAsync($"hastack_probe_replication_lag_seconds{{member=\"{replica}\"}}") >= 1);
    Results.PauseToStatus.Add(seen.TotalSeconds);
    Results.PauseToPrometheus.Add(scraped.TotalSeconds);
    await ExecuteAsync(connection, "SELECT pg_wal_replay_resume()");
    await SetMaintenanceModeAsync(false);
}

for (var run = 0; run < 3; run++)
{
    await WaitHealthyAsync(TimeSpan.FromMinutes(2));
    await UntilAsync(async () => await VerdictMetricAsync() == 0);
    var replica = await ReplicaAsync();
    var container = ((Aspire.Hosting.ApplicationModel.PatroniNodeResource)cluster.App.Services.GetRequiredServiceModel().Resources.Single(r => r.Name == replica)).ContainerName;
    Docker("kill", container);
    var killed = Stopwatch.StartNew();
    var seen = await UntilAsync(async () =>
    {
        var s = await StatusAsync();
        return s.GetProperty("members").EnumerateArray().Any(m => m.GetProperty("name").GetString() == replica && !m.GetProperty("reachable").GetBoolean());
    });
    var scraped = await UntilAsync(async () => await MemberUpMetricAsync(replica) == 0);
    Results.KillToStatus.Add(seen.TotalSeconds);
    Results.KillToPrometheus.Add(scraped.TotalSeconds);
    Docker("start", container);
}

await WaitHealthyAsync(TimeSpan.FromMinutes(2));
WriteSection(resultsPath);
Console.Error.WriteLine("[bench] done; section written to " + resultsPath);
return 0;

Task SetMaintenanceModeAsync(bool paused) => cluster.Patroni.SetMaintenanceModeAsync(paused, default);

async Task<JsonElement> StatusAsync() => await status.GetFromJsonAsync<JsonElement>("/status");

async Task WaitHealthyAsync(TimeSpan timeout) =>
    await Wait.UntilAsync("the probe says Healthy", timeout, async _ => (await StatusAsync()).GetProperty("verdict").GetString() == "Healthy");

async Task<string> ReplicaAsync()
{
    var s = await StatusAsync();
    return s.GetProperty("failoverReadiness").GetProperty("candidate").GetString()!;
}

async Task<double> QueryScalarAsync(string query)
{
    var result = await prometheus.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(query));
    var series = result.GetProperty("data").GetProperty("result");
    return series.GetArrayLength() == 0 ? double.NaN : double.Parse(series[0].GetProperty("value")[1].GetString()!, invariant);
}

Task<double> VerdictMetricAsync() => QueryScalarAsync("hastack_probe_verdict");

Task<double> MemberUpMetricAsync(string member) => QueryScalarAsync($"hastack_probe_member_up{{member=\"{member}\"}}");

async Task<int> ProbePidAsync()
{
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var e = await cluster.App.ResourceNotifications.WaitForResourceAsync("healthprobe",
        e => e.Snapshot.Properties.Any(p => p.Name == "executable.pid" && p.Value is not null), cts.Token);
    return Convert.ToInt32(e.Snapshot.Properties.First(p => p.Name == "executable.pid").Value, invariant);
}

static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition)
{
    var watch = Stopwatch.StartNew();
    while (watch.Elapsed < TimeSpan.FromSeconds(60))
    {
        try
        {
            if (await condition())
            {
                return watch.Elapsed;
            }
        }
        catch (HttpRequestException)
        {
            // not yet
        }

        await Task.Delay(50);
    }

    throw new TimeoutException("condition not met within 60 s");
}

// DCP starts the service as `dotnet run --no-build`, whose child is the service itself: count the whole process tree.
static IEnumerable<int> Tree(int pid) =>
    new[] { pid }.Concat(Directory.GetDirectories($"/proc/{pid}/task")
        .SelectMany(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(c => int.Parse(c, CultureInfo.InvariantCulture)).SelectMany(Tree));

static long CpuTicks(int pid) => Tree(pid).Sum(p =>
{
    var stat = File.ReadAllText($"/proc/{p}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime + stime
});

static double RssMiB(int pid) => Tree(pid).Sum(p =>
    File.ReadLines($"/proc/{p}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).First());

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static void Docker(params string[] args)
{
    using var process = Process.Start("docker", args);
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"docker {string.Join(' ', args)} failed");
    }
}

static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
{
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}

void WriteSection(string path)
{
    static string Stats(List<double> values) => values.Count == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture,
        $"median {values.Order().ElementAt(values.Count / 2):0.00} s, max {values.Max():0.00} s ({values.Count} runs: {string.Join(", ", values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)))})");

    var machine = $"{Environment.ProcessorCount} cores, {File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]} kB RAM, {File.ReadLines("/etc/os-release").First(l => l.StartsWith("PRETTY_NAME", StringComparison.Ordinal)).Split('=')[1].Trim('"')}, .NET {Environment.Version}";
    var text = new StringBuilder();
    text.AppendLine("## HealthProbe");
    text.AppendLine();
    text.AppendLine(CultureInfo.InvariantCulture, $"Command: `bench/probe/run.sh {cycles}` ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC). Machine: {machine}.");
    text.AppendLine("Stack: testing builder, 3 Patroni nodes (leader, sync standby, replica), 3 etcd members, PgBouncer; " + platformLine + ";");
    text.AppendLine("probe interval 1 s (default). Everything runs on the same 2-core machine as the probe.");
    text.AppendLine();
    text.AppendLine("| what | result | method |");
    text.AppendLine("| --- | --- | --- |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| one probe cycle, 3 nodes | median {Results.CycleMedianMs:0.0} ms, p99 {Results.CycleP99Ms:0.0} ms, max {Results.CycleMaxMs:0.0} ms | {Results.Cycles} cycles of the service's `ClusterProbe` in-process from the host (after 20 warm-up cycles, 50 ms apart): 3× `/patroni` + SQL batch, `/cluster`, 3× etcd `/health`, the PgBouncer exporter's `/metrics` (pools), all concurrent |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| CPU of the probe service at 1 s interval | {Results.CpuPercent:0.00} % of one core, RSS {Results.RssMiB:0} MiB (with its `dotnet run` launcher) | utime+stime of the service's process tree (`dotnet run` and the service, `/proc/<pid>/stat`) over 60 s while it probes, serves `/health` to the AppHost and `/metrics` to Prometheus |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| staleness: replay paused → `/status` says so | {Stats(Results.PauseToStatus)} | `pg_wal_replay_pause()` on the sync standby under ~10 writes/s (Patroni in maintenance mode, else it resumes replay within a loop), `/status` polled every 50 ms until it names the paused replay |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| staleness: replay paused → Prometheus `hastack_probe_replication_lag_seconds` ≥ 1 | {Stats(Results.PauseToPrometheus)} | same events, Prometheus queried every 50 ms (scrape interval 5 s); includes the 1 s the lag itself needs |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| staleness: replica killed → `/status` member unreachable | {Stats(Results.KillToStatus)} | `docker kill` of the sync standby's container, then `docker start` and wait for Healthy |");
    text.AppendLine(CultureInfo.InvariantCulture, $"| staleness: replica killed → Prometheus `hastack_probe_member_up` = 0 | {Stats(Results.KillToPrometheus)} | same events |");
    text.AppendLine();
    text.AppendLine("Reading: a paused replay is reported on the next cycle (the verdict turns Degraded as soon as the probe sees");
    text.AppendLine("`pg_is_wal_replay_paused()`); the time-based lag thresholds (1 s / 10 s) add their own delay on top. A killed member");
    text.AppendLine("is seen on the next cycle (its REST API and SQL fail at once through the DCP proxy). Prometheus adds up to one scrape");
    text.AppendLine("interval (5 s).");

    var existing = File.Exists(path) ? File.ReadAllText(path) : "# HaStack benchmark results\n";
    var start = existing.IndexOf("\n## HealthProbe", StringComparison.Ordinal);
    string updated;
    if (start < 0)
    {
        updated = existing.TrimEnd() + "\n\n" + text;
    }
    else
    {
        var next = existing.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        updated = existing[..(start + 1)] + text + (next < 0 ? "" : "\n" + existing[(next + 1)..]);
    }

    File.WriteAllText(path, updated);
    Console.WriteLine(text);
}

internal sealed class BenchCluster : HaStackCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:Replicas=2"];
}

internal static class Results
{
    public static double CycleMedianMs { get; set; }
    public static double CycleP99Ms { get; set; }
    public static double CycleMaxMs { get; set; }
    public static int Cycles { get; set; }
    public static double CpuPercent { get; set; }
    public static double RssMiB { get; set; }
    public static List<double> PauseToStatus { get; } = [];
    public static List<double> PauseToPrometheus { get; } = [];
    public static List<double> KillToStatus { get; } = [];
    public static List<double> KillToPrometheus { get; } = [];
}

internal static class ModelExtensions
{
    public static Aspire.Hosting.ApplicationModel.DistributedApplicationModel GetRequiredServiceModel(this IServiceProvider services) =>
        (Aspire.Hosting.ApplicationModel.DistributedApplicationModel)services.GetService(typeof(Aspire.Hosting.ApplicationModel.DistributedApplicationModel))!;
}

/// <summary>Ten small transactions a second through PgBouncer until disposed.</summary>
internal sealed class Writer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public static Writer Start(string connectionString)
    {
        var writer = new Writer();
        writer._loop = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(writer._stop.Token);
            await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_probe_writes (at timestamptz DEFAULT now())", connection))
            {
                await create.ExecuteNonQueryAsync(writer._stop.Token);
            }

            while (!writer._stop.IsCancellationRequested)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO bench_probe_writes DEFAULT VALUES", connection);
                await insert.ExecuteNonQueryAsync(writer._stop.Token);
                await Task.Delay(100, writer._stop.Token);
            }
        });
        return writer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // stopped on purpose
        }

        _stop.Dispose();
    }
}
