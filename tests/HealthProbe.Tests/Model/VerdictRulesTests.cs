using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;

namespace HealthProbe.Tests.Model;

/// <summary>The verdict rules on crafted observations: no cluster, no I/O.</summary>
public class VerdictRulesTests
{
    private static readonly ClusterSettings s_sync = new(Ttl: 5, LoopWait: 1, MaximumLagOnFailover: 1_048_576, SynchronousMode: true);
    private static readonly DateTimeOffset s_at = DateTimeOffset.UnixEpoch;

    private static MemberStatus Leader(string name = "pg-1") => new()
    {
        Name = name, Reachable = true, SqlReachable = true, Role = "leader", State = "running", Timeline = 1, InRecovery = false,
        CurrentLsn = "0/3000060", LagBytes = 0, LagSeconds = 0,
        Standbys = [new StandbyStatus("pg-2", "10.0.0.2", "streaming", "sync", 0, 0, 0, null, null, null)],
    };

    private static MemberStatus Replica(string name = "pg-2") => new()
    {
        Name = name, Reachable = true, SqlReachable = true, Role = "sync_standby", State = "running", Timeline = 1, InRecovery = true,
        Streaming = true, SyncState = "sync", ReplayPaused = false, LagBytes = 0, LagSeconds = 0,
    };

    private static ProbeReport Evaluate(params MemberStatus[] members) =>
        VerdictRules.Evaluate(s_at, members, s_sync, new ProbeThresholds());

    [Fact]
    public void LeaderAndStreamingSyncStandbyAreHealthyAndReadyToFailOver()
    {
        var report = Evaluate(Leader(), Replica());

        Assert.Equal(Verdict.Healthy, report.Verdict);
        Assert.Empty(report.Reasons);
        Assert.Equal("pg-1", report.Leader);
        Assert.Equal(1, report.SyncStandbys);
        Assert.True(report.FailoverReadiness.Ready);
        Assert.Equal("pg-2", report.FailoverReadiness.Candidate);
        Assert.Equal(6, report.FailoverReadiness.ExpectedFailoverSeconds);
    }

