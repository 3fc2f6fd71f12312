using System.Globalization;
using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Probing;

/// <summary>
/// Turns observations into checks, failover readiness and a verdict. Pure: no I/O, so every rule is testable on
/// crafted inputs. The worst check decides: a warning makes the cluster Degraded, a critical finding Unhealthy.
/// </summary>
public static class VerdictRules
{
    private static readonly string[] s_runningStates = ["running", "streaming"];

    public static ProbeReport Evaluate(
        DateTimeOffset at,
        IReadOnlyList<MemberStatus> members,
        ClusterSettings settings,
        ProbeThresholds thresholds,
        EtcdStatus? etcd = null,
        PgBouncerStatus? pgbouncer = null,
        string? scope = null,
        string? error = null,
        double durationSeconds = 0,
        bool maintenanceMode = false,
        BackupStatus? backup = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(thresholds);

        var checks = new List<Check>();
        if (error is not null)
        {
            checks.Add(new("probe", Severity.Critical, $"could not check: {error}"));
        }

        if (etcd is { Members.Count: > 0 })
        {
            checks.Add(CheckEtcd(etcd));
        }

        var leaders = members.Where(m => m.IsLeader && m.Reachable).ToList();
        var leader = leaders.Count == 1 ? leaders[0] : null;
        checks.Add(CheckLeader(members, leaders));

        foreach (var member in members.Where(m => m != leader))
        {
            checks.AddRange(CheckReplica(member, leader, settings, thresholds));
        }

        if (leader is not null)
        {
            foreach (var slot in leader.Slots.Where(s => !s.Active))
            {
                checks.Add(new($"slot {slot.Name}", Severity.Warning,
                    $"replication slot {slot.Name} is inactive and retains {Bytes(slot.RetainedWalBytes)} of WAL"));
            }
        }

        var syncStandbys = members.Count(m => m != leader && (m.Role is "sync_standby" or "quorum_standby" || m.SyncState is "sync" or "quorum"));
        if (leader is not null && settings.SynchronousMode && syncStandbys == 0)
        {
            checks.Add(new("sync", Severity.Warning,
                "synchronous mode is on but no standby is synchronous: commits are acknowledged without a copy"));
        }

        var readiness = AssessFailover(members, leader, settings);
        if (maintenanceMode && leader is not null)
        {
            // An operator's deliberate choice, not a fault: Degraded, with what would otherwise be promoted.
            var severity = readiness.Ready ? Severity.Warning : Severity.Critical;
            readiness = readiness with { Ready = false, Reason = "Patroni is in maintenance mode (paused): it promotes no replica on its own; otherwise " + readiness.Reason };
            checks.Add(new("failover", severity, $"failover not ready: {readiness.Reason}"));
        }
        else
        {
            checks.Add(new("failover", readiness.Ready ? Severity.Ok : Severity.Critical,
                readiness.Ready ? $"failover ready: {readiness.Reason}" : $"failover not ready: {readiness.Reason}"));
        }

        if (pgbouncer is not null)
        {
            checks.Add(CheckPgBouncer(pgbouncer, thresholds));
        }

        if (leader?.Archive is { } archive)
        {
            checks.Add(CheckArchive(leader.Name, archive));
        }

        if (backup is not null)
        {
            checks.Add(CheckBackup(backup, at, thresholds));
        }

        var worst = checks.Count == 0 ? Severity.Ok : checks.Max(c => c.Severity);
        return new ProbeReport
        {
            At = at,
            Verdict = (Verdict)(int)worst,
            Reasons = checks.Where(c => c.Severity != Severity.Ok).OrderByDescending(c => c.Severity).Select(c => c.Message).ToList(),
            Scope = scope,
            Leader = leader?.Name,
            Members = members,
            SyncStandbys = syncStandbys,
            FailoverReadiness = readiness,
            PgBouncer = pgbouncer,
            Etcd = etcd,
            Backup = backup,
            Settings = settings,
            Checks = checks,
            Error = error,
            DurationSeconds = durationSeconds,
            MaintenanceMode = maintenanceMode,
        };
    }

