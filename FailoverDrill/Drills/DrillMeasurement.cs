namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The numbers of a drill, computed from the ledger and the failover monitor: which server each path wrote to before
/// the fault, the client-visible RTO and write gap per path, and how the leader lock went.
/// All times are offsets on the run's clock, all results in seconds rounded to the millisecond.
/// </summary>
internal static class DrillMeasurement
{
    /// <summary>The old leader's address as <paramref name="path"/> sees it: where most of its writes finished since <paramref name="since"/> landed.</summary>
    public static string OldServer(IEnumerable<WriteRecord> records, string path, TimeSpan since) =>
        records.Where(r => r.Path == path && r.Outcome == WriteOutcome.Acknowledged && r.Finished >= since)
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
    /// What <paramref name="path"/> experienced through a fault that needs no failover, from <paramref name="injectedAt"/>
    /// to <paramref name="until"/>: the longest stretch without an acknowledged write (from the last one before the
    /// fault), and as RTO the time from the fault to the write that ended it.
    /// </summary>
    public static PathReport MeasureContinuity(IReadOnlyList<WriteRecord> records, string path, TimeSpan injectedAt, TimeSpan until)
    {
        var mine = records.Where(r => r.Path == path && r.Finished <= until).OrderBy(r => r.Finished).ToList();
        var acks = mine.Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
        var previous = acks.LastOrDefault(r => r.Finished < injectedAt)?.Finished ?? injectedAt;
        TimeSpan longest = TimeSpan.Zero, gapStart = previous;
        WriteRecord? ending = null;
        foreach (var ack in acks.Where(r => r.Finished >= injectedAt))
        {
            if (ack.Finished - previous > longest)
            {
                (longest, gapStart, ending) = (ack.Finished - previous, previous, ack);
            }

            previous = ack.Finished;
        }

        if (ending is null)
        {
            return new PathReport(path, null, null, acks.Count, 0, 0, 0);
        }

        var inGap = mine.Where(r => r.Finished > gapStart && r.Finished < ending.Finished).ToList();
        return new PathReport(path,
            RtoSeconds: Math.Round((ending.Finished - injectedAt).TotalSeconds, 3),
            WriteGapSeconds: Math.Round(longest.TotalSeconds, 3),
            Acknowledged: acks.Count,
            FailedDuringGap: inGap.Count(r => r.Outcome == WriteOutcome.Failed),
            UnknownDuringGap: inGap.Count(r => r.Outcome == WriteOutcome.Unknown),
            Lost: 0);
    }

    /// <summary>True when every path had a write acknowledged between <paramref name="from"/> and <paramref name="to"/>.</summary>
    public static bool EveryPathAcknowledged(IReadOnlyList<WriteRecord> records, IEnumerable<string> paths, TimeSpan from, TimeSpan to) =>
        paths.All(p => records.Any(r => r.Path == p && r.Outcome == WriteOutcome.Acknowledged && r.Finished >= from && r.Finished <= to));

    /// <summary>
    /// How the old leader's lock went (<see cref="FailoverTiming.LeaderLock"/>): released on a switchover; after a
    /// crash with <paramref name="fenced"/>, released by fencing; otherwise expired or released depending on how long
    /// detection took against the ttl. A crash whose lock did not behave as the cluster's setting says gets a note.
    /// </summary>
    public static string LeaderLock(DrillKind kind, double? detection, int ttl, int loopWait, bool fenced, List<string> notes)
    {
        if (detection is not { } seconds)
        {
            return "kept";
        }

        if (kind == DrillKind.Switchover)
        {
            return "released (planned)";
        }

        if (seconds >= Math.Max(1, ttl - loopWait - 1))
        {
            if (kind == DrillKind.Crash && fenced)
            {
                notes.Add("fencing is on, yet the lock expired by its ttl: the fencer did not release it (is the AppHost running, and etcd answering?)");
            }

            return $"expired: held {seconds:0.0} s after the fault, ttl {ttl} s";
        }

        if (kind == DrillKind.Crash && fenced)
        {
            return $"released after fencing in {seconds * 1000:0} ms";
        }

        if (kind == DrillKind.Crash)
        {
            notes.Add("the leader lock disappeared faster than its ttl allows after a crash: was the node really killed?");
        }

        return $"released after {seconds:0.0} s, before its ttl of {ttl} s";
    }

    /// <summary>Seconds from <paramref name="origin"/> to <paramref name="at"/>, rounded to the millisecond; null if it never happened.</summary>
    public static double? Since(TimeSpan? at, TimeSpan origin) => at is { } t ? Math.Round((t - origin).TotalSeconds, 3) : null;

    /// <summary>
    /// The service path's figures from the ledger: every call, the failures by answer, the longest gap between
    /// acknowledged writes from the last one before <paramref name="injectedAt"/> until <paramref name="until"/>, and the
    /// latency before and during the fault. <see cref="ServiceReport.Lost"/> and the reads are filled in by the verification.
    /// </summary>
    public static ServiceReport MeasureService(IReadOnlyList<WriteRecord> records, ServiceTarget service, TimeSpan injectedAt, TimeSpan until)
    {
        var mine = records.Where(r => r.Path == ServiceTarget.PathName).ToList();
        var acks = mine.Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
        var windows = new ServiceReport(
            service.Write.ToString(),
            service.Read.ToString(),
            Sent: 0,
            Acknowledged: 0,
            Failed: new Dictionary<string, int>(),
            Unknown: 0,
            LongestGapSeconds: MeasureContinuity(mine, ServiceTarget.PathName, injectedAt, until).WriteGapSeconds,
            Before: Latency(acks.Where(r => r.Started < injectedAt)),
            During: Latency(acks.Where(r => r.Started >= injectedAt && r.Started <= until)),
            Reads: null,
            Lost: []);
        return WithFinalCounts(windows, mine);
    }

    /// <summary>
    /// The service's counts from the final ledger (the callers run on after the fault's measure, through the cool-down):
    /// every call sent, acknowledged, failed (by status, 5xx included) and unknown (no answer).
    /// </summary>
    public static ServiceReport WithFinalCounts(ServiceReport report, IReadOnlyList<WriteRecord> records)
    {
        var mine = records.Where(r => r.Path == ServiceTarget.PathName).ToList();
        return report with
        {
            Sent = mine.Count,
            Acknowledged = mine.Count(r => r.Outcome == WriteOutcome.Acknowledged),
            Failed = mine.Where(r => r.Outcome == WriteOutcome.Failed || ServiceLoad.IsServerError(r)).GroupBy(r => r.Status ?? "error").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            Unknown = mine.Count(r => r.Outcome == WriteOutcome.Unknown && !ServiceLoad.IsServerError(r)),
        };
    }

    /// <summary>Median and 99th percentile (nearest rank) of the calls' latencies, in milliseconds.</summary>
    public static LatencyReport Latency(IEnumerable<WriteRecord> calls)
    {
        var sorted = calls.Select(r => (r.Finished - r.Started).TotalMilliseconds).Order().ToList();
        if (sorted.Count == 0)
        {
            return new LatencyReport(0, null, null);
        }

        double Rank(double p) => Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)], 1);
        return new LatencyReport(sorted.Count, Rank(0.50), Rank(0.99));
    }
}
