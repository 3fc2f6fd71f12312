using System.Globalization;
using HaStack.FailoverDrill.Drills;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace HaStack.FailoverDrill.Cli;

/// <summary>The human report of one drill: a headline with the outcome, a table of what happened, a table per client path.</summary>
public static class DrillReportTable
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static void Write(IAnsiConsole console, DrillReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var outcome = report.Outcome switch
        {
            DrillOutcome.Passed => Color.Green,
            DrillOutcome.Failed => Color.Red,
            _ => Color.Yellow,
        };
        console.Write(new Paragraph()
            .Append($"FailoverDrill {DrillKinds.Name(report.Kind)} {report.RunId}: ")
            .Append(report.Outcome.ToString().ToUpperInvariant(), console.Paint(new Style(outcome, decoration: Decoration.Bold)))
            .Append(report.Reason is null ? "" : " - " + report.Reason));
        console.WriteLine();
        if (report.Outcome == DrillOutcome.Refused)
        {
            return;
        }

        console.Write(Indented(Facts(console, report)));
        console.Write(Indented(Paths(console, report)));
    }

    private static Table Facts(IAnsiConsole console, DrillReport r)
    {
        var table = new Table().AddColumn("measure").AddColumn("value");
        void Row(string name, string value, Style? style = null) => table.AddRow(new Text(name), new Text(value, style ?? Style.Plain));

        Row("leader", $"{r.OldLeader ?? "?"} -> {r.NewLeader ?? "?"}   timeline {r.TimelineBefore?.ToString(s_invariant) ?? "?"} -> {r.TimelineAfter?.ToString(s_invariant) ?? "?"}");
        Row("cluster", string.Create(s_invariant,
            $"synchronous_mode {r.SynchronousModeName ?? (r.SynchronousMode ? "on" : "off")}, ttl {r.Ttl} s, loop_wait {r.LoopWait} s, retry_timeout {r.RetryTimeout} s (read back from Patroni)"));
        Row("platform", $"{r.Versions ?? "?"} (the leader's, before the fault)");
        Row("injected", r.Injection ?? "?");
        foreach (var slot in r.FailoverSlots)
        {
            Row("failover slot", slot.Describe(r.NewLeader), slot.OnNewLeaderAfter ? Style.Plain : new Style(Color.Red));
        }

        if (r.Fault is { } f)
        {
            Row("fault", string.Create(s_invariant,
                $"expected {System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(f.Expected.ToString())}, held {f.HeldSeconds:0.0} s, leader changed {(f.LeaderChanged ? "yes" : "no")}, writes continued during it {(f.WritesContinued ? "yes" : "no")}"));
        }

        if (r.Timing is { } t)
        {
            Row("detection", $"{Sec(t.DetectionSeconds)}   (leader lock {t.LeaderLock ?? "?"})");
            Row("new leader lock", Sec(t.NewLeaderSeconds));
            Row("healthy again", Sec(t.RejoinSeconds) + (r.Recovery is null ? "" : "   (" + r.Recovery + ")"));
        }

        if (r.Synchronous is { } sync)
        {
            Row("synchronous", (sync.WentAsynchronous ? string.Create(s_invariant, $"went asynchronous for {sync.AsynchronousSeconds:0.0} s") : "never asynchronous")
                               + ": " + SyncStandbySampler.Describe(sync.Timeline));
        }

        if (r.Service is { } sv)
        {
            var broken = sv.Lost.Count > 0 ? console.Paint(new Style(Color.Red)) : Style.Plain;
            Row("service", sv.Summary(), broken);
            Row("service latency", sv.LatencySummary());
            foreach (var lost in sv.Lost.Take(10))
            {
                Row("service lost", lost, broken);
            }

            foreach (var stored in sv.StoredDespiteError.Take(10))
            {
                Row("service 5xx, kept", stored);
            }
        }

        if (r.Check is { } k)
        {
            Row("ledger", string.Create(s_invariant, $"{k.Acknowledged} acknowledged, {k.Unknown} unknown ({k.UnknownPresent} committed, {k.UnknownAbsent} absent), {k.Failed} failed"));
            Row("checker", string.Create(s_invariant,
                    $"lost {k.Lost.Count}, duplicates {k.Duplicates.Count}, failed-but-present {k.FailedButPresent.Count}, unexpected {k.Unexpected.Count}") +
                (k.Lost.Count > 0 ? "   lost: " + string.Join(' ', k.Lost.Take(10)) : ""),
                k.Valid ? Style.Plain : console.Paint(new Style(Color.Red)));
        }

        var healthy = r.WritablePrimaries == 1 && r.WritesResumed == true && r.EveryMemberStreaming == true && r.EtcdHealthy != false;
        Row("afterwards", $"writable primaries {r.WritablePrimaries?.ToString(s_invariant) ?? "?"}, writes resumed {YesNo(r.WritesResumed)}, " +
                          $"every member streaming {YesNo(r.EveryMemberStreaming)}" + (r.EtcdHealthy is null ? "" : $", etcd healthy {YesNo(r.EtcdHealthy)}"),
            healthy ? Style.Plain : console.Paint(new Style(Color.Red)));
        if (r.SplitBrain is { } sb)
        {
            Row("split brain", string.Create(s_invariant, $"{sb.LongestSeconds:0.0} s with two primaries taking writes ({sb.Samples} samples); primary: {SplitBrainDetector.Describe(sb.Timeline)}"),
                sb.LongestSeconds > 0 ? console.Paint(new Style(Color.Red)) : Style.Plain);
        }

        foreach (var note in r.Notes)
        {
            Row("note", note);
        }

        Row("duration", string.Create(s_invariant, $"{r.DurationSeconds:0.0} s"));
        return table;
    }

    private static Table Paths(IAnsiConsole console, DrillReport r)
    {
        var table = new Table().AddColumn("path");
        foreach (var name in (string[])["RTO", "write gap", "acked", "failed (gap)", "unknown (gap)", "lost"])
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        foreach (var p in r.Paths)
        {
            table.AddRow(
                new Text(p.Path),
                new Text(Sec(p.RtoSeconds)),
                new Text(Sec(p.WriteGapSeconds)),
                new Text(p.Acknowledged.ToString(s_invariant)),
                new Text(p.FailedDuringGap.ToString(s_invariant)),
                new Text(p.UnknownDuringGap.ToString(s_invariant)),
                new Text(p.Lost.ToString(s_invariant), p.Lost > 0 ? console.Paint(new Style(Color.Red, decoration: Decoration.Bold)) : Style.Plain));
        }

        return table;
    }

    internal static Padder Indented(IRenderable table) => new(table, new Padding(2, 0, 0, 0));

    private static string Sec(double? v) => v is { } x ? x.ToString("0.00", s_invariant) + " s" : "-";

    private static string YesNo(bool? v) => v switch { true => "yes", false => "NO", null => "?" };
}