    private static Check CheckEtcd(EtcdStatus etcd)
    {
        var total = etcd.Members.Count;
        var down = etcd.Members.Where(m => !m.Healthy).ToList();
        if (!etcd.HasQuorum)
        {
            return new("etcd", Severity.Critical,
                $"etcd has no quorum: {etcd.HealthyMembers}/{total} members healthy ({Describe(down)}); Patroni cannot hold or renew the leader lock");
        }

        return down.Count > 0
            ? new("etcd", Severity.Warning, $"etcd member lost: {Describe(down)}; {etcd.HealthyMembers}/{total} healthy, quorum kept")
            : new("etcd", Severity.Ok, $"etcd: {total}/{total} members healthy, raft leader present");

        static string Describe(IEnumerable<EtcdMemberStatus> members) =>
            string.Join(", ", members.Select(m => m.Error is null ? m.Name : $"{m.Name}: {m.Error}"));
    }

    /// <summary>WAL archiving on the leader: Degraded while its last attempt failed (the WAL piles up in pg_wal, PITR stops there).</summary>
    private static Check CheckArchive(string leader, ArchiveStatus archive)
    {
        if (archive.Failing)
        {
            var since = archive.LastArchivedAt is { } ok ? $"; last success {ok.ToUniversalTime():HH:mm:ss} UTC ({archive.LastArchivedWal})" : "; nothing archived yet";
            return new("archive", Severity.Warning,
                $"WAL archiving fails on {leader}: {archive.LastFailedWal} failed at {archive.LastFailedAt!.Value.ToUniversalTime():HH:mm:ss} UTC ({archive.FailedCount} failures){since}");
        }

        return new("archive", Severity.Ok, archive.LastArchivedWal is { } wal
            ? $"WAL archiving works on {leader}: {archive.ArchivedCount} archived, last {wal}"
            : $"WAL archiving on {leader}: nothing to archive yet");
    }

    /// <summary>The backup repository: Degraded when unreadable, empty past the grace, or its newest backup older than twice the schedule.</summary>
    private static Check CheckBackup(BackupStatus backup, DateTimeOffset at, ProbeThresholds thresholds)
    {
        if (backup.Error is { } error)
        {
            return new("backup", Severity.Warning, $"backup repository: {error}");
        }

        if (backup.LastCompletedAt is not { } completed)
        {
            var empty = backup.NoBackupSince is { } since ? at - since : TimeSpan.Zero;
            return empty >= thresholds.NoBackupGrace
                ? new("backup", Severity.Warning, $"the backup repository holds no backup ({Duration(empty)} since the probe first looked): take one with \"Backup now\"")
                : new("backup", Severity.Ok, "no backup yet: the first one runs at start");
        }

        var age = at - completed;
        if (backup.Schedule is { } schedule && age > 2 * schedule)
        {
            return new("backup", Severity.Warning,
                $"the newest backup {backup.LastLabel} is {Duration(age)} old; HaStack:BackupSchedule (every {Duration(schedule)}) allows {Duration(2 * schedule)}");
        }

        return new("backup", Severity.Ok, $"newest backup {backup.LastLabel} ({backup.LastType}, {Bytes(backup.LastSizeBytes)}), {Duration(age)} old");
    }

    /// <summary>A backup's age or a schedule in words: <c>45 s</c>, <c>12 min</c>, <c>2 h 5 min</c>, <c>3 d 4 h</c>.</summary>
    public static string Duration(TimeSpan span) => span switch
    {
        { TotalMinutes: < 1 } => $"{(int)span.TotalSeconds} s",
        { TotalHours: < 1 } => $"{(int)span.TotalMinutes} min",
        { TotalDays: < 1 } => span.Minutes == 0 ? $"{(int)span.TotalHours} h" : $"{(int)span.TotalHours} h {span.Minutes} min",
        _ => span.Hours == 0 ? $"{(int)span.TotalDays} d" : $"{(int)span.TotalDays} d {span.Hours} h",
    };

