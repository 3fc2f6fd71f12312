namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The verdict on a measured and verified drill: <see cref="DrillOutcome.Passed"/> unless a check failed, the failed
/// checks joined into the reason. Lost writes fail a drill only in synchronous mode; otherwise they are a note.
/// </summary>
internal static class DrillVerdict
{
    /// <summary>The longest write gap one lost etcd member may cause.</summary>
    public const double EtcdMemberLossMaxGapSeconds = 1.0;

    public static DrillReport Judge(DrillReport report, List<string> notes)
    {
        var check = report.Check!;
        var problems = new List<string>();
        if (check.Lost.Count > 0)
        {
            if (report.SynchronousMode)
            {
                problems.Add($"{check.Lost.Count} acknowledged writes lost");
            }
            else
            {
                notes.Add($"asynchronous replication: {check.Lost.Count} acknowledged writes lost (possible without synchronous_mode)");
            }
        }

        if (check.Duplicates.Count > 0)
        {
            problems.Add($"{check.Duplicates.Count} writes stored twice");
        }

        if (check.FailedButPresent.Count > 0 || check.Unexpected.Count > 0)
        {
            problems.Add($"{check.FailedButPresent.Count + check.Unexpected.Count} writes stored that the client never saw succeed or never sent");
        }

        if (report.SplitBrain is { LongestSeconds: > 0 } splitBrain)
        {
            problems.Add($"two primaries committed writes at once for {splitBrain.LongestSeconds:0.0} s ({SplitBrainDetector.Describe(splitBrain.Timeline)})");
        }

        problems.AddRange(EffectProblems(report, notes));
        if (report.WritesResumed != true)
        {
            problems.Add(report.Fault?.LeaderChanged == true ? "the new leader did not accept writes on every path" : "writes did not resume on every path");
        }

        if (report.EveryMemberStreaming != true)
        {
            problems.Add(report.Fault?.LeaderChanged == true ? "the old leader did not rejoin as a streaming replica" : "not every member streams from the leader again");
        }

        if (report.EtcdHealthy == false)
        {
            problems.Add("etcd did not become healthy again");
        }

        // A slot the promoted node held in sync before the fault must be there after it: its consumer continues.
        foreach (var slot in report.FailoverSlots.Where(s => s.SyncedOnNewLeaderBefore && !s.OnNewLeaderAfter))
        {
            problems.Add($"the logical failover slot {slot.Slot} was synced on {report.NewLeader} before the fault but is gone from it after");
        }

        if (report.WritablePrimaries is { } n && n != 1)
        {
            problems.Add($"{n} writable primaries afterwards");
        }

        return problems.Count == 0
            ? report with { Outcome = DrillOutcome.Passed }
            : report with { Outcome = DrillOutcome.Failed, Reason = string.Join("; ", problems) };
    }

    /// <summary>What the fault did to the leader and to synchronous replication, against what it had to do.</summary>
    private static IEnumerable<string> EffectProblems(DrillReport report, List<string> notes)
    {
        if (report.Fault is { } fault)
        {
            if (fault.Expected == FaultEffect.NoFailover && fault.LeaderChanged)
            {
                yield return $"the leader moved from {report.OldLeader} to {report.NewLeader}: a {DrillKinds.Name(report.Kind)} must not cause a failover";
            }

            if (fault.LeaderChanged && report.TimelineBefore is { } before && report.TimelineAfter is { } after && after != before + 1)
            {
                notes.Add($"timeline moved from {before} to {after}, not by exactly one");
            }
        }

        // A paused switchover's promise: pooled clients wait, none sees an error or loses track of a write.
        if (report.Pause is not null && report.Paths.FirstOrDefault(p => p.Path == DrillRunner.PooledPath) is { } pooled
            && (pooled.FailedDuringGap > 0 || pooled.UnknownDuringGap > 0))
        {
            yield return $"pooled clients saw {pooled.FailedDuringGap} failed and {pooled.UnknownDuringGap} unknown writes in a paused switchover (they must only wait)";
        }

        if (report.Kind == DrillKind.EtcdMemberLoss)
        {
            foreach (var path in report.Paths.Where(p => p.WriteGapSeconds > EtcdMemberLossMaxGapSeconds))
            {
                yield return $"{path.Path}: a write gap of {path.WriteGapSeconds:0.00} s with one etcd member lost (allowed: {EtcdMemberLossMaxGapSeconds:0.0} s)";
            }
        }

        if (report.Synchronous is { WentAsynchronous: true } sync)
        {
            if (report.SynchronousModeName == "strict")
            {
                yield return $"synchronous_mode strict went asynchronous for {sync.AsynchronousSeconds:0.0} s ({SyncStandbySampler.Describe(sync.Timeline)})";
            }
            else
            {
                notes.Add($"synchronous_mode {report.SynchronousModeName}: commits stopped waiting for a standby for {sync.AsynchronousSeconds:0.0} s (synchronous_standby_names empty: after a failover until a standby streams, or with the standby lost; strict mode would stall instead)");
            }
        }
    }
}
