using Npgsql;

namespace HaStack.Tests.Integration;

/// <summary>A cluster of its own: the switchover moves the leader for good.</summary>
public sealed class SwitchoverCluster : HaStackCluster;

public class SwitchoverTests(SwitchoverCluster cluster) : IClassFixture<SwitchoverCluster>
{
    [Fact]
    public async Task SwitchoverMovesTheLeaderAndWritesFollowWhileTheOldLeaderStreamsAgain()
    {
        var oldLeader = await cluster.LeaderAsync(default) ?? throw new InvalidOperationException("no leader");
        var candidate = cluster.NodeNames.First(n => n != oldLeader);
        await DashboardShowsRoleAsync(oldLeader, "leader");

        // Patroni answers the POST only once the switchover is done: the clock starts before it.
        var switched = System.Diagnostics.Stopwatch.StartNew();
        await cluster.Patroni.SwitchoverAsync(oldLeader, candidate, default);

        await Wait.UntilAsync($"{candidate} is the leader", Timeouts.Switchover, async ct => await cluster.LeaderAsync(ct) == candidate);
        var appConnectionString = await cluster.GetConnectionStringAsync("app");
        await Wait.UntilAsync("a write through app lands on the new leader", Timeouts.Switchover, async ct =>
        {
            await using var connection = new NpgsqlConnection(appConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS switchover_probe (at timestamptz); INSERT INTO switchover_probe VALUES (now()); SELECT inet_server_addr()::text", connection);
            var serverAddress = (string?)await command.ExecuteScalarAsync(ct);
            return serverAddress is not null;
        }, TimeSpan.FromMilliseconds(100));
        Assert.True(switched.Elapsed < TimeSpan.FromSeconds(10), $"writes reached the new leader only after {switched.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(await ServerAddressAsync(candidate), await ServerAddressAsync("app"));
        Assert.EndsWith(":false", await ServerAddressAsync(candidate));

        await Wait.UntilAsync($"{oldLeader} streams again as a replica", Timeouts.Rejoin, async ct =>
        {
            var state = await cluster.Patroni.GetClusterAsync(ct);
            return state.Members.Any(m => m.Name == oldLeader && !m.IsLeader && m.State is "running" or "streaming")
                   && await cluster.StreamingReplicaCountAsync(ct) == cluster.NodeNames.Count - 1;
        });
        await DashboardShowsRoleAsync(candidate, "leader");
        await DashboardShowsRoleAsync(oldLeader, "sync standby");
    }

    /// <summary>Which node the read-write path lands on, asked of PostgreSQL itself: its address on the container network.</summary>
    private async Task<string> ServerAddressAsync(string resource) =>
        await cluster.QueryAsync<string>(resource, "SELECT host(inet_server_addr()) || ':' || pg_is_in_recovery()::text");

    private async Task DashboardShowsRoleAsync(string node, string role)
    {
        using var cts = new CancellationTokenSource(Timeouts.Scaled(10));
        await cluster.App.ResourceNotifications.WaitForResourceAsync(node,
            e => e.Snapshot.Properties.Any(p => p.Name == "patroni.role" && Equals(p.Value, role)), cts.Token);
    }
}
