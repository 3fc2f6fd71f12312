using HaStack.CommandLine;
using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;
using Spectre.Console;

namespace FailoverDrill.Tests.Cli;

/// <summary>The CLI's tables of a drill and of several, as a person reads them off a terminal: plain text, no ANSI escape.</summary>
public class DrillReportTableTests
{
    private static readonly DrillReport s_passed = new()
    {
        RunId = "r1", Kind = DrillKind.Crash, Outcome = DrillOutcome.Passed, OldLeader = "pg-1", NewLeader = "pg-2", TimelineBefore = 3, TimelineAfter = 4,
        SynchronousModeName = "on", Ttl = 20, LoopWait = 1, RetryTimeout = 3, Injection = "docker kill c1", Recovery = "docker start c1",
        Timing = new FailoverTiming(20.1, 21.3, 35.2, "expired"),
        Paths = [new PathReport("pooled", 22.5, 23.1, 1234, 12, 1, 0), new PathReport("direct", null, 22, 1300, 8, 0, 0)],
        Check = new CheckResult(2534, 1, 20, [], [], 1, 0, [], []), WritablePrimaries = 1, WritesResumed = true, EveryMemberStreaming = true,
        Notes = ["note [with brackets]"], DurationSeconds = 48.2,
    };

    [Fact]
    public void DrillIsAHeadlineAFactTableAndAPathTable()
    {
        var text = Render(console => DrillReportTable.Write(console, s_passed));

        Assert.StartsWith("FailoverDrill crash r1: PASSED" + Environment.NewLine, text);
        Assert.Matches(@"│ cluster\s+│ synchronous_mode on, ttl 20 s, loop_wait 1 s, retry_timeout 3 s \(read back from Patroni\) │", text);
        Assert.Matches(@"│ detection\s+│ 20\.10 s   \(leader lock expired\)", text);
        Assert.Contains("note [with brackets]", text);
        Assert.Matches(@"│ path\s+│\s+RTO │ write gap │ acked │ failed \(gap\) │ unknown \(gap\) │ lost │", text);
        Assert.Matches(@"│ pooled │ 22\.50 s │\s+23\.10 s │\s+1234 │\s+12 │\s+1 │\s+0 │", text);
        Assert.Matches(@"│ direct │\s+- │\s+22\.00 s │", text);
        Assert.DoesNotContain("\u001b", text, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusedDrillIsOnlyItsHeadline()
    {
        var text = Render(console => DrillReportTable.Write(console, new DrillReport
        {
            RunId = "r2", Kind = DrillKind.Switchover, Outcome = DrillOutcome.Refused, Reason = "no replica streams",
        }));

        Assert.Equal("FailoverDrill switchover r2: REFUSED - no replica streams" + Environment.NewLine, text);
    }

    [Fact]
    public void SummaryCountsTheDrillsAndTabulatesEveryMeasure()
    {
        var summary = DrillSummary.Of([s_passed, s_passed with { Outcome = DrillOutcome.Failed }]);
        var text = Render(console => DrillSummaryTable.Write(console, summary));

        Assert.StartsWith("Summary: 2 drills, 1 passed, 1 failed, 0 refused; lost 0, unknown 2, longest split brain 0.0 s" + Environment.NewLine, text);
        Assert.Matches(@"│ measure\s+│ n │\s+min │\s+median │\s+p95 │\s+max │", text);
        Assert.Matches(@"│ RTO pooled\s+│ 2 │ 22\.50 s │", text);
        Assert.Matches(@"│ healthy again\s+│ 2 │ 35\.20 s │", text);
        Assert.DoesNotContain("RTO direct", text);
    }

    private static string Render(Action<IAnsiConsole> write)
    {
        using var writer = new StringWriter();
        var console = ReportConsole.Create(writer, noColor: false);
        write(console);
        return writer.ToString();
    }
}
