using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;
using Npgsql;

namespace FailoverDrill.Tests.Integration;

/// <summary>Drills against the real cluster, through the drill service the AppHost runs (and once through the CLI).</summary>
[Collection(DrillCollection.Name)]
public class DrillTests(DrillCluster cluster)
{
    [Fact]
    public async Task SwitchoverDrillUnderLoadMovesTheLeaderReportsRtoAndLosesNoWrite()
    {
        var leaderBefore = await cluster.LeaderAsync(default);

        var (status, report) = await cluster.RunDrillAsync("switchover");

        Assert.True(report.Outcome == DrillOutcome.Passed, $"switchover drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(leaderBefore, report.OldLeader);
        Assert.NotEqual(report.OldLeader, report.NewLeader);
        Assert.Equal(report.NewLeader, await cluster.LeaderAsync(default));
        Assert.Equal(["direct", "pooled"], report.Paths.Select(p => p.Path).Order());
        Assert.All(report.Paths, p => Assert.True(p.RtoSeconds > 0 && p.WriteGapSeconds > 0, $"{p.Path}: no RTO or gap measured"));
        Assert.True(report.Check!.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        Assert.Equal(0, report.LostWrites);
        Assert.Empty(report.Check.Duplicates);
        Assert.Equal(1, report.WritablePrimaries);
        AssertNoSplitBrain(report);

        // The default switchover pauses PgBouncer around the handover: pooled clients waited, none failed or lost track of a write.
        Assert.Equal(SwitchoverMode.Paused, report.Switchover);
        var pause = report.Pause ?? throw new InvalidOperationException("a paused switchover reported no pause");
        Assert.True(pause.Resumed);
        Assert.Equal(report.NewLeader, pause.PointedAt);
        Assert.True(pause.PausedAfterSeconds <= pause.PointedAfterSeconds && pause.PointedAfterSeconds <= pause.ResumedAfterSeconds, $"pause out of order: {pause}");
        var pooled = report.Paths.Single(p => p.Path == "pooled");
        Assert.True(pooled.FailedDuringGap == 0 && pooled.UnknownDuringGap == 0, $"pooled clients saw errors in a paused switchover:\n{report.ToTable()}");
        Assert.True(pooled.WriteGapSeconds < pause.ResumedAfterSeconds + 2, $"pooled stall {pooled.WriteGapSeconds} s, longer than the pause ({pause.ResumedAfterSeconds} s)");
        Assert.Equal("0", (await cluster.PgBouncerConsoleAsync("SHOW DATABASES")).Single(r => r[0] == "app")[^2]);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task PlainSwitchoverStaysSelectableAndABadModeIsAClearError()
    {
        using (var http = await cluster.CreateControlClientAsync())
        {
            using var bad = await http.PostAsync("/drills/switchover?switchover=gentle", content: null);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("switchover is 'gentle'; allowed: paused, plain", await bad.Content.ReadAsStringAsync());
        }

        var (status, report) = await cluster.RunDrillAsync("switchover", "switchover=plain");

        Assert.True(report.Outcome == DrillOutcome.Passed, $"plain switchover drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(SwitchoverMode.Plain, report.Switchover);
        Assert.Null(report.Pause);
        Assert.DoesNotContain("PAUSE", report.Injection, StringComparison.Ordinal);
        Assert.Equal(0, report.LostWrites);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task PausedSwitchoverThatCannotPauseResumesPgBouncerAndLeavesTheLeaderAlone()
    {
        var leader = await cluster.LeaderAsync(default);
        // A transaction held open through app: PAUSE waits for it, past the drill's pause timeout (10 s).
        await using var holder = new NpgsqlConnection(await cluster.GetConnectionStringAsync("app"));
        await holder.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS pause_holder (at timestamptz)", holder))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var transaction = await holder.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO pause_holder VALUES (now())", holder, transaction))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var drill = cluster.RunDrillAsync("switchover");
        var (_, report) = await drill;

        Assert.Equal(DrillOutcome.Failed, report.Outcome);
        Assert.Contains("PgBouncer did not pause app within 10 s", report.Reason, StringComparison.Ordinal);
        Assert.Contains("was resumed", report.Reason, StringComparison.Ordinal);
        Assert.Equal(leader, await cluster.LeaderAsync(default));
        Assert.Equal("0", (await cluster.PgBouncerConsoleAsync("SHOW DATABASES")).Single(r => r[0] == "app")[^2]);
        // The held transaction was never cut, and commits; new pooled work runs at once.
        await transaction.CommitAsync();
        var clock = Stopwatch.StartNew();
        Assert.Equal(1, await cluster.QueryAsync<int>("app", "SELECT 1"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"a pooled query took {clock.Elapsed.TotalSeconds:0.0} s after the failed drill");
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task CrashDrillWithFencingReleasesTheDeadLeadersLockAtOnceLosesNoAcknowledgedWriteFiresTheFailoverAlertAndASecondDrillPasses()
    {
        var (status, report) = await cluster.RunDrillAsync("crash");

        Assert.True(report.Outcome == DrillOutcome.Passed, $"crash drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(report.SynchronousMode);
        Assert.NotNull(report.NewLeader);
        Assert.NotEqual(report.OldLeader, report.NewLeader);
        Assert.Equal(report.TimelineBefore + 1, report.TimelineAfter);
        Assert.Equal(0, report.LostWrites);
        Assert.Empty(report.Check!.Duplicates);
        Assert.True(report.Check.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        // The AppHost saw the container die and released the lock: a new leader well before the ttl.
        Assert.StartsWith("released after fencing in ", report.Timing!.LeaderLock);
        Assert.True(report.Timing.NewLeaderSeconds < report.Ttl / 2.0, $"new leader after {report.Timing.NewLeaderSeconds} s with fencing (ttl {report.Ttl} s)");
        Assert.DoesNotContain(report.Notes, n => n.Contains("fencing is on, yet", StringComparison.Ordinal));
        Assert.True(report.EveryMemberStreaming);
        Assert.NotNull(report.Timing.RejoinSeconds);
        Assert.Equal(1, report.WritablePrimaries);
        AssertNoSplitBrain(report);
        Assert.All(report.Paths, p => Assert.NotNull(p.RtoSeconds));
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        Assert.Equal(report.NewLeader, await cluster.LeaderAsync(default));

        // The failover alert for the new timeline: Prometheus' rule, Alertmanager, the probe's webhook and its log
        // line, within 30 s of the kill (the drill itself ends later, after the rejoin: the wait is only a bound).
        var alert = await cluster.WaitForReceivedAlertAsync($"the receiver got HaStackFailover firing for timeline {report.TimelineAfter}",
            a => a is { AlertName: "HaStackFailover", Status: "firing" } && a.Labels.Contains($"timeline={report.TimelineAfter}", StringComparison.Ordinal),
            Timeouts.Scaled(60));
        var alertDelay = alert.ReceivedAt - report.InjectedAt!.Value;
        Assert.True(alertDelay > TimeSpan.Zero && alertDelay <= TimeSpan.FromSeconds(30),
            $"the failover alert reached the receiver {alertDelay.TotalSeconds:0.0} s after the crash ({alert})");
        Assert.Equal("warning", alert.Severity);
        Assert.Equal($"Failover: the cluster moved to timeline {report.TimelineAfter}", alert.Summary);

        // The killed container was started again with `docker start`: Aspire's endpoint proxy and health check follow it.
        await Wait.UntilAsync($"{report.OldLeader}'s REST API answers through its Aspire endpoint", Timeouts.Scaled(60), async ct =>
            (await cluster.Patroni.GetNodeAsync(cluster.PatroniUrls[report.OldLeader!], ct)).State == "running");
        await cluster.WaitUntilAspireSeesHealthyAsync(report.OldLeader!, Timeouts.Scaled(60));

        // The second drill goes through the CLI, as an operator would run it against any Patroni cluster.
        var second = await RunCliCrashDrillAsync();
        Assert.True(second.Outcome == DrillOutcome.Passed, $"second drill {second.Outcome}: {second.Reason}\n{second.ToTable()}");
        Assert.Equal(report.NewLeader, second.OldLeader);
        Assert.Equal(0, second.LostWrites);
        Assert.StartsWith("released after fencing in ", second.Timing!.LeaderLock);
        Assert.Equal(second.TimelineBefore + 1, second.TimelineAfter);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task PartitionDrillCutsTheLeaderOffAReplicaTakesOverAndTheOldLeaderRejoinsAfterTheHeal()
    {
        var (status, report) = await cluster.RunDrillAsync("partition");

        AssertPassedAndNothingLost(status, report);
        Assert.Contains("off from everything", report.Injection);
        Assert.True(report.Fault!.LeaderChanged);
        Assert.NotEqual(report.OldLeader, report.NewLeader);
        // Cut off, the old leader can neither release nor renew its lock, and its container lives: no fencing, it expires.
        Assert.StartsWith("expired", report.Timing!.LeaderLock);
        Assert.Contains("heal", report.Recovery);
        AssertNoSplitBrain(report);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task FreezeDrillPausesTheLeaderPastItsTtlAndItWakesUpAsAReplicaNeverAsASecondPrimary()
    {
        var (status, report) = await cluster.RunDrillAsync("freeze");

        AssertPassedAndNothingLost(status, report);
        Assert.True(report.Fault!.LeaderChanged);
        // Paused is not dead: fencing stays out of it, the lease path ends the old leadership.
        Assert.StartsWith("expired", report.Timing!.LeaderLock);
        Assert.Contains("unpause", report.Recovery);
        // Woken up, it streams from the new leader, and the detector never saw it commit beside the new one.
        Assert.True(report.EveryMemberStreaming);
        AssertNoSplitBrain(report);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task DcsPartitionDrillCutsTheLeaderOffEtcdOnlyAndRecordsWhatPatroniDidWithoutLosingAWrite()
    {
        var (status, report) = await cluster.RunDrillAsync("dcs-partition");

        AssertPassedAndNothingLost(status, report);
        Assert.Contains("off from etcd", report.Injection);
        Assert.Equal(FaultEffect.Either, report.Fault!.Expected);
        Assert.True(report.Fault.HeldSeconds > report.Ttl, $"held {report.Fault.HeldSeconds} s, not past the ttl of {report.Ttl} s");
        var splitBrain = Assert.IsType<SplitBrainReport>(report.SplitBrain);
        Assert.Equal(0, splitBrain.LongestSeconds);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task ReplicaLossDrillInModeOnKeepsTheLeaderAndRecordsThatCommitsStoppedWaitingForTheLostStandby()
    {
        var leader = await cluster.LeaderAsync(default);

        var (status, report) = await cluster.RunDrillAsync("replica-loss");

        AssertPassedAndNothingLost(status, report);
        Assert.Equal("on", report.SynchronousModeName);
        Assert.False(report.Fault!.LeaderChanged);
        Assert.Equal(leader, report.OldLeader);
        Assert.Equal(leader, await cluster.LeaderAsync(default));
        Assert.Equal([cluster.NodeNames.Single(n => n != leader)], report.Fault.Victims);
        // With its only standby gone, Patroni's "on" mode empties synchronous_standby_names: recorded, not hidden. (Whether
        // writes then run on to the end of the outage is recorded too, in Fault.WritesContinued; in one CI run they
        // stalled again before the heal, so it is reported, not asserted.)
        var sync = Assert.IsType<SynchronousReport>(report.Synchronous);
        Assert.True(sync.WentAsynchronous, SyncStandbySampler.Describe(sync.Timeline));
        Assert.Contains(report.Notes, n => n.Contains("commits stopped waiting for a standby", StringComparison.Ordinal));
        Assert.True(report.EveryMemberStreaming);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task EtcdMemberLossDrillKillsTheEtcdLeaderWithoutFailoverOrAWriteGapBeyondASecond()
    {
        var leader = await cluster.LeaderAsync(default);

        var (status, report) = await cluster.RunDrillAsync("etcd-member-loss");

        AssertPassedAndNothingLost(status, report);
        Assert.False(report.Fault!.LeaderChanged);
        Assert.Equal(leader, await cluster.LeaderAsync(default));
        Assert.Single(report.Fault.Victims);
        Assert.StartsWith("etcd-", report.Fault.Victims[0]);
        Assert.Contains("(etcd leader)", report.Injection);
        Assert.All(report.Paths, p => Assert.True(p.WriteGapSeconds <= 1.0, $"{p.Path}: write gap {p.WriteGapSeconds} s"));
        Assert.True(report.EtcdHealthy);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task DrillOnAClusterWithoutARunningReplicaRefusesWithTheReasonAndChangesNothing()
    {
        var before = await cluster.Patroni.GetClusterAsync(default);
        var leader = before.Leader!;
        var replicas = cluster.NodeNames.Where(n => n != leader.Name).ToList();
        try
        {
            foreach (var replica in replicas)
            {
                await cluster.ExecuteCommandAsync(replica, KnownResourceCommands.StopCommand);
            }

            await Wait.UntilAsync("no replica runs", Timeouts.Scaled(60), async ct =>
                (await cluster.Patroni.GetClusterAsync(ct)).Members.All(m => m.IsLeader || m.State is not ("running" or "streaming")));

            var (status, report) = await cluster.RunDrillAsync("crash", ready: false);

            Assert.Equal(HttpStatusCode.PreconditionFailed, status);
            Assert.Equal(DrillOutcome.Refused, report.Outcome);
            Assert.Contains("no promotable replica", report.Reason);
            var after = await cluster.Patroni.GetClusterAsync(default);
            Assert.Equal(leader.Name, after.Leader?.Name);
            Assert.Equal(leader.Timeline, after.Leader?.Timeline);
            Assert.Equal("running", after.Leader?.State);
            Assert.Null(report.Injection);
            Assert.Equal(0L, await CountRowsOfRunAsync(report.RunId));

            // The dashboard's command says so too, with the reason, instead of a bare "succeeded".
            using var cts = new CancellationTokenSource(DrillCluster.DrillTimeout);
            var command = await cluster.App.ResourceCommands.ExecuteCommandAsync("failoverdrill", "crash-drill", cts.Token);
            Assert.False(command.Success);
            Assert.StartsWith("The crash drill was refused, nothing was touched: cluster unhealthy: no promotable replica", command.Message);
            Assert.Equal(leader.Name, (await cluster.Patroni.GetClusterAsync(default)).Leader?.Name);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await cluster.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand);
            }

            await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        }
    }

    [Fact]
    public async Task DashboardCommandStartsADrillWithTheSecretAndItsMetricsReachTheMetricsEndpoint()
    {
        // The dashboard's "Switchover drill" command, as a person clicks it: Aspire prepares the request (the control
        // secret) and posts it. Its own drill, whatever ran before.
        using var http = await cluster.CreateControlClientAsync();
        var before = await LastRunIdAsync(http);
        using (var cts = new CancellationTokenSource(DrillCluster.DrillTimeout))
        {
            // The command waits for the drill and says how it went.
            var command = await cluster.App.ResourceCommands.ExecuteCommandAsync("failoverdrill", "switchover-drill", cts.Token);
            Assert.True(command.Success, command.Message);
            Assert.StartsWith("The switchover drill passed: leader ", command.Message);
            Assert.Contains("none lost", command.Message);
        }

        var report = (await http.GetFromJsonAsync<DrillReport>("/drills/last", DrillReport.JsonOptions))!;
        Assert.NotEqual(before, report.RunId);
        Assert.True(report.Outcome == DrillOutcome.Passed, $"switchover drill {report.Outcome}: {report.Reason}");
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);

        using var metricsClient = new HttpClient { BaseAddress = cluster.GetEndpoint("failoverdrill", "metrics") };
        var metrics = await metricsClient.GetStringAsync("/metrics");
        foreach (var name in new[] { "hastack_drill_rto_seconds_bucket", "hastack_drill_last_rto_seconds", "hastack_drill_lost_writes_total",
                     "hastack_drill_unknown_writes_total", "hastack_drill_runs_total", "hastack_drill_duration_seconds_bucket" })
        {
            Assert.Contains(name + "{", metrics);
        }
    }

    /// <summary>The drill passed under load, and the set checker found nothing lost, duplicated or invented.</summary>
    internal static void AssertPassedAndNothingLost(HttpStatusCode status, DrillReport report)
    {
        Assert.True(report.Outcome == DrillOutcome.Passed, $"{DrillKinds.Name(report.Kind)} drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(report.Check!.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        Assert.Equal(0, report.LostWrites);
        Assert.True(report.Check.Valid, report.ToTable());
        Assert.Equal(1, report.WritablePrimaries);
        Assert.True(report.WritesResumed);
        Assert.True(report.EveryMemberStreaming);
        Assert.Equal(["direct", "pooled"], report.Paths.Select(p => p.Path).Order());
    }

    /// <summary>Sampled directly ten times a second, never two primaries taking writes; the primary moved from the old leader to the new one.</summary>
    private static void AssertNoSplitBrain(DrillReport report)
    {
        var splitBrain = Assert.IsType<SplitBrainReport>(report.SplitBrain);
        Assert.True(splitBrain.LongestSeconds == 0, $"two primaries took writes for {splitBrain.LongestSeconds} s: {SplitBrainDetector.Describe(splitBrain.Timeline)}");
        // Sampled throughout: a round waits up to its 1 s timeout for a frozen or cut-off node, so at least one round in
        // two seconds of the drill.
        Assert.True(splitBrain.Samples >= Math.Max(20, report.DurationSeconds / 2), $"only {splitBrain.Samples} samples in {report.DurationSeconds:0} s");
        Assert.Equal(report.OldLeader, splitBrain.Timeline[0].Primaries);
        Assert.Equal(report.NewLeader, splitBrain.Timeline.Last(s => s.Primaries != "none").Primaries);
    }

    private static async Task<string?> LastRunIdAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/drills/last");
        return response.StatusCode == HttpStatusCode.OK
            ? (await response.Content.ReadFromJsonAsync<DrillReport>(DrillReport.JsonOptions))?.RunId
            : null;
    }

    private async Task<long> CountRowsOfRunAsync(string runId)
    {
        await using var connection = new NpgsqlConnection(await cluster.GetConnectionStringAsync("app"));
        await connection.OpenAsync();
        await using (var exists = new NpgsqlCommand($"SELECT to_regclass('{LoadGenerator.Table}') IS NOT NULL", connection))
        {
            if (await exists.ExecuteScalarAsync() is false)
            {
                return 0;
            }
        }

        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {LoadGenerator.Table} WHERE run_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task<DrillReport> RunCliCrashDrillAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["HASTACK_PATRONI_PASSWORD"] = await cluster.GetParameterAsync("pg-rest-password");
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "FailoverDrill.dll"), "run", "--kind", "crash",
                     "--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!,
                     "--dsn", await cluster.GetConnectionStringAsync("app"),
                     "--direct-dsn", await cluster.GetConnectionStringAsync("pg"),
                     "--kill-command", "docker kill {container}", "--start-command", "docker start {container}",
                     "--containers", string.Join(',', cluster.Containers.Select(kv => $"{kv.Key}={kv.Value}")),
                     "--fenced", "--json",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(DrillCluster.DrillTimeout);
        await process.WaitForExitAsync(cts.Token);
        var output = await stdout;
        Assert.True(process.ExitCode is DrillCommandLine.ExitPassed or DrillCommandLine.ExitFailed, $"CLI exited {process.ExitCode}: {await stderr}");
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("reports")[0].Deserialize<DrillReport>(DrillReport.JsonOptions)!;
    }
}
