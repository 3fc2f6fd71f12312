using System.Net;
using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Integration;

/// <summary>PostgreSQL 17's quorum commit under crashes, and failsafe mode while etcd has no quorum.</summary>
public class QuorumTests(QuorumCluster cluster) : IClassFixture<QuorumCluster>
{
    [Fact]
    public async Task CrashDrillInQuorumModeWithFencingOffWaitsOutTheLeaseThenPromotesAStandbyAndLosesNoAcknowledgedWrite()
    {
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        var before = await cluster.Patroni.GetClusterAsync(default);
        Assert.Equal(2, before.Members.Count(m => m.Role == "quorum_standby"));

        var (status, report) = await cluster.RunDrillAsync("crash");

        Assert.True(report.Outcome == DrillOutcome.Passed, $"crash drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("quorum", report.SynchronousModeName);
        Assert.Equal((20, 1, 3), (report.Ttl, report.LoopWait, report.RetryTimeout));
        Assert.NotEqual(report.OldLeader, report.NewLeader);
        // Fencing off: nobody releases the dead leader's lock, it expires by its ttl.
        Assert.StartsWith("expired", report.Timing!.LeaderLock);
        Assert.True(report.Timing.NewLeaderSeconds >= report.Ttl - report.LoopWait - 1, $"new leader after {report.Timing.NewLeaderSeconds} s without fencing (ttl {report.Ttl} s)");
        Assert.Equal(report.TimelineBefore + 1, report.TimelineAfter);
        Assert.True(report.Check!.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        Assert.Equal(0, report.LostWrites);
        Assert.Empty(report.Check.Duplicates);
        Assert.Equal(1, report.WritablePrimaries);
        Assert.True(report.EveryMemberStreaming);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task EtcdQuorumLossDrillKeepsTheLeaderWritableInFailsafeModeWithNoSecondPrimaryAndNothingLost()
    {
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        var leader = (await cluster.LeaderAsync(default))!;

        // While the drill holds two of three etcd members down, the leader's metrics say whether failsafe mode is on.
        using var stop = new CancellationTokenSource();
        var failsafeSeen = false;
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var metrics = await cluster.Patroni.GetMetricsAsync(cluster.PatroniUrls[leader], stop.Token);
                    failsafeSeen |= metrics.Split('\n').Any(l => l.StartsWith("patroni_failsafe_mode_is_active{", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
                    await Task.Delay(1000, stop.Token);
                }
                catch (HaStack.Patroni.PatroniApiException)
                {
                    // The leader's REST API may be slow while etcd is down: try again.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        DrillReport report;
        HttpStatusCode status;
        try
        {
            (status, report) = await cluster.RunDrillAsync("etcd-quorum-loss");
        }
        finally
        {
            await stop.CancelAsync();
            await watcher;
        }

        DrillTests.AssertPassedAndNothingLost(status, report);
        Assert.Equal(2, report.Fault!.Victims.Count);
        Assert.True(report.Fault.HeldSeconds > report.Ttl, $"held {report.Fault.HeldSeconds} s, not past the ttl of {report.Ttl} s");
        Assert.True(failsafeSeen, "Patroni never reported patroni_failsafe_mode_is_active 1 on the leader");
        // Failsafe: every member answered the leader, so it kept serving writes without etcd.
        Assert.True(report.Fault.WritesContinued, report.ToTable());
        Assert.False(report.Fault.LeaderChanged, report.ToTable());
        Assert.All(report.Paths, p => Assert.True(p.WriteGapSeconds < 5, $"{p.Path}: writes stalled for {p.WriteGapSeconds} s without etcd quorum"));
        Assert.Equal(0, report.SplitBrain!.LongestSeconds);
        Assert.True(report.EtcdHealthy);
        Assert.Equal(leader, await Wait.ForAsync("a leader in the DCS again", Timeouts.Scaled(30), cluster.LeaderAsync));
    }
}
