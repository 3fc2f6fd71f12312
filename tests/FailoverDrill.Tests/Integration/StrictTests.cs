using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Integration;

/// <summary>Strict synchronous replication: losing the only standby must stall writes, never acknowledge them unreplicated.</summary>
public class StrictTests(StrictCluster cluster) : IClassFixture<StrictCluster>
{
    [Fact]
    public async Task ReplicaLossDrillInStrictModeStallsWritesUntilTheStandbyIsBackAndNeverGoesAsynchronous()
    {
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        var leader = await cluster.LeaderAsync(default);

        var (status, report) = await cluster.RunDrillAsync("replica-loss");

        DrillTests.AssertPassedAndNothingLost(status, report);
        Assert.Equal("strict", report.SynchronousModeName);
        Assert.Equal(leader, report.OldLeader);
        Assert.False(report.Fault!.LeaderChanged);
        var sync = Assert.IsType<SynchronousReport>(report.Synchronous);
        Assert.False(sync.WentAsynchronous, SyncStandbySampler.Describe(sync.Timeline));
        // Nothing acknowledged while the only standby was down: the writes waited for it.
        Assert.False(report.Fault.WritesContinued, report.ToTable());
        Assert.All(report.Paths, p => Assert.True(p.WriteGapSeconds > report.Fault.HeldSeconds * 0.75,
            $"{p.Path}: longest write gap {p.WriteGapSeconds} s while the standby was down for {report.Fault.HeldSeconds} s"));
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }
}
