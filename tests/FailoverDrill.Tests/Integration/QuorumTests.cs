using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using HaStack.FailoverDrill.Drills;
using Npgsql;

namespace FailoverDrill.Tests.Integration;

/// <summary>PostgreSQL 17's quorum commit under crashes, and failsafe mode while etcd has no quorum.</summary>
public class QuorumTests(QuorumCluster cluster) : IClassFixture<QuorumCluster>
{
    [Fact]
    public async Task CrashDrillInQuorumModeWithThreeNodesPromotesAStandbyAndLosesNoAcknowledgedWrite()
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
        Assert.Equal(report.TimelineBefore + 1, report.TimelineAfter);
        Assert.True(report.Check!.Acknowledged > 100, $"only {report.Check.Acknowledged} acknowledged writes: not under load");
        Assert.Equal(0, report.LostWrites);
        Assert.Empty(report.Check.Duplicates);
        Assert.Equal(1, report.WritablePrimaries);
        Assert.True(report.OldLeaderStreaming);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task WhileEtcdHasNoQuorumTheLeaderStaysWritableNoSecondPrimaryAppearsAndNothingIsLost()
    {
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        var leader = (await cluster.LeaderAsync(default))!;
        var nodes = new Dictionary<string, string>();
        foreach (var node in cluster.NodeNames)
        {
            nodes[node] = await cluster.GetConnectionStringAsync(node) + ";Pooling=false;Timeout=3;Command Timeout=3";
        }

        await using (var setup = new NpgsqlConnection(nodes[leader]))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS failsafe_writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())", setup);
            await create.ExecuteNonQueryAsync();
        }

        // Writes go straight to the leader; a sampler counts the nodes that are not in recovery, twice a second.
        using var stop = new CancellationTokenSource();
        var acknowledged = new ConcurrentQueue<(long Id, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        var writer = Task.Run(async () =>
        {
            long id = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(nodes[leader]);
                    await connection.OpenAsync(stop.Token);
                    while (!stop.IsCancellationRequested)
                    {
                        await using var insert = new NpgsqlCommand("INSERT INTO failsafe_writes (id) VALUES ($1)", connection);
                        insert.Parameters.Add(new() { Value = ++id });
                        await insert.ExecuteNonQueryAsync(stop.Token);
                        acknowledged.Enqueue((id, clock.Elapsed));
                        await Task.Delay(50, stop.Token);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
                {
                    // An unacknowledged write is not counted; a new connection tries the next id.
                }
            }
        });
        var mostPrimaries = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var primaries = 0;
                foreach (var connectionString in nodes.Values)
                {
                    try
                    {
                        await using var connection = new NpgsqlConnection(connectionString);
                        await connection.OpenAsync(stop.Token);
                        await using var query = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
                        primaries += (bool)(await query.ExecuteScalarAsync(stop.Token))! ? 1 : 0;
                    }
                    catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                    {
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }

                mostPrimaries = Math.Max(mostPrimaries, primaries);
                await Task.Delay(500, CancellationToken.None);
            }
        });

        // Two of three etcd members frozen: the one left has no quorum, so no key can be read or written.
        string[] frozen = ["etcd-2", "etcd-3"];
        var outageStart = TimeSpan.Zero;
        var outageEnd = TimeSpan.Zero;
        var failsafeSeen = false;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            foreach (var member in frozen)
            {
                await Docker.RunAsync("pause", cluster.ContainerIdOf(member));
            }

            outageStart = clock.Elapsed;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            // Past the ttl, where a leader without failsafe would long have demoted itself.
            while (clock.Elapsed - outageStart < TimeSpan.FromSeconds(35))
            {
                try
                {
                    var metrics = await cluster.Patroni.GetMetricsAsync(cluster.PatroniUrls[leader], default);
                    failsafeSeen |= metrics.Split('\n').Any(l => l.StartsWith("patroni_failsafe_mode_is_active{", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
                }
                catch (HaStack.Patroni.PatroniApiException)
                {
                    // The leader's REST API may be slow while etcd is frozen: try again next second.
                }

                await Task.Delay(1000);
            }

            var etcdHealth = await http.GetAsync(new Uri(cluster.GetEndpoint("etcd-1", "metrics"), "/health"));
            Assert.NotEqual(HttpStatusCode.OK, etcdHealth.StatusCode);
            outageEnd = clock.Elapsed;
        }
        finally
        {
            foreach (var member in frozen)
            {
                await Docker.TryRunAsync("unpause", cluster.ContainerIdOf(member));
            }
        }

        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        await Task.Delay(2000);
        await stop.CancelAsync();
        await Task.WhenAll(writer, sampler);

        var acks = acknowledged.ToArray();
        var duringOutage = acks.Where(a => a.At > outageStart && a.At < outageEnd).Select(a => a.At).ToList();
        var longestGap = duringOutage.Zip(duringOutage.Skip(1), (a, b) => b - a).DefaultIfEmpty(TimeSpan.Zero).Max();
        Assert.True(failsafeSeen, "Patroni never reported patroni_failsafe_mode_is_active 1 on the leader");
        Assert.True(duringOutage.Count > 100, $"only {duringOutage.Count} writes acknowledged during the etcd outage: the leader did not stay writable");
        Assert.True(longestGap < TimeSpan.FromSeconds(5), $"writes stalled for {longestGap.TotalSeconds:0.0} s during the etcd outage");
        Assert.Equal(1, mostPrimaries);
        // Once etcd is back, the leader key that expired during the outage is taken again, for a moment it may be
        // absent; whoever holds it then must be the leader that served throughout.
        Assert.Equal(leader, await Wait.ForAsync("a leader in the DCS again", Timeouts.Scaled(30), cluster.LeaderAsync));

        await using var check = new NpgsqlConnection(nodes[leader]);
        await check.OpenAsync();
        await using var present = new NpgsqlCommand("SELECT id FROM failsafe_writes WHERE id = ANY($1)", check);
        present.Parameters.Add(new() { Value = acks.Select(a => a.Id).ToArray() });
        var found = new HashSet<long>();
        await using (var reader = await present.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                found.Add(reader.GetInt64(0));
            }
        }

        var lost = acks.Select(a => a.Id).Where(id => !found.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost: {string.Join(' ', lost.Take(10))}");
    }
}