    [Theory]
    [InlineData(0.5, Verdict.Healthy)]
    [InlineData(1.0, Verdict.Degraded)]
    [InlineData(9.9, Verdict.Degraded)]
    [InlineData(10.0, Verdict.Unhealthy)]
    public void ReplayLagInSecondsCrossesTheSeedThresholds(double lagSeconds, Verdict expected)
    {
        var report = Evaluate(Leader(), Replica() with { LagSeconds = lagSeconds, LagBytes = 4096 });

        Assert.Equal(expected, report.Verdict);
        if (expected != Verdict.Healthy)
        {
            Assert.Contains(report.Reasons, r => r.Contains("pg-2: replay lag", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ByteLagBeyondMaximumLagOnFailoverIsUnhealthyAndNotACandidate()
    {
        var report = Evaluate(Leader(), Replica() with { LagBytes = 2 * 1_048_576 });

        Assert.Equal(Verdict.Unhealthy, report.Verdict);
        Assert.False(report.FailoverReadiness.Ready);
        Assert.Contains("maximum_lag_on_failover", report.FailoverReadiness.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ByteLagOverHalfTheFailoverLimitIsDegraded()
    {
        var report = Evaluate(Leader(), Replica() with { LagBytes = 600_000 });

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.True(report.FailoverReadiness.Ready);
    }

    [Fact]
    public void PausedReplayIsDegradedEvenBeforeLagBuildsUp()
    {
        var report = Evaluate(Leader(), Replica() with { ReplayPaused = true });

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.Contains("pg-2: WAL replay is paused", report.Reasons);
    }

    [Fact]
    public void LostOnlyReplicaLeavesNoFailoverCandidateAndSaysWhichMember()
    {
        var report = Evaluate(Leader() with { Standbys = [] }, new MemberStatus { Name = "pg-2", Reachable = false, Error = "Connection refused" });

        Assert.Equal(Verdict.Unhealthy, report.Verdict);
        Assert.Contains("pg-2 unreachable: Connection refused", report.Reasons);
        Assert.False(report.FailoverReadiness.Ready);
        Assert.Contains("pg-2 is unreachable", report.FailoverReadiness.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LostReplicaOfThreeIsDegradedWhileTheSyncStandbyCanTakeOver()
    {
        var report = Evaluate(Leader(), Replica(), new MemberStatus { Name = "pg-3", Reachable = false, Error = "timeout" });

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.True(report.FailoverReadiness.Ready);
    }

    [Fact]
    public void AsyncReplicaIsNoCandidateInSynchronousMode()
    {
        var report = Evaluate(Leader(), Replica() with { Role = "replica", SyncState = "async" });

        Assert.Equal(Verdict.Unhealthy, report.Verdict);
        Assert.Contains(report.Reasons, r => r.Contains("no standby is synchronous", StringComparison.Ordinal));
        Assert.Contains("not the synchronous standby", report.FailoverReadiness.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NoLeaderOrALeaderInRecoveryIsUnhealthy()
    {
        var leaderless = Evaluate(Replica("pg-1"), Replica());
        var inRecovery = Evaluate(Leader() with { InRecovery = true }, Replica());

        Assert.Equal(Verdict.Unhealthy, leaderless.Verdict);
        Assert.Contains(leaderless.Reasons, r => r.StartsWith("no leader", StringComparison.Ordinal));
        Assert.Equal(Verdict.Unhealthy, inRecovery.Verdict);
        Assert.Contains(inRecovery.Reasons, r => r.Contains("in recovery: not writable", StringComparison.Ordinal));
    }

    [Fact]
    public void ReplicaNotStreamingOrOnAnOldTimelineIsDegradedAndNoCandidate()
    {
        var report = Evaluate(Leader() with { Timeline = 2 }, Replica(), Replica("pg-3") with { Streaming = false, Timeline = 1, Role = "replica" });

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.Contains("pg-3 is not streaming from pg-1", report.Reasons);
        Assert.Contains("pg-3 is on timeline 1, the leader on 2", report.Reasons);
    }

    [Fact]
    public void EtcdWithoutQuorumIsUnhealthyAndOneLostMemberDegraded()
    {
        EtcdStatus Etcd(int healthy) => new(Enumerable.Range(1, 3).Select(i => new EtcdMemberStatus($"etcd-{i}", i <= healthy, i <= healthy ? null : "down")).ToList());

        Assert.Equal(Verdict.Degraded, VerdictRules.Evaluate(s_at, [Leader(), Replica()], s_sync, new(), Etcd(2)).Verdict);
        Assert.Equal(Verdict.Unhealthy, VerdictRules.Evaluate(s_at, [Leader(), Replica()], s_sync, new(), Etcd(1)).Verdict);
    }

    [Fact]
    public void PgBouncerClientsWaitingOverASecondAreDegraded()
    {
        var pools = new PgBouncerStatus(true, [new PoolStatus("app", "app", 20, 35, 20, 0, 0, 2.5)], null);

        var report = VerdictRules.Evaluate(s_at, [Leader(), Replica()], s_sync, new(), pgbouncer: pools);

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.Contains(report.Reasons, r => r.Contains("app/app 35 waiting up to 2.5 s", StringComparison.Ordinal));
    }

    [Fact]
    public void MaintenanceModeIsDegradedAndNotReadyWhileReplicasAreFine()
    {
        var paused = VerdictRules.Evaluate(s_at, [Leader(), Replica()], s_sync, new(), maintenanceMode: true);
        var pausedAndLost = VerdictRules.Evaluate(s_at, [Leader(), Replica() with { Reachable = false }], s_sync, new(), maintenanceMode: true);

        Assert.Equal(Verdict.Degraded, paused.Verdict);
        Assert.False(paused.FailoverReadiness.Ready);
        Assert.StartsWith("Patroni is in maintenance mode", paused.FailoverReadiness.Reason, StringComparison.Ordinal);
        Assert.Equal(Verdict.Unhealthy, pausedAndLost.Verdict);
    }

    [Fact]
    public void ACheckThatCouldNotRunIsUnhealthyWithTheError()
    {
        var report = VerdictRules.Evaluate(s_at, [], s_sync, new(), error: "http://127.0.0.1:1/: Connection refused");

        Assert.Equal(Verdict.Unhealthy, report.Verdict);
        Assert.Equal("http://127.0.0.1:1/: Connection refused", report.Error);
    }

    private static ProbeReport EvaluateWithBackup(MemberStatus leader, BackupStatus? backup) =>
        VerdictRules.Evaluate(s_at, [leader, Replica()], s_sync, new ProbeThresholds(), backup: backup);

    private static BackupStatus Backup(TimeSpan age, TimeSpan? schedule) =>
        new(3, "20261202-120000F_20261202-130000I", "incr", s_at - age, 1_048_576, 2.5, schedule, null, s_at, null);

    [Fact]
    public void ALeaderWhoseLastArchiveAttemptFailedIsDegradedWithTheSegment()
    {
        var archive = new ArchiveStatus(12, "00000001000000000000000B", s_at.AddMinutes(-5), 4, "00000001000000000000000C", s_at.AddSeconds(-10));

        var report = EvaluateWithBackup(Leader() with { Archive = archive }, null);

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.Contains(report.Reasons, r => r.StartsWith("WAL archiving fails on pg-1: 00000001000000000000000C failed at", StringComparison.Ordinal)
                                             && r.Contains("(4 failures); last success", StringComparison.Ordinal));
    }

    [Fact]
    public void AFailureOlderThanTheLastArchivedSegmentIsHistoryNotAFault()
    {
        var archive = new ArchiveStatus(12, "00000001000000000000000D", s_at.AddSeconds(-1), 4, "00000001000000000000000C", s_at.AddMinutes(-1));

        Assert.Equal(Verdict.Healthy, EvaluateWithBackup(Leader() with { Archive = archive }, Backup(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1))).Verdict);
    }

    [Theory]
    [InlineData(119, Verdict.Healthy)]
    [InlineData(121, Verdict.Degraded)]
    public void ABackupOlderThanTwiceTheScheduleIsDegraded(int ageMinutes, Verdict expected)
    {
        var report = EvaluateWithBackup(Leader(), Backup(TimeSpan.FromMinutes(ageMinutes), TimeSpan.FromHours(1)));

        Assert.Equal(expected, report.Verdict);
        if (expected == Verdict.Degraded)
        {
            Assert.Contains("the newest backup 20261202-120000F_20261202-130000I is 2 h 1 min old; HaStack:BackupSchedule (every 1 h) allows 2 h", report.Reasons);
        }
    }

    [Fact]
    public void WithoutAScheduleABackupNeverAgesIntoAFinding() =>
        Assert.Equal(Verdict.Healthy, EvaluateWithBackup(Leader(), Backup(TimeSpan.FromDays(30), null)).Verdict);

    [Fact]
    public void AnEmptyRepositoryIsFineAtStartAndDegradedAfterTheGrace()
    {
        BackupStatus Empty(TimeSpan since) => new(0, null, null, null, null, null, TimeSpan.FromHours(1), s_at - since, s_at, null);

        Assert.Equal(Verdict.Healthy, EvaluateWithBackup(Leader(), Empty(TimeSpan.FromMinutes(1))).Verdict);
        var late = EvaluateWithBackup(Leader(), Empty(TimeSpan.FromMinutes(4)));
        Assert.Equal(Verdict.Degraded, late.Verdict);
        Assert.Contains(late.Reasons, r => r.StartsWith("the backup repository holds no backup (4 min", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnreadableRepositoryIsDegradedWithPgBackRestsWords()
    {
        var report = EvaluateWithBackup(Leader(), new BackupStatus(0, null, null, null, null, null, null, null, s_at, "the repository reports: missing stanza path"));

        Assert.Equal(Verdict.Degraded, report.Verdict);
        Assert.Contains("backup repository: the repository reports: missing stanza path", report.Reasons);
    }

    [Fact]
    public void PgBackRestInfoJsonGivesTheNewestBackup()
    {
        const string json = """
            [{"name":"hastack","status":{"code":0,"message":"ok"},"backup":[
              {"label":"20261202-124246F","type":"full","timestamp":{"start":1796215366,"stop":1796215369},"info":{"size":31000000,"repository":{"size":6000000,"delta":5900000}}},
              {"label":"20261202-124246F_20261202-134246I","type":"incr","timestamp":{"start":1796218966,"stop":1796218968},"info":{"size":31000000,"repository":{"size":200000,"delta":180000}}}]}]
            """;
        DateTimeOffset? since = s_at;

        var status = BackupInspector.Parse(json, TimeSpan.FromHours(1), s_at, ref since);

        Assert.Equal((2, "20261202-124246F_20261202-134246I", "incr", 180_000L, 2.0), (status.Count, status.LastLabel, status.LastType, status.LastSizeBytes.GetValueOrDefault(), status.LastDurationSeconds.GetValueOrDefault()));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796218968), status.LastCompletedAt);
        Assert.Null(since);
        Assert.Null(status.Error);
    }

    [Fact]
    public void PgBackRestInfoWithoutBackupsOrWithAMissingStanzaIsToldApart()
    {
        DateTimeOffset? since = null;
        var empty = BackupInspector.Parse("""[{"name":"hastack","status":{"code":2,"message":"no valid backups"},"backup":[]}]""", null, s_at, ref since);
        Assert.Equal((0, (string?)null), (empty.Count, empty.Error));
        Assert.Equal(s_at, since);

        var missing = BackupInspector.Parse("""[{"name":"hastack","status":{"code":1,"message":"missing stanza path"},"backup":[]}]""", null, s_at, ref since);
        Assert.Equal("the repository reports: missing stanza path", missing.Error);
        Assert.Contains("unreadable answer", BackupInspector.Parse("not json", null, s_at, ref since).Error);
    }
}
