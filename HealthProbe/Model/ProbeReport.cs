namespace HaStack.HealthProbe.Model;

/// <summary>The probe's overall judgement of the cluster.</summary>
public enum Verdict
{
    /// <summary>Every check passed: a failover would succeed without losing acknowledged data.</summary>
    Healthy = 0,

    /// <summary>The cluster serves, but something is off (lag above the warning threshold, a member lost…).</summary>
    Degraded = 1,

    /// <summary>No writable leader, lag beyond the critical threshold, or no replica Patroni would promote.</summary>
    Unhealthy = 2,
}

/// <summary>How bad one check's finding is; the worst finding decides the <see cref="Verdict"/>.</summary>
public enum Severity
{
    Ok = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>One line of the report: what was checked (<paramref name="Subject"/>) and what was found.</summary>
public sealed record Check(string Subject, Severity Severity, string Message);

/// <summary>A standby as the leader sees it in <c>pg_stat_replication</c>.</summary>
public sealed record StandbyStatus(
    string Name,
    string? ClientAddress,
    string State,
    string SyncState,
    long? WriteLagBytes,
    long? FlushLagBytes,
    long? ReplayLagBytes,
    double? WriteLagSeconds,
    double? FlushLagSeconds,
    double? ReplayLagSeconds);

/// <summary>A replication slot on the leader and the WAL it keeps (<c>pg_replication_slots</c>).</summary>
public sealed record SlotStatus(string Name, string SlotType, bool Active, long? RetainedWalBytes);

/// <summary>
/// One Patroni member, merged from Patroni's <c>/cluster</c> and <c>/patroni</c> and from SQL on the member itself.
/// Null means "not known" (the source did not answer), never "zero".
/// </summary>
public sealed record MemberStatus
{
    public required string Name { get; init; }

    /// <summary>Its Patroni REST API answered this cycle.</summary>
    public bool Reachable { get; init; }

    /// <summary>SQL on it succeeded this cycle (null when no connection string is known for it).</summary>
    public bool? SqlReachable { get; init; }

    /// <summary><c>leader</c>, <c>sync_standby</c>, <c>replica</c>, <c>standby_leader</c>… as Patroni's /cluster says.</summary>
    public string? Role { get; init; }

    /// <summary>Patroni's state of its PostgreSQL: <c>running</c>, <c>streaming</c>, <c>starting</c>, <c>stopped</c>…</summary>
    public string? State { get; init; }

    public long? Timeline { get; init; }

    /// <summary><c>pg_is_in_recovery()</c>.</summary>
    public bool? InRecovery { get; init; }

    /// <summary>Leader only: <c>pg_current_wal_lsn()</c>.</summary>
    public string? CurrentLsn { get; init; }

    public string? ReceiveLsn { get; init; }

    public string? ReplayLsn { get; init; }

    /// <summary>Replica only: <c>pg_is_wal_replay_paused()</c>.</summary>
    public bool? ReplayPaused { get; init; }

    /// <summary>Replica only: the leader lists it in <c>pg_stat_replication</c> with state <c>streaming</c>.</summary>
    public bool? Streaming { get; init; }

    /// <summary>Replica only: <c>sync</c>, <c>quorum</c>, <c>potential</c> or <c>async</c> from the leader's view.</summary>
    public string? SyncState { get; init; }

    /// <summary>WAL bytes the member has not replayed yet (0 for the leader).</summary>
    public long? LagBytes { get; init; }

    /// <summary>How far behind the leader its replayed data is, in seconds (0 for the leader).</summary>
    public double? LagSeconds { get; init; }

    /// <summary>Leader only: its standbys.</summary>
    public IReadOnlyList<StandbyStatus> Standbys { get; init; } = [];

    /// <summary>Leader only: replication slots.</summary>
    public IReadOnlyList<SlotStatus> Slots { get; init; } = [];

    /// <summary>Leader only: its WAL archiving (null on replicas and when SQL did not answer).</summary>
    public ArchiveStatus? Archive { get; init; }

    /// <summary>Why it is not reachable, in words.</summary>
    public string? Error { get; init; }

