using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The drill's telemetry: one meter and one activity source, both named <see cref="Name"/>. In Prometheus the
/// instruments appear as <c>hastack_drill_rto_seconds</c>, <c>hastack_drill_last_rto_seconds</c>,
/// <c>hastack_drill_lost_writes_total</c>, <c>hastack_drill_unknown_writes_total</c>, <c>hastack_drill_runs_total</c>,
/// <c>hastack_drill_duration_seconds</c>, <c>hastack_drill_last_write_gap_seconds</c>,
/// <c>hastack_drill_last_split_brain_seconds</c>, <c>hastack_drill_split_brain_seconds_total</c>, and for chaos soaks
/// <c>hastack_soak_runs_total</c>, <c>hastack_soak_faults_total</c>, <c>hastack_soak_lost_writes_total</c>,
/// <c>hastack_soak_unknown_writes_total</c> and <c>hastack_soak_recovered_writes_total</c>. A soak's faults count as
/// drills of their kind too.
/// </summary>
public sealed class DrillMetrics
{
    public const string Name = "HaStack.FailoverDrill";

    /// <summary>Spans: one trace per drill, one child span per phase.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    private static readonly double[] _secondsBuckets = [0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120];

    private readonly Histogram<double> _rto;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _lost;
    private readonly Counter<long> _unknown;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _serviceRequests;
    private readonly Counter<double> _splitBrain;
    private readonly Counter<long> _soakRuns;
    private readonly Counter<long> _soakFaults;
    private readonly Counter<long> _soakLost;
    private readonly Counter<long> _soakUnknown;
    private readonly Counter<long> _soakRecovered;
    private readonly ConcurrentDictionary<(string Kind, string Path), double> _lastRto = new();
    private readonly ConcurrentDictionary<(string Kind, string Path), double> _lastGap = new();
    private readonly ConcurrentDictionary<string, double> _lastSplitBrain = new();

