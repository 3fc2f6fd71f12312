using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace HaStack.Tests.Integration;

/// <summary>
/// HaStack as a package in someone else's AppHost: the sample outside the source tree, restored from the local feed,
/// keeps its API's acknowledged orders through a crash of the leader and answers again afterwards.
/// </summary>
public class SampleTests(SampleApp sample) : IClassFixture<SampleApp>
{
    private sealed record Order(long Id, Guid RequestId, string Customer, decimal Amount);

    [Fact]
    public async Task TheSampleRestoredFromTheLocalFeedKeepsEveryAcknowledgedOrderThroughALeaderCrashAndAnswersAgain()
    {
        var assets = await File.ReadAllTextAsync(Path.Combine(sample.Samples, "OrdersApp.AppHost", "obj", "project.assets.json"));
        Assert.Contains("\"HaStack.Hosting/0.1.0\"", assets);
        Assert.DoesNotContain("HaStack.Hosting.csproj", assets);

        var acknowledged = new List<Order>();
        for (var i = 0; i < 5; i++)
        {
            acknowledged.Add(await PostAsync($"before-{i}"));
        }

        var leader = await sample.LeaderContainerAsync() ?? throw new InvalidOperationException("no leader among " + string.Join(", ", await sample.NodeContainersAsync()));
        await Docker.RunAsync("kill", leader);

        // The API retries transient errors: an order posted now is acknowledged once a replica has taken over.
        Order? after = null;
        await Wait.UntilAsync("the API acknowledges an order after the leader's crash", Timeouts.Scaled(90), async ct =>
        {
            after = await PostAsync("after-crash");
            return true;
        }, TimeSpan.FromSeconds(1));
        acknowledged.Add(after!);
        var newLeader = await sample.LeaderContainerAsync();
        Assert.NotNull(newLeader);
        Assert.NotEqual(leader, newLeader);

        // The witness is the new leader itself, read through its own connection inside its container, not the API.
        var stored = (await Docker.RunAsync("exec", newLeader!, "psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "app", "-AtXc",
                "SELECT id || ' ' || request_id || ' ' || customer FROM orders"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        Assert.All(acknowledged, order => Assert.Contains($"{order.Id} {order.RequestId} {order.Customer}", stored));
        foreach (var order in acknowledged)
        {
            Assert.Equal(order, await sample.Api.GetFromJsonAsync<Order>($"/orders/{order.Id}", JsonSerializerOptions.Web));
        }
    }

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
