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
        meter.CreateObservableGauge("hastack_probe_failover_ready", () => Single(r => r.FailoverReadiness.Ready ? 1 : 0), null,
            "1 if a replica exists that Patroni would promote on a leader crash, 0 otherwise.");
        meter.CreateObservableGauge("hastack_probe_verdict", () => Single(r => (int)r.Verdict), null,
            "The cluster's verdict: 0 healthy, 1 degraded, 2 unhealthy.");
        _cycleDuration = meter.CreateHistogram("hastack_probe_cycle_duration_seconds", "s", "Duration of one probe cycle.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
    }

    public void RecordCycle(ProbeReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _cycleDuration.Record(report.DurationSeconds);
    }
}
