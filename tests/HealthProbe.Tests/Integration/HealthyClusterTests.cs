using System.Net.Http.Json;
using System.Text.Json;

namespace HealthProbe.Tests.Integration;

/// <summary>The probe watching a healthy default cluster (leader + sync standby): verdict, metrics, dashboard, CLI.</summary>
public class HealthyClusterTests(ProbeCluster cluster) : IClassFixture<ProbeCluster>
{
    private static readonly string[] s_metricNames =
    [
        "hastack_probe_replication_lag_bytes", "hastack_probe_replication_lag_seconds", "hastack_probe_member_up",
        "hastack_probe_member_is_leader", "hastack_probe_timeline", "hastack_probe_sync_standbys",
        "hastack_probe_failover_ready", "hastack_probe_verdict", "hastack_probe_cycle_duration_seconds",
        "hastack_probe_wal_archived", "hastack_probe_wal_archive_failed", "hastack_probe_wal_archive_failing",
        "hastack_probe_wal_last_archived_timestamp_seconds", "hastack_probe_wal_last_archived_segment",
        "hastack_probe_backup_count", "hastack_probe_backup_last_completion_timestamp_seconds", "hastack_probe_backup_age_seconds",
        "hastack_probe_backup_last_size_bytes", "hastack_probe_backup_last_duration_seconds", "hastack_probe_backup_repository_ok",
        "hastack_probe_synchronous_mode", "hastack_probe_backup_schedule_seconds",
    ];

    [Fact]
    public async Task HealthyClusterIsReportedHealthyWithTheLeaderAndFailoverReadiness()
    {
        var status = await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(60));
        var patroni = await cluster.Patroni.GetClusterAsync(default);

        Assert.Equal(patroni.Leader?.Name, ProbeApi.Leader(status));
        var readiness = status.GetProperty("failoverReadiness");
        Assert.True(readiness.GetProperty("ready").GetBoolean(), readiness.GetProperty("reason").GetString());
        Assert.Equal(patroni.Members.Single(m => m.Role == "sync_standby").Name, readiness.GetProperty("candidate").GetString());
        Assert.Equal(21, readiness.GetProperty("expectedFailoverSeconds").GetDouble()); // fast profile on 18: ttl 20 + loop_wait 1
        var settings = status.GetProperty("settings");
        Assert.Equal((20, 1, 3), (settings.GetProperty("ttl").GetInt32(), settings.GetProperty("loopWait").GetInt32(), settings.GetProperty("retryTimeout").GetInt32()));
        Assert.Equal(1, status.GetProperty("syncStandbys").GetInt32());
        foreach (var node in cluster.NodeNames)
        {
            var member = ProbeApi.Member(status, node);
            Assert.True(member.GetProperty("reachable").GetBoolean());
            Assert.True(member.GetProperty("sqlReachable").GetBoolean());
            // A standby reports its replay position every few seconds: an idle cluster may show a few bytes.
            Assert.InRange(member.GetProperty("lagBytes").GetInt64(), 0, 64 * 1024);
        }

        Assert.True(status.GetProperty("etcd").GetProperty("hasQuorum").GetBoolean());
        Assert.True(status.GetProperty("pgBouncer").GetProperty("reachable").GetBoolean());
        Assert.Contains(status.GetProperty("pgBouncer").GetProperty("pools").EnumerateArray(), p => p.GetProperty("database").GetString() == "app");