    public DrillMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = _secondsBuckets };
        _rto = meter.CreateHistogram("hastack_drill_rto", "s",
            "Client-visible recovery time: fault injected until the first write acknowledged by the new leader, per client path.", advice: advice);
        _duration = meter.CreateHistogram("hastack_drill_duration", "s", "Wall-clock duration of a drill, precondition to cleanup.", advice: advice);
        _lost = meter.CreateCounter<long>("hastack_drill_lost_writes", "{write}", "Acknowledged writes missing on the new leader after a drill.");
        _unknown = meter.CreateCounter<long>("hastack_drill_unknown_writes", "{write}", "Writes whose commit outcome the client could not know (timeout, connection lost mid-commit).");
        _runs = meter.CreateCounter<long>("hastack_drill_runs", "{run}", "Drills run, by kind and outcome (passed, failed, refused).");
        _serviceRequests = meter.CreateCounter<long>("hastack_drill_service_requests", "{request}",
            "Writes the drills sent to the measured service, by kind, outcome (acknowledged, failed, unknown, lost) and status (an HTTP status, connection, timeout).");
        meter.CreateObservableGauge("hastack_drill_last_rto", ObserveLastRto, "s", "Client-visible RTO of the most recent drill of a kind, per client path.");
        meter.CreateObservableGauge("hastack_drill_last_write_gap", () => _lastGap.Select(kv => new Measurement<double>(kv.Value, new("kind", kv.Key.Kind), new("path", kv.Key.Path))),
            "s", "Longest stretch without an acknowledged write in the most recent drill of a kind, per client path.");
        meter.CreateObservableGauge("hastack_drill_last_split_brain", () => _lastSplitBrain.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("kind", kv.Key))),
            "s", "Longest time two primaries committed writes in the most recent drill of a kind (must be 0).");
        _splitBrain = meter.CreateCounter<double>("hastack_drill_split_brain", "s", "Longest split brain of each drill, summed over drills (must stay 0).");
        _soakRuns = meter.CreateCounter<long>("hastack_soak_runs", "{run}", "Chaos soaks run, by outcome.");
        _soakFaults = meter.CreateCounter<long>("hastack_soak_faults", "{fault}", "Faults injected by chaos soaks, by kind and outcome.");
        _soakLost = meter.CreateCounter<long>("hastack_soak_lost_writes", "{write}", "Acknowledged writes a chaos soak's set checker found missing.");
        _soakUnknown = meter.CreateCounter<long>("hastack_soak_unknown_writes", "{write}", "Writes of a chaos soak whose outcome the client could not know.");
        _soakRecovered = meter.CreateCounter<long>("hastack_soak_recovered_writes", "{write}", "Unknown-outcome writes of a chaos soak found committed at the end.");
    }

    /// <summary>Records a finished drill.</summary>
    public void Record(DrillReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var kind = DrillKinds.Name(report.Kind);
        _runs.Add(1, new("kind", kind), new("outcome", report.Outcome.ToString().ToLowerInvariant()));
        if (report.Outcome == DrillOutcome.Refused)
        {
            return;
        }

        _duration.Record(report.DurationSeconds, new KeyValuePair<string, object?>("kind", kind));
        // Added even when zero, so the series exist and a dashboard shows 0 rather than "no data".
        _lost.Add(report.LostWrites, new KeyValuePair<string, object?>("kind", kind));
        _unknown.Add(report.UnknownWrites, new KeyValuePair<string, object?>("kind", kind));
        RecordService(kind, report.Service);
        foreach (var path in report.Paths)
        {
            if (path.RtoSeconds is { } rto)
            {
                _rto.Record(rto, new("kind", kind), new("path", path.Path));
                _lastRto[(kind, path.Path)] = rto;
            }

            if (path.WriteGapSeconds is { } gap)
            {
                _lastGap[(kind, path.Path)] = gap;
            }
        }

        if (report.SplitBrain is { } splitBrain)
        {
            _splitBrain.Add(splitBrain.LongestSeconds, new KeyValuePair<string, object?>("kind", kind));
            _lastSplitBrain[kind] = splitBrain.LongestSeconds;
        }
    }

    /// <summary>The service path's requests by outcome (zeros without a service, so the series exist).</summary>
    private void RecordService(string kind, ServiceReport? service)
    {
        _serviceRequests.Add(service?.Acknowledged ?? 0, new("kind", kind), new("outcome", "acknowledged"), new("status", "2xx"));
        _serviceRequests.Add(service?.Unknown ?? 0, new("kind", kind), new("outcome", "unknown"), new("status", "none"));
        _serviceRequests.Add(service?.Lost.Count ?? 0, new("kind", kind), new("outcome", "lost"), new("status", "2xx"));
        foreach (var (status, count) in service?.Failed ?? new Dictionary<string, int>())
        {
            _serviceRequests.Add(count, new("kind", kind), new("outcome", "failed"), new("status", status));
        }
    }

    /// <summary>Records a finished chaos soak (its faults were recorded as drills when judged).</summary>
    public void RecordSoak(Soak.SoakReport soak)
    {
        ArgumentNullException.ThrowIfNull(soak);
        _soakRuns.Add(1, new KeyValuePair<string, object?>("outcome", soak.Outcome.ToString().ToLowerInvariant()));
        foreach (var fault in soak.Faults)
        {
            _soakFaults.Add(1, new("kind", DrillKinds.Name(fault.Report.Kind)), new("outcome", fault.Report.Outcome.ToString().ToLowerInvariant()));
        }

        // Added even when zero, so the series exist and a dashboard shows 0 rather than "no data".
        _soakLost.Add(soak.Check?.Lost.Count ?? 0);
        _soakUnknown.Add(soak.Check?.Unknown ?? 0);
        _soakRecovered.Add(soak.Check?.UnknownPresent ?? 0);
    }

    private IEnumerable<Measurement<double>> ObserveLastRto() =>
        _lastRto.Select(kv => new Measurement<double>(kv.Value, new("kind", kv.Key.Kind), new("path", kv.Key.Path)));
}