    private static Check CheckPgBouncer(PgBouncerStatus pgbouncer, ProbeThresholds thresholds)
    {
        if (!pgbouncer.Reachable)
        {
            return new("pgbouncer", Severity.Warning, $"pgbouncer unreachable: {pgbouncer.Error}");
        }

        var pools = pgbouncer.Pools.Where(p => p.Database != "pgbouncer").ToList();
        var waiting = pools.Where(p => p.MaxWaitSeconds >= thresholds.PoolWaitWarning.TotalSeconds).ToList();
        if (waiting.Count > 0)
        {
            return new("pgbouncer", Severity.Warning, "pgbouncer: clients waiting for a server connection: " + string.Join(", ",
                waiting.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Database}/{p.User} {p.ClientsWaiting} waiting up to {p.MaxWaitSeconds:0.0} s"))));
        }

        return new("pgbouncer", Severity.Ok, string.Create(CultureInfo.InvariantCulture,
            $"pgbouncer: {pools.Count} pools, {pools.Sum(p => p.ClientsActive)} active and {pools.Sum(p => p.ClientsWaiting)} waiting clients, {pools.Sum(p => p.ServersActive + p.ServersIdle + p.ServersUsed)} server connections"));
    }

    private static Check CheckLeader(IReadOnlyList<MemberStatus> members, List<MemberStatus> leaders)
    {
        if (leaders.Count == 0)
        {
            var unreachableLeader = members.FirstOrDefault(m => m.IsLeader);
            return new("leader", Severity.Critical, unreachableLeader is null
                ? "no leader: no member holds the leader lock"
                : $"no leader: {unreachableLeader.Name} holds the lock but is unreachable ({unreachableLeader.Error ?? "no answer"})");
        }

        if (leaders.Count > 1)
        {
            return new("leader", Severity.Critical, $"more than one leader: {string.Join(", ", leaders.Select(l => l.Name))}");
        }

        var leader = leaders[0];
        if (leader.SqlReachable == false)
        {
            return new(leader.Name, Severity.Critical, $"{leader.Name} is the leader but SQL on it fails: {leader.Error}");
        }

        if (leader.InRecovery == true)
        {
            return new(leader.Name, Severity.Critical, $"{leader.Name} holds the leader lock but is in recovery: not writable");
        }

        if (leader.State is not null && !s_runningStates.Contains(leader.State))
        {
            return new(leader.Name, Severity.Critical, $"{leader.Name} is the leader but its PostgreSQL is {leader.State}");
        }

        var standbys = leader.Standbys.Count == 0
            ? "no standby connected"
            : string.Join(", ", leader.Standbys.Select(s => $"{s.Name} {s.State}/{s.SyncState}"));
        var writable = leader.InRecovery == false ? "writable, " : "";
        var lsn = leader.CurrentLsn is null ? "" : $"WAL {leader.CurrentLsn}, ";
        return new(leader.Name, Severity.Ok, $"{leader.Name}: leader, {writable}timeline {leader.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "?"}, {lsn}{standbys}");
    }

    private static IEnumerable<Check> CheckReplica(MemberStatus member, MemberStatus? leader, ClusterSettings settings, ProbeThresholds thresholds)
    {
        var name = member.Name;
        if (!member.Reachable)
        {
            yield return new(name, Severity.Warning, $"{name} unreachable: {member.Error ?? "no answer"}");
            yield break;
        }

        if (member.IsLeader)
        {
            // A second lock holder is reported by the leader check.
            yield break;
        }

        var problems = 0;
        if (member.State is not null && !s_runningStates.Contains(member.State))
        {
            problems++;
            yield return new(name, Severity.Warning, $"{name} is {member.State}, not running");
        }

        if (member.SqlReachable == false)
        {
            problems++;
            yield return new(name, Severity.Warning, $"{name}: SQL fails: {member.Error}");
        }

        if (member.InRecovery == false)
        {
            problems++;
            yield return new(name, Severity.Critical, $"{name} is out of recovery without the leader lock (split brain risk)");
        }

        if (leader is not null && member.Streaming == false)
        {
            problems++;
            yield return new(name, Severity.Warning, $"{name} is not streaming from {leader.Name}");
        }

        if (leader?.Timeline is { } leaderTimeline && member.Timeline is { } timeline && timeline != leaderTimeline)
        {
            problems++;
            yield return new(name, Severity.Warning, $"{name} is on timeline {timeline}, the leader on {leaderTimeline}");
        }

        if (member.ReplayPaused == true)
        {
            problems++;
            yield return new(name, Severity.Warning, $"{name}: WAL replay is paused");
        }

        if (member.LagSeconds is { } seconds)
        {
            if (seconds >= thresholds.LagCritical.TotalSeconds)
            {
                problems++;
                yield return new(name, Severity.Critical, $"{name}: replay lag {Seconds(seconds)} (critical at {Seconds(thresholds.LagCritical.TotalSeconds)})");
            }
            else if (seconds >= thresholds.LagWarning.TotalSeconds)
            {
                problems++;
                yield return new(name, Severity.Warning, $"{name}: replay lag {Seconds(seconds)} (warning at {Seconds(thresholds.LagWarning.TotalSeconds)})");
            }
        }

        if (member.LagBytes is { } bytes)
        {
            if (bytes >= settings.MaximumLagOnFailover)
            {
                problems++;
                yield return new(name, Severity.Critical,
                    $"{name}: {Bytes(bytes)} behind, at or over maximum_lag_on_failover ({Bytes(settings.MaximumLagOnFailover)}): Patroni would not promote it");
            }
            else if (bytes >= settings.MaximumLagOnFailover * thresholds.LagBytesWarningFraction)
            {
                problems++;
                yield return new(name, Severity.Warning,
                    $"{name}: {Bytes(bytes)} behind, over {thresholds.LagBytesWarningFraction:P0} of maximum_lag_on_failover ({Bytes(settings.MaximumLagOnFailover)})");
            }
        }

        if (problems == 0)
        {
            var streaming = member.Streaming switch { true => "streaming", false => "not streaming", null => member.State ?? "?" };
            yield return new(name, Severity.Ok,
                $"{name}: {member.Role ?? "replica"}, {streaming}, lag {Bytes(member.LagBytes)} / {Seconds(member.LagSeconds)}");
        }
    }

    /// <summary>
    /// Would Patroni promote someone if the leader crashed now? Mirrors Patroni's own candidate rules: the member
    /// runs, streams, is within <c>maximum_lag_on_failover</c> and, in synchronous mode, is the synchronous standby.
    /// </summary>
    public static FailoverReadiness AssessFailover(IReadOnlyList<MemberStatus> members, MemberStatus? leader, ClusterSettings settings)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(settings);

        var expected = settings.Ttl + settings.LoopWait;
        if (leader is null)
        {
            return new(false, null, expected, "there is no leader to fail over from");
        }

        var rejected = new List<string>();
        foreach (var member in members.Where(m => m != leader))
        {
            var why = Disqualification(member, settings);
            if (why is null)
            {
                return new(true, member.Name, expected,
                    $"{member.Name} would be promoted; expected failover within {expected} s of a leader crash (ttl {settings.Ttl} + loop_wait {settings.LoopWait})");
            }

            rejected.Add($"{member.Name} {why}");
        }

        return new(false, null, expected, rejected.Count == 0
            ? "no replica exists"
            : "no replica Patroni would promote (" + string.Join("; ", rejected) + ")");
    }

    private static string? Disqualification(MemberStatus member, ClusterSettings settings)
    {
        if (!member.Reachable)
        {
            return "is unreachable";
        }

        if (member.State is not null && !s_runningStates.Contains(member.State))
        {
            return $"is {member.State}";
        }

        if (member.Streaming == false)
        {
            return "is not streaming";
        }

        if (member.LagBytes is { } bytes && bytes > settings.MaximumLagOnFailover)
        {
            return $"is {Bytes(bytes)} behind (maximum_lag_on_failover {Bytes(settings.MaximumLagOnFailover)})";
        }

        if (settings.SynchronousMode && member.Role is not ("sync_standby" or "quorum_standby") && member.SyncState is not ("sync" or "quorum"))
        {
            return "is not the synchronous standby (synchronous mode)";
        }

        return null;
    }

    /// <summary>Bytes in B / kB / MB (1024-based), for messages.</summary>
    public static string Bytes(long? bytes) => bytes switch
    {
        null => "? B",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MB"),
    };

    public static string Seconds(double? seconds) =>
        seconds is null ? "? s" : string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s");
}
