using System.Diagnostics;
using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Model;

/// <summary>How samples become the split-brain time and the primary timeline (the sampling itself runs in the drill tests).</summary>
public class SplitBrainDetectorTests
{
    [Fact]
    public async Task TheLongestStretchWithTwoCommittingPrimariesAndEachChangeOfPrimaryAreReported()
    {
        await using var detector = new SplitBrainDetector([("pg-1", "Host=a"), ("pg-2", "Host=b")], "run", new Stopwatch(), TimeSpan.FromMilliseconds(100));
        detector.Record(TimeSpan.FromSeconds(1.0), ["pg-1"]);
        detector.Record(TimeSpan.FromSeconds(1.1), ["pg-1", "pg-2"]);
        detector.Record(TimeSpan.FromSeconds(1.2), ["pg-1", "pg-2"]);
        detector.Record(TimeSpan.FromSeconds(1.4), ["pg-2"]);
        detector.Record(TimeSpan.FromSeconds(1.5), []);
        detector.Record(TimeSpan.FromSeconds(2.0), ["pg-1", "pg-2"]);
        detector.Record(TimeSpan.FromSeconds(2.1), ["pg-2"]);

        var report = detector.Report(injectedAt: TimeSpan.FromSeconds(1.0));

        Assert.Equal(0.3, report.LongestSeconds, 3);
        Assert.Equal(7, report.Samples);
        Assert.Equal(["pg-1", "pg-1+pg-2", "pg-2", "none", "pg-1+pg-2", "pg-2"], report.Timeline.Select(s => s.Primaries));
        Assert.Equal([0, 0.1, 0.4, 0.5, 1.0, 1.1], report.Timeline.Select(s => s.FromSeconds));
        Assert.Equal("0.0 s pg-1, 0.1 s pg-1+pg-2, 0.4 s pg-2, 0.5 s none, 1.0 s pg-1+pg-2, 1.1 s pg-2", SplitBrainDetector.Describe(report.Timeline));
    }

    [Fact]
    public void HostsOfTheDirectPathAreNamedAfterTheMembersInOrderOrByHost()
    {
        var named = SplitBrainDetector.NodesOf("Host=localhost:5001,localhost:5002;Username=app;Password=x", ["pg-1", "pg-2"]);
        Assert.Equal(["pg-1", "pg-2"], named.Select(n => n.Node));
        Assert.Contains("Host=localhost:5002", named[1].ConnectionString);

        var unnamed = SplitBrainDetector.NodesOf("Host=a:1,b:2,c:3;Username=app", ["pg-1", "pg-2"]);
        Assert.Equal(["a:1", "b:2", "c:3"], unnamed.Select(n => n.Node));
    }
}