    public bool IsLeader => Role is "leader" or "standby_leader";
}

/// <summary>The leader's WAL archiving (<c>pg_stat_archiver</c>): what it archived last and what failed last.</summary>
public sealed record ArchiveStatus(
    long ArchivedCount,
    string? LastArchivedWal,
    DateTimeOffset? LastArchivedAt,
    long FailedCount,
    string? LastFailedWal,
    DateTimeOffset? LastFailedAt)
{
    /// <summary>The last attempt failed: a failure newer than the last success.</summary>
    public bool Failing => FailedCount > 0 && LastFailedAt is { } failed && (LastArchivedAt is not { } archived || failed > archived);
}

/// <summary>
/// The stack's pgBackRest repository as <c>pgbackrest info</c> on the leader reports it. <paramref name="Error"/> is set
/// when it could not be read; <paramref name="NoBackupSince"/> when it holds none, since when the probe sees none.
/// </summary>
public sealed record BackupStatus(
    int Count,
    string? LastLabel,
    string? LastType,
    DateTimeOffset? LastCompletedAt,
    long? LastSizeBytes,
    double? LastDurationSeconds,
    TimeSpan? Schedule,
    DateTimeOffset? NoBackupSince,
    DateTimeOffset ReadAt,
    string? Error);

/// <summary>PgBouncer's pools (<c>SHOW POOLS</c>) for one database/user pair.</summary>
public sealed record PoolStatus(
    string Database, string User, int ClientsActive, int ClientsWaiting, int ServersActive, int ServersIdle, int ServersUsed, double MaxWaitSeconds);

public sealed record PgBouncerStatus(bool Reachable, IReadOnlyList<PoolStatus> Pools, string? Error);

public sealed record EtcdMemberStatus(string Name, bool Healthy, string? Error);

public sealed record EtcdStatus(IReadOnlyList<EtcdMemberStatus> Members)
{
    public int HealthyMembers => Members.Count(m => m.Healthy);

    /// <summary>A majority answers healthy: etcd's <c>/health</c> is true only while a member sees a raft leader.</summary>
    public bool HasQuorum => HealthyMembers > Members.Count / 2;
}

/// <summary>The cluster's dynamic configuration as far as the verdict needs it (Patroni <c>GET /config</c>).</summary>
public sealed record ClusterSettings(int Ttl, int LoopWait, long MaximumLagOnFailover, bool SynchronousMode, int RetryTimeout = 10)
{
    /// <summary>Patroni's defaults, used until <c>/config</c> answers.</summary>
    public static ClusterSettings Default { get; } = new(Ttl: 30, LoopWait: 10, MaximumLagOnFailover: 1_048_576, SynchronousMode: false);

    /// <summary>The timing the report's times depend on, as read back from Patroni.</summary>
    public string Timing => $"ttl {Ttl} s, loop_wait {LoopWait} s, retry_timeout {RetryTimeout} s";
}

/// <summary>
/// Whether a leader crash now would be survived: is there a replica Patroni would promote (reachable, streaming,
/// within <c>maximum_lag_on_failover</c>, the synchronous standby in synchronous mode).
/// </summary>
/// <param name="Ready">A candidate exists.</param>
/// <param name="Candidate">The member Patroni would promote.</param>
/// <param name="ExpectedFailoverSeconds">Worst case from a leader crash until a replica holds the lock: ttl + loop_wait.</param>
/// <param name="Reason">Why (not), in words.</param>
public sealed record FailoverReadiness(bool Ready, string? Candidate, double ExpectedFailoverSeconds, string Reason);

/// <summary>One probe cycle's full result: what <c>GET /status</c> returns and what the CLI prints.</summary>
public sealed record ProbeReport
{
    public required DateTimeOffset At { get; init; }

    public required Verdict Verdict { get; init; }

    /// <summary>Why the verdict is not Healthy, in words (empty when it is).</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    public string? Scope { get; init; }

    public string? Leader { get; init; }

    public required IReadOnlyList<MemberStatus> Members { get; init; }

    public int SyncStandbys { get; init; }

    public required FailoverReadiness FailoverReadiness { get; init; }

    public PgBouncerStatus? PgBouncer { get; init; }

    public EtcdStatus? Etcd { get; init; }

    /// <summary>The backup repository (null when the probe is not told where it is, e.g. the CLI).</summary>
    public BackupStatus? Backup { get; init; }

    public required ClusterSettings Settings { get; init; }

    public required IReadOnlyList<Check> Checks { get; init; }

    /// <summary>Patroni is paused (maintenance mode): no automatic failover, and paused replay stays paused.</summary>
    public bool MaintenanceMode { get; init; }

    /// <summary>Set when the cluster could not be checked at all (nothing answered, not Patroni, login refused).</summary>
    public string? Error { get; init; }

    public double DurationSeconds { get; init; }
}
