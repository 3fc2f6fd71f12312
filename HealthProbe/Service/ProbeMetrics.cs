using System.Diagnostics.Metrics;
using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// The probe's OpenTelemetry instruments, all prefixed <c>hastack_probe_</c>. Names carry their unit already, so the
/// Prometheus exporter's unit suffix (<c>By</c> → <c>_bytes</c>, <c>s</c> → <c>_seconds</c>) leaves them as they are.
/// Gauges read the last report; per-member series carry the label <c>member</c>.
/// </summary>
public sealed class ProbeMetrics
{
    public const string MeterName = "HaStack.HealthProbe";

    private readonly Histogram<double> _cycleDuration;

    public ProbeMetrics(IMeterFactory meterFactory, ProbeState state)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(state);
        // The factory owns (and disposes) the meter.
        var meter = meterFactory.Create(MeterName);

        IEnumerable<Measurement<T>> PerMember<T>(Func<MemberStatus, T?> value)
            where T : struct =>
            state.Last?.Members.Where(m => value(m).HasValue).Select(m => new Measurement<T>(value(m)!.Value, new KeyValuePair<string, object?>("member", m.Name)))
            ?? [];

        IEnumerable<Measurement<int>> Single(Func<ProbeReport, int> value) =>
            state.Last is { } report ? [new Measurement<int>(value(report))] : [];

        meter.CreateObservableGauge("hastack_probe_replication_lag_bytes", () => PerMember(m => m.LagBytes), "By",
            "WAL bytes the member has not replayed yet (0 for the leader).");
        meter.CreateObservableGauge("hastack_probe_replication_lag_seconds", () => PerMember(m => m.LagSeconds), "s",
            "How far behind the leader the member's replayed data is (0 for the leader).");
        meter.CreateObservableGauge("hastack_probe_member_up", () => PerMember<int>(m => m.Reachable ? 1 : 0), null,
            "1 if the member's Patroni REST API answered the last probe, 0 otherwise.");
        meter.CreateObservableGauge("hastack_probe_member_is_leader", () => PerMember<int>(m => m.IsLeader && m.Reachable ? 1 : 0), null,
            "1 if the member holds the leader lock, 0 otherwise.");
        meter.CreateObservableGauge("hastack_probe_timeline", () => PerMember(m => m.Timeline), null,
            "The member's PostgreSQL timeline.");
        meter.CreateObservableGauge("hastack_probe_sync_standbys", () => Single(r => r.SyncStandbys), null,
            "Standbys the leader replicates to synchronously.");
        meter.CreateObservableGauge("hastack_probe_synchronous_mode", () => Single(r => r.Settings.SynchronousMode ? 1 : 0), null,
            "1 if Patroni's synchronous_mode is on (on, strict or quorum, from its live /config), 0 otherwise.");
        meter.CreateObservableGauge("hastack_probe_failover_ready", () => Single(r => r.FailoverReadiness.Ready ? 1 : 0), null,
            "1 if a replica exists that Patroni would promote on a leader crash, 0 otherwise.");
        meter.CreateObservableGauge("hastack_probe_verdict", () => Single(r => (int)r.Verdict), null,
            "The cluster's verdict: 0 healthy, 1 degraded, 2 unhealthy.");
        IEnumerable<Measurement<T>> Archive<T>(Func<ArchiveStatus, T?> value)
            where T : struct =>
            state.Last?.Members.FirstOrDefault(m => m.Archive is not null) is { Archive: { } archive } leader && value(archive) is { } v
                ? [new Measurement<T>(v, new KeyValuePair<string, object?>("member", leader.Name))]
                : [];

        IEnumerable<Measurement<T>> Backup<T>(Func<BackupStatus, T?> value)
            where T : struct =>
            state.Last?.Backup is { } backup && value(backup) is { } v ? [new Measurement<T>(v)] : [];

        meter.CreateObservableGauge("hastack_probe_wal_archived", () => Archive<long>(a => a.ArchivedCount), null,
            "WAL segments the leader has archived since its statistics were reset (pg_stat_archiver.archived_count).");
        meter.CreateObservableGauge("hastack_probe_wal_archive_failed", () => Archive<long>(a => a.FailedCount), null,
            "Failed archive attempts on the leader (pg_stat_archiver.failed_count).");
        meter.CreateObservableGauge("hastack_probe_wal_archive_failing", () => Archive<int>(a => a.Failing ? 1 : 0), null,
            "1 while the leader's last archive attempt failed, 0 otherwise.");
        meter.CreateObservableGauge("hastack_probe_wal_last_archived_timestamp_seconds", () => Archive<double>(a => a.LastArchivedAt?.ToUnixTimeMilliseconds() / 1000.0), "s",
            "When the leader last archived a WAL segment (Unix time).");
        meter.CreateObservableGauge("hastack_probe_wal_last_archived_segment", () => Archive<long>(a => SegmentNumber(a.LastArchivedWal)), null,
            "The leader's last archived WAL segment as a number (its file name's log and segment parts, timeline left out).");
        meter.CreateObservableGauge("hastack_probe_backup_count", () => Backup<int>(b => b.Error is null ? b.Count : null), null,
            "Backups in the stack's pgBackRest repository.");
        meter.CreateObservableGauge("hastack_probe_backup_last_completion_timestamp_seconds", () => Backup<long>(b => b.LastCompletedAt?.ToUnixTimeSeconds()), "s",
            "When the newest backup completed (Unix time).");
        meter.CreateObservableGauge("hastack_probe_backup_age_seconds", () => Backup<double>(b => b.LastCompletedAt is { } t ? (DateTimeOffset.UtcNow - t).TotalSeconds : null), "s",
            "Age of the newest backup.");
        meter.CreateObservableGauge("hastack_probe_backup_schedule_seconds", () => Backup<double>(b => b.Schedule?.TotalSeconds), "s",
            "HaStack:BackupSchedule, the interval of scheduled backups (absent when there is none); the probe warns past twice it.");
        meter.CreateObservableGauge("hastack_probe_backup_last_size_bytes", () => Backup<long>(b => b.LastSizeBytes), "By",
            "What the newest backup stored in the repository (compressed, only what it added).");
        meter.CreateObservableGauge("hastack_probe_backup_last_duration_seconds", () => Backup<double>(b => b.LastDurationSeconds), "s",
            "How long the newest backup took.");
        meter.CreateObservableGauge("hastack_probe_backup_repository_ok", () => Backup<int>(b => b.Error is null ? 1 : 0), null,
            "1 if pgbackrest info read the repository on the leader, 0 otherwise.");
        _cycleDuration = meter.CreateHistogram("hastack_probe_cycle_duration_seconds", "s", "Duration of one probe cycle.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
    }

    /// <summary><c>000000010000000A00000003</c> → 0x0A * 256 + 3 (16 MB segments), or null.</summary>
    public static long? SegmentNumber(string? wal) =>
        wal is { Length: >= 24 } && long.TryParse(wal.AsSpan(8, 8), System.Globalization.NumberStyles.HexNumber, null, out var log)
        && long.TryParse(wal.AsSpan(16, 8), System.Globalization.NumberStyles.HexNumber, null, out var segment)
            ? log * 256 + segment
            : null;

    public void RecordCycle(ProbeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _cycleDuration.Record(report.DurationSeconds);
    }
}
