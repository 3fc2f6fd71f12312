using System.Net;
using System.Text.Json;
using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Integration;

/// <summary>
/// A smoke run of a platform that is not the default (every other test runs on PostgreSQL 18): it comes up on the
/// versions it names, a crash drill loses no acknowledged write (and, from 17, the logical failover slot was in sync on
/// the node promoted and is there after), and the new leader takes a backup of its major version.
/// </summary>
public abstract class PlatformSmokeTests<TCluster>(TCluster cluster, int major, string patroniPrefix, (int Ttl, int LoopWait, int RetryTimeout) fastTiming, bool failoverSlot)
    where TCluster : DrillCluster
{
    [Fact]
    public async Task ComesUpOnItsVersionsAndACrashLosesNoAcknowledgedWriteAndTheNewLeaderBacksUp()
    {
        await cluster.AssertPlatformAsync($"{major}.", patroniPrefix);
        if (failoverSlot)
        {
            // The test reads the slot (a slot no consumer reads never becomes sync-ready on a standby).
            await cluster.WaitUntilSlotSyncReadyAsync(consume: true);
        }

        var (status, report) = await cluster.RunDrillAsync("crash");

        Assert.True(report.Outcome == DrillOutcome.Passed, $"crash drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fastTiming, (report.Ttl, report.LoopWait, report.RetryTimeout));
        Assert.StartsWith($"PostgreSQL {major}.", report.Versions);
        Assert.Contains($"Patroni {patroniPrefix}", report.Versions);
        Assert.NotEqual(report.OldLeader, report.NewLeader);
        Assert.True(report.Check!.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        Assert.Equal(0, report.LostWrites);
        Assert.Equal(1, report.WritablePrimaries);
        Assert.True(report.EveryMemberStreaming);
        if (failoverSlot)
        {
            var slot = Assert.Single(report.FailoverSlots);
            Assert.True(slot.SyncedOnNewLeaderBefore && slot.OnNewLeaderAfter, slot.Describe(report.NewLeader));
        }
        else
        {
            Assert.Empty(report.FailoverSlots);
        }

        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);

        // A backup on the new leader, of this major version, in the stack's repository (pgBackRest's own account).
        using var cts = new CancellationTokenSource(Timeouts.Scaled(240));
        await cluster.App.ResourceNotifications.WaitForResourceAsync("backups",
            e => e.Snapshot.Properties.Any(p => p.Name == Aspire.Hosting.ApplicationModel.BackupRepositoryResource.LastBackupTimePropertyName), cts.Token);
        var drillEnded = DateTimeOffset.UtcNow;
        var result = await cluster.App.ResourceCommands.ExecuteCommandAsync("backups", "backup-now", cts.Token);
        Assert.True(result.Success, result.Message);
        Assert.Contains($"on {report.NewLeader}", result.Message);
        using var info = JsonDocument.Parse(await cluster.ExecAsync(report.NewLeader!, ["sh", "-c", "pgbackrest --stanza=\"$PATRONI_SCOPE\" --output=json --log-level-console=off info"]));
        var stanza = info.RootElement[0];
        var newest = stanza.GetProperty("backup").EnumerateArray().Last();
        Assert.True(DateTimeOffset.FromUnixTimeSeconds(newest.GetProperty("timestamp").GetProperty("stop").GetInt64()) >= drillEnded.AddSeconds(-1),
            $"the newest backup {newest.GetProperty("label").GetString()} is older than the drill");
        var database = newest.GetProperty("database").GetProperty("id").GetInt32();
        Assert.Equal($"{major}", stanza.GetProperty("db").EnumerateArray().Single(d => d.GetProperty("id").GetInt32() == database).GetProperty("version").GetString());
    }
}

/// <summary>PostgreSQL 17 under Patroni 4.0: fast timing at Patroni's floor.</summary>
public class Postgres17Tests(Postgres17Cluster cluster)
    : PlatformSmokeTests<Postgres17Cluster>(cluster, 17, "4.0.", (20, 1, 3), failoverSlot: true), IClassFixture<Postgres17Cluster>;

/// <summary>The seed's PostgreSQL 15 under Patroni 3.0, which still accepts a ttl of 5.</summary>
public class Postgres15Tests(Postgres15Cluster cluster)
    : PlatformSmokeTests<Postgres15Cluster>(cluster, 15, "3.0.", (5, 1, 2), failoverSlot: false), IClassFixture<Postgres15Cluster>;
