using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HaStack.Tests.Integration;

/// <summary>
/// HaStack as a package in someone else's AppHost: the sample outside the source tree, restored from the local feed,
/// runs a crash drill from its FailoverDrill add-on, keeps every order its API acknowledged meanwhile, and answers
/// again afterwards.
/// </summary>
[Collection(SampleApp.Collection)]
public class SampleTests(SampleApp sample) : IClassFixture<SampleApp>
{
    private sealed record Order(long Id, Guid RequestId, string Customer, decimal Amount);

    [Fact]
    public async Task ACrashDrillFromTheAddOnKeepsEveryOrderTheApiAcknowledgedAndTheApiAnswersAgain()
    {
        var assets = await File.ReadAllTextAsync(Path.Combine(sample.Samples, "OrdersApp.AppHost", "obj", "project.assets.json"));
        Assert.Contains("\"HaStack.Hosting/0.1.0\"", assets);
        Assert.DoesNotContain("HaStack.Hosting.csproj", assets);
        Assert.DoesNotContain("HealthProbe.csproj", assets);
        Assert.DoesNotContain("FailoverDrill.csproj", assets);

        var leader = await sample.LeaderContainerAsync() ?? throw new InvalidOperationException("no leader among " + string.Join(", ", await sample.NodeContainersAsync()));

        // Two clients of the API write orders throughout the drill; what the API acknowledged is what they were told.
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<Order>();
        var failed = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    acknowledged.Add(await PostAsync($"writer{w}-{i}"));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
                {
                    Interlocked.Increment(ref failed);
                    await Task.Delay(200);
                }
            }
        })).ToList();

        using var report = await sample.RunDrillAsync("crash");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        // The drill's report is a claim: it passed, a new leader took over.
        var root = report.RootElement;
        Assert.True(root.GetProperty("outcome").GetString() == "passed", $"the crash drill did not pass: {root}");
        var oldLeader = root.GetProperty("oldLeader").GetString();
        var newLeader = root.GetProperty("newLeader").GetString();
        Assert.EndsWith($"-{oldLeader}", leader);
        Assert.NotEqual(oldLeader, newLeader);
        Assert.True(acknowledged.Count > 10, $"the API acknowledged only {acknowledged.Count} orders ({failed} failed)");
        // The drill measured the API too (its service path): the orders it was told were taken are in the table.
        var service = root.GetProperty("service");
        Assert.True(service.GetProperty("acknowledged").GetInt32() > 0, $"the drill's service path acknowledged nothing: {service}");
        Assert.Equal(0, service.GetProperty("lost").GetArrayLength());

        // The witness is each node itself, read through its own connection inside its container, not the API and
        // not the drill: every order the API acknowledged is there, on the new leader and on the rejoined old one.
        foreach (var node in await sample.NodeContainersAsync())
        {
            HashSet<string> stored = [];
            await Wait.UntilAsync($"{node} stores every acknowledged order", Timeouts.Rejoin, async ct =>
            {
                stored = await SampleApp.StoredOrdersAsync(node);
                return acknowledged.All(o => stored.Contains($"{o.Id} {o.RequestId} {o.Customer}"));
            }, TimeSpan.FromSeconds(1));
        }

        // And the API answers again: a new order, and each acknowledged one read back.
        var after = await PostAsync("after-drill");
        foreach (var order in acknowledged.Append(after))
        {
            Assert.Equal(order, await sample.Api.GetFromJsonAsync<Order>($"/orders/{order.Id}", JsonSerializerOptions.Web));
        }
    }

    [Fact]
    public async Task APausedSwitchoverCostsTheApiWithRetriesNoFailedNoUnknownAndNoLostOrder()
    {
        var leader = await sample.LeaderContainerAsync() ?? throw new InvalidOperationException("no leader");
        var before = await DrillOrdersAsync(leader);

        using var report = await sample.RunDrillAsync("switchover");

        var root = report.RootElement;
        Assert.True(root.GetProperty("outcome").GetString() == "passed", $"the switchover drill did not pass: {root}");
        var service = root.GetProperty("service");
        Assert.True(service.GetProperty("failed").EnumerateObject().Count() == 0, $"the API failed requests: {service}");
        Assert.Equal(0, service.GetProperty("unknown").GetInt32());
        Assert.Equal(0, service.GetProperty("lost").GetArrayLength());
        var sent = service.GetProperty("sent").GetInt32();
        Assert.Equal(sent, service.GetProperty("acknowledged").GetInt32());

        // The report is a claim: the new leader's own table holds one order per request the drill sent, plus the one
        // its precondition wrote, and nothing else of the drill's.
        var newLeader = await sample.LeaderContainerAsync() ?? throw new InvalidOperationException("no leader after the switchover");
        Assert.NotEqual(leader, newLeader);
        Assert.Equal(before + sent + 1, await DrillOrdersAsync(newLeader));
    }

    /// <summary>The orders the drill's service path placed (its body names the customer <c>hastack-drill</c>), counted in a node's own table.</summary>
    private static async Task<int> DrillOrdersAsync(string container) =>
        int.Parse((await Docker.RunAsync("exec", container, "psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "app", "-AtXc",
            "SELECT count(*) FROM orders WHERE customer = 'hastack-drill'")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task TheSamplesManifestNamesEveryNodeWithNoBindMountAndNoPathOfThisMachine()
    {
        var output = Path.Combine(sample.Root, "manifest");
        var publish = await CommandRunner.RunAsync("dotnet", [sample.AppHostDll, "--publisher", "manifest", "--output-path", Path.Combine(output, "aspire-manifest.json")], Timeouts.Scaled(120));
        Assert.True(publish.ExitCode == 0, publish.Stdout + publish.Stderr);

        var text = await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json"));
        using var manifest = JsonDocument.Parse(text);
        var resources = manifest.RootElement.GetProperty("resources");
        foreach (var name in new[] { "etcd-1", "etcd-2", "etcd-3", "db-1", "db-2", "db-router", "db-pooler", "app", "app-ro", "api" })
        {
            Assert.True(resources.TryGetProperty(name, out _), $"the manifest has no '{name}'");
        }

        Assert.DoesNotContain("bindMounts", text);
        Assert.DoesNotContain(sample.Root, text);
        Assert.DoesNotContain(Path.GetTempPath(), text);
        Assert.DoesNotContain("Root Certificate", text);
        Assert.True(File.Exists(Path.Combine(output, "hastack-build-contexts", "patroni", "Dockerfile")));
    }

    private async Task<Order> PostAsync(string customer)
    {
        var requestId = Guid.NewGuid();
        using var response = await sample.Api.PostAsJsonAsync("/orders", new { customer, amount = 12.5m, requestId });
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /orders answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var order = await response.Content.ReadFromJsonAsync<Order>(JsonSerializerOptions.Web);
        Assert.Equal((requestId, customer), (order!.RequestId, order.Customer));
        return order;
    }
}