        // The verdict is the resource's health on the Aspire dashboard.
        using var cts = new CancellationTokenSource(Timeouts.Scaled(30));
        await cluster.App.ResourceNotifications.WaitForResourceHealthyAsync("healthprobe", cts.Token);
    }

    [Fact]
    public async Task PrometheusScrapesTheProbeAndHasLagMetricsForEveryMember()
    {
        using var http = new HttpClient { BaseAddress = cluster.GetEndpoint("prometheus", "http"), Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync("Prometheus' healthprobe target is up", Timeouts.ScrapesUp, async ct =>
        {
            var targets = await http.GetFromJsonAsync<JsonElement>("/api/v1/targets?state=active", ct);
            return targets.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
                .Any(t => t.GetProperty("labels").GetProperty("job").GetString() == "healthprobe" && t.GetProperty("health").GetString() == "up");
        });

        async Task<JsonElement[]> QueryAsync(string query, CancellationToken ct) =>
            (await http.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(query), ct))
            .GetProperty("data").GetProperty("result").EnumerateArray().ToArray();

        await Wait.UntilAsync("lag metrics for every member and a healthy, ready verdict", Timeouts.ScrapesUp, async ct =>
        {
            var bytes = await QueryAsync("hastack_probe_replication_lag_bytes", ct);
            var seconds = await QueryAsync("hastack_probe_replication_lag_seconds", ct);
            var leaders = await QueryAsync("sum(hastack_probe_member_is_leader)", ct);
            var verdict = await QueryAsync("hastack_probe_verdict", ct);
            var ready = await QueryAsync("hastack_probe_failover_ready", ct);
            var members = bytes.Select(r => r.GetProperty("metric").GetProperty("member").GetString()).ToHashSet();
            return cluster.NodeNames.All(members.Contains) && seconds.Length == cluster.NodeNames.Count
                   && leaders is [var l] && l.GetProperty("value")[1].GetString() == "1"
                   && verdict is [var v] && v.GetProperty("value")[1].GetString() == "0"
                   && ready is [var r] && r.GetProperty("value")[1].GetString() == "1";
        });
    }

    [Fact]
    public async Task MetricsEndpointShowsEveryProbeMetricUnderItsExactPrometheusName()
    {
        await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(60));
        // The backup and archiving series appear once the stack's first backup has run (at start).
        var metrics = "";
        HashSet<string> types = [];
        try
        {
            await Wait.UntilAsync("every probe metric is exported", Timeouts.Scaled(120), async ct =>
            {
                metrics = await cluster.Probe.Http.GetStringAsync("/metrics", ct);
                types = metrics.Split('\n').Where(l => l.StartsWith("# TYPE hastack_probe_", StringComparison.Ordinal))
                    .Select(l => l.Split(' ')[2]).ToHashSet();
                return types.SetEquals(s_metricNames);
            }, TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            // The assertion below shows the difference.
        }

        Assert.Equal(s_metricNames.Order(), types.Order());
        Assert.Contains("# TYPE hastack_probe_cycle_duration_seconds histogram", metrics, StringComparison.Ordinal);
        foreach (var node in cluster.NodeNames)
        {
            // The exporter adds its scope labels (otel_scope_name…) beside ours.
            Assert.Matches($"hastack_probe_member_up{{[^}}]*member=\"{node}\"[^}}]*}} 1", metrics);
        }
    }

    [Fact]
    public async Task EveryQueryOfTheProbeDashboardReturnsData() =>
        await GrafanaDashboard.AssertEveryQueryReturnsDataAsync("hastack-probe.json", cluster.GetEndpoint("prometheus", "http"), Timeouts.ScrapesUp);

    [Fact]
    public async Task CliReportsAHealthyClusterWithExitCodeZeroAsTextAndJson()
    {
        await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(60));
        var dsn = await cluster.DsnAsync();

        var text = await ProbeCli.CheckAsync("--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!, "--dsn", dsn);
        var json = await ProbeCli.CheckAsync("--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!, "--dsn", dsn, "--json");
        var restOnly = await ProbeCli.CheckAsync("--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!);

        Assert.True(text.ExitCode == 0, text.Stdout + text.Stderr);
        Assert.Contains("✓ failover ready", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("✗", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("Healthy:", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("Patroni timing (read back from /config): ttl 20 s, loop_wait 1 s, retry_timeout 3 s", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.Equal("Healthy", report.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(cluster.NodeNames.Order(), report.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).Order());
        Assert.True(restOnly.ExitCode == 0, restOnly.Stdout + restOnly.Stderr);
    }

    [Fact]
    public async Task CliExitsThreeWithAOneLineErrorWhenItCannotCheck()
    {
        var prometheus = cluster.GetEndpoint("prometheus", "http").ToString();
        var cases = new (string Case, string[] Args, string Expected)[]
        {
            ("unreachable URL", ["--patroni", "http://127.0.0.1:1"], "127.0.0.1:1"),
            ("non-Patroni URL", ["--patroni", prometheus], "is not a Patroni REST API"),
            ("wrong password", ["--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!, "--dsn", await cluster.DsnAsync("wrong-password")], "password authentication failed"),
        };

        foreach (var (name, args, expected) in cases)
        {
            var result = await ProbeCli.CheckAsync(args);
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.True(result.ExitCode == 3, $"{name}: exit {result.ExitCode}: {result.Stderr}{result.Stdout}");
            Assert.True(lines.Length == 1, $"{name}: expected one line on stderr, got: {result.Stderr}");
            Assert.StartsWith("healthprobe: could not check: ", lines[0], StringComparison.Ordinal);
            Assert.Contains(expected, lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-password", lines[0], StringComparison.Ordinal);
            Assert.Empty(result.Stdout);
        }
    }
}
