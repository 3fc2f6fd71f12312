using System.Net;
using System.Net.Http.Json;
using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Integration;

/// <summary>The test classes that share one <see cref="DrillCluster"/>.</summary>
[CollectionDefinition(Name)]
public sealed class DrillCollection : ICollectionFixture<DrillCluster>
{
    public const string Name = "drill cluster";
}

/// <summary>
/// The default stack (leader + sync standby, synchronous_mode on, fast timing, a logical failover slot) with the drill service, shared by the
/// drill tests: every test leaves it healthy for the next (each drill waits for the old leader's rejoin).
/// </summary>
public class DrillCluster : HaStackCluster
{
    /// <summary>The logical failover slot the stack keeps (test_decoding, so a test reads the changes as text).</summary>
    public const string CdcSlot = "hastack_cdc";

    /// <summary>Every drill runs where a CDC consumer would: wal_level logical, a failover slot in sync on the standbys.</summary>
    protected override IEnumerable<string> Arguments => [$"--HaStack:LogicalSlots={CdcSlot}:test_decoding"];

    /// <summary>A drill from precondition to cleanup, rejoin included.</summary>
    public static TimeSpan DrillTimeout => Timeouts.Scaled(300);

    /// <summary>
    /// Runs a drill through the service's API and waits for its report. First, unless <paramref name="ready"/> is false
    /// (a test of the refusal itself), waits until the drill's own precondition can pass: a test whose assertion failed
    /// before its cluster healed must not take the next test down with it.
    /// </summary>
    public async Task<(HttpStatusCode Status, DrillReport Report)> RunDrillAsync(string kind, string? query = null, bool ready = true)
    {
        if (ready)
        {
            await WaitUntilReadyForDrillAsync();
        }

        using var cts = new CancellationTokenSource(DrillTimeout);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("failoverdrill", cts.Token);
        using var http = await CreateControlClientAsync();
        http.Timeout = DrillTimeout;
        using var response = await http.PostAsync($"/drills/{kind}?wait=true{(query is null ? "" : "&" + query)}", content: null, cts.Token);
        var report = await response.Content.ReadFromJsonAsync<DrillReport>(DrillReport.JsonOptions, cts.Token)
                     ?? throw new InvalidOperationException("empty drill report");
        return (response.StatusCode, report);
    }

    /// <summary>A client of the drill service's control endpoint that sends the stack's control secret, as a script on the host would.</summary>
    public async Task<HttpClient> CreateControlClientAsync()
    {
        var http = new HttpClient { BaseAddress = DrillService };
        http.DefaultRequestHeaders.Authorization = new("Bearer", await GetParameterAsync("failoverdrill-control-secret"));
        return http;
    }

    /// <summary>True when Patroni shows one leader, a streaming sync standby and every replica streaming.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken ct)
    {
        var state = await Patroni.GetClusterAsync(ct);
        return state.Members.Count(m => m.IsLeader) == 1
               && state.Members.Any(m => m.Role is "sync_standby" or "quorum_standby" && m.State is "running" or "streaming")
               && await StreamingReplicaCountAsync(ct) == NodeNames.Count - 1;
    }

    /// <summary>Waits until <see cref="IsHealthyAsync"/>.</summary>
    public Task WaitUntilHealthyAsync(TimeSpan timeout) =>
        Wait.UntilAsync("one leader, a sync standby and every replica streaming", timeout, IsHealthyAsync);

    /// <summary>
    /// Waits until Patroni is healthy (<see cref="IsHealthyAsync"/>) and HealthProbe's verdict, which every drill
    /// reads in its precondition, is no longer <c>Unhealthy</c>: after a fault the verdict can trail Patroni by a cycle
    /// or two (a rejoined node's replay lag).
    /// </summary>
    public async Task WaitUntilReadyForDrillAsync()
    {
        await WaitUntilHealthyAsync(Timeouts.Rejoin);
        using var probe = new HttpClient { BaseAddress = GetEndpoint("healthprobe", "http"), Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync("HealthProbe's verdict other than Unhealthy", Timeouts.Rejoin, async ct =>
        {
            var status = await probe.GetFromJsonAsync<System.Text.Json.JsonElement>("/status", ct);
            return status.GetProperty("verdict").GetString() is { } verdict && verdict != "Unhealthy";
        });
    }

    /// <summary>
    /// Waits until every standby holds a sync-ready copy of <see cref="CdcSlot"/>. A copy stays temporary until the
    /// leader's slot has moved past the oldest WAL the standby has (its consumer confirming, then a running-transactions
    /// record), and PostgreSQL drops temporary copies at promotion: a slot no consumer reads never becomes one.
    /// With <paramref name="consume"/>, the test is the consumer (<c>pg_logical_slot_get_changes</c> on the leader);
    /// either way <c>pg_log_standby_snapshot()</c> hurries the record along, as PostgreSQL's documentation suggests.
    /// </summary>
    public async Task WaitUntilSlotSyncReadyAsync(bool consume)
    {
        await Wait.UntilAsync($"{CdcSlot} is sync-ready on every standby", Timeouts.Scaled(120), async ct =>
        {
            if (await LeaderAsync(ct) is not { } leader)
            {
                return false;
            }

            if (consume)
            {
                await ExecAsync(leader, ["psql", "-d", "app", "-Atqc", $"SELECT count(*) FROM pg_logical_slot_get_changes('{CdcSlot}', NULL, NULL)"]);
            }

            await ExecAsync(leader, ["psql", "-Atqc", "SELECT pg_log_standby_snapshot()"]);
            foreach (var standby in NodeNames.Where(n => n != leader))
            {
                var ready = await ExecAsync(standby, ["psql", "-Atqc", $"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{CdcSlot}' AND synced AND NOT temporary"]);
                if (ready.Trim() != "1")
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(1));
    }

    /// <summary>The drill service's base URL.</summary>
    public Uri DrillService => GetEndpoint("failoverdrill", "http");

    /// <summary>Aspire's own view of a node: its health check (Patroni's /health through the endpoint proxy).</summary>
    public async Task WaitUntilAspireSeesHealthyAsync(string node, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(node, cts.Token);
    }

    /// <summary>Stops (gracefully) or starts a resource through Aspire's own commands.</summary>
    public async Task ExecuteCommandAsync(string resource, string command)
    {
        using var cts = new CancellationTokenSource(Timeouts.Scaled(60));
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, command, cts.Token);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}");
        }
    }
}
