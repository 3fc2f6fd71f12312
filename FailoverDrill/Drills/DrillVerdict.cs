namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The verdict on a measured and verified drill: <see cref="DrillOutcome.Passed"/> unless a check failed, the failed
/// checks joined into the reason. Lost writes fail a drill only in synchronous mode; otherwise they are a note.
/// </summary>
internal static class DrillVerdict
{
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

        if (report.NewLeaderAcceptsWrites != true)
        {
            problems.Add("the new leader did not accept writes on every path");
        }

        if (report.OldLeaderStreaming != true)
        {
            problems.Add("the old leader did not rejoin as a streaming replica");
        }

        if (report.WritablePrimaries is { } n && n != 1)
        {
            problems.Add($"{n} writable primaries afterwards");
        }

        return problems.Count == 0
            ? report with { Outcome = DrillOutcome.Passed }
            : report with { Outcome = DrillOutcome.Failed, Reason = string.Join("; ", problems) };
    }
}
