using System.Diagnostics;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The numbers of a drill, computed from the ledger and the failover monitor: which server each path wrote to before
/// the fault, the client-visible RTO and write gap per path, and how the leader lock went.
/// All times are offsets on the run's clock, all results in seconds rounded to the millisecond.
/// </summary>
internal static class DrillMeasurement
{
    /// <summary>
    /// Measure phase, client side: once every path wrote to the new leader, the load runs on for the cool-down, stops,
    /// and each path is measured.
    /// </summary>
    public static async Task<List<PathReport>> MeasurePathsAsync(DrillRun run, DrillSettings settings, LoadGenerator load,
        Dictionary<string, string> oldServers, TimeSpan injectedAt, CancellationToken ct)
    {
        await DrillPolling.WaitForAsync("every client path writes to the new leader", settings.ClientRecovery, () =>
            Task.FromResult(run.Paths.All(p => FirstAckOnNewLeader(run.Ledger.Snapshot(), p.Path, oldServers[p.Path], injectedAt) is not null)), ct).ConfigureAwait(false);
        await Task.Delay(settings.CoolDown, ct).ConfigureAwait(false);
        await load.StopAsync().ConfigureAwait(false);
        var records = run.Ledger.Snapshot();
        var pathReports = new List<PathReport>();
        foreach (var (path, _) in run.Paths)
        {
            pathReports.Add(MeasurePath(records, path, oldServers[path], injectedAt, run.Notes));
        }

        return pathReports;
    }

    /// <summary>Measure phase, Patroni side (the monitor has stopped): the paths measured, detection, new leader and leader lock timing.</summary>
    public static DrillReport WithFailoverTiming(DrillRun run, DrillReport report, List<PathReport> pathReports, FailoverMonitor monitor,
        TimeSpan injectedAt, Activity? phase)
    {
        var detection = Since(monitor.DetectedAt, injectedAt);
        var lockState = LeaderLock(run.Kind, detection, run.Precondition.Ttl, run.Precondition.LoopWait, run.Notes);
        report = report with
        {
            Paths = pathReports,
            Timing = new FailoverTiming(detection, Since(monitor.NewLeaderAt, injectedAt), null, lockState),
            TimelineAfter = monitor.NewLeaderTimeline ?? report.TimelineAfter,
        };
        foreach (var p in pathReports)
        {
            phase?.SetTag($"drill.rto.{p.Path}", p.RtoSeconds);
        }

        return report;
    }

    /// <summary>The old leader's address as <paramref name="path"/> sees it: where most of its warm-up writes landed.</summary>
    public static string OldServer(IEnumerable<WriteRecord> records, string path) =>
        records.Where(r => r.Path == path && r.Outcome == WriteOutcome.Acknowledged)
            .GroupBy(r => r.Server).OrderByDescending(g => g.Count()).First().Key!;

    /// <summary>The first write of <paramref name="path"/> started after the fault and acknowledged by another server than the old leader.</summary>
    public static WriteRecord? FirstAckOnNewLeader(IEnumerable<WriteRecord> records, string path, string oldServer, TimeSpan injectedAt) =>
        records.Where(r => r.Path == path && r.Outcome == WriteOutcome.Acknowledged && r.Server != oldServer && r.Started >= injectedAt)
            .MinBy(r => r.Finished);

    /// <summary>What <paramref name="path"/> experienced (its <see cref="PathReport.Lost"/> is filled in by the verification).</summary>
    public static PathReport MeasurePath(IReadOnlyList<WriteRecord> records, string path, string oldServer, TimeSpan injectedAt, List<string> notes)
    {
        var mine = records.Where(r => r.Path == path).OrderBy(r => r.Finished).ToList();
        var acks = mine.Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
        var first = FirstAckOnNewLeader(mine, path, oldServer, injectedAt);
        if (first is null)
        {
            return new PathReport(path, null, null, acks.Count, 0, 0, 0);
        }

        var lastBefore = acks.LastOrDefault(r => r.Finished < first.Finished);
        var gapStart = lastBefore?.Finished ?? injectedAt;
        var inGap = mine.Where(r => r.Finished > gapStart && r.Finished < first.Finished).ToList();
        var lateOld = acks.Count(r => r.Server == oldServer && r.Finished > first.Finished);
        if (lateOld > 0)
        {
            notes.Add($"{path}: {lateOld} writes acknowledged by the old leader after the new leader had acknowledged one");
        }

        return new PathReport(path,
            RtoSeconds: Math.Round((first.Finished - injectedAt).TotalSeconds, 3),
            WriteGapSeconds: Math.Round((first.Finished - gapStart).TotalSeconds, 3),
            Acknowledged: acks.Count,
            FailedDuringGap: inGap.Count(r => r.Outcome == WriteOutcome.Failed),
            UnknownDuringGap: inGap.Count(r => r.Outcome == WriteOutcome.Unknown),
            Lost: 0);
    }

    /// <summary>
    /// How the old leader's lock went (<see cref="FailoverTiming.LeaderLock"/>): released on a switchover, otherwise expired
    /// or released depending on how long detection took against the ttl. A crash whose lock did not expire gets a note.
    /// </summary>
    public static string LeaderLock(DrillKind kind, double? detection, int ttl, int loopWait, List<string> notes)
    {
        var lockState = kind == DrillKind.Switchover
            ? "released (planned)"
            : detection >= Math.Max(1, ttl - loopWait - 1)
                ? $"expired: held {detection:0.0} s after the kill, ttl {ttl} s"
                : $"released after {detection:0.0} s, before its ttl of {ttl} s";
        if (kind == DrillKind.Crash && !lockState.StartsWith("expired", StringComparison.Ordinal))
        {
            notes.Add("the leader lock disappeared faster than its ttl allows after a crash: was the node really killed?");
        }

        return lockState;
    }

    /// <summary>Seconds from <paramref name="origin"/> to <paramref name="at"/>, rounded to the millisecond; null if it never happened.</summary>
    public static double? Since(TimeSpan? at, TimeSpan origin) => at is { } t ? Math.Round((t - origin).TotalSeconds, 3) : null;
}
