using System.Net;
using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Integration;

/// <summary>A smoke run of the other platform: it comes up as PostgreSQL 15 under Patroni 3.0, and a crash loses nothing.</summary>
public class Postgres15Tests(Postgres15Cluster cluster) : IClassFixture<Postgres15Cluster>
{
    [Fact]
    public async Task Postgres15ClusterRunsUnderPatroni30AndACrashDrillLosesNoAcknowledgedWrite()
    {
        await cluster.AssertPlatformAsync("15.", "3.0.");

        var (status, report) = await cluster.RunDrillAsync("crash");

        Assert.True(report.Outcome == DrillOutcome.Passed, $"crash drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((5, 1, 2), (report.Ttl, report.LoopWait, report.RetryTimeout));
        Assert.Equal("on", report.SynchronousModeName);
        Assert.NotEqual(report.OldLeader, report.NewLeader);
        Assert.True(report.Check!.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        Assert.Equal(0, report.LostWrites);
        Assert.Equal(1, report.WritablePrimaries);
        Assert.True(report.EveryMemberStreaming);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }
}
