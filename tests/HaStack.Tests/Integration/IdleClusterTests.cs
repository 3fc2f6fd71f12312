using System.Net.Http.Json;
using System.Text.Json;

namespace HaStack.Tests.Integration;

/// <summary>The default stack, left alone: nothing happens to it while it is watched.</summary>
public sealed class IdleCluster : HaStackCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:Name=idletest"];
}

/// <summary>
/// A healthy idle cluster raises no alert: every rule evaluated, Alertmanager wired, and for five minutes nothing
/// fires, in Prometheus nor at the HealthProbe's receiver. It runs beside other collections (AssemblyInfo.cs): the
/// stack is idle, the machine need not be.
/// </summary>
public class IdleClusterTests(IdleCluster cluster) : IClassFixture<IdleCluster>
{
    /// <summary>How long the healthy, idle cluster is watched for alerts, from the moment it was ready.</summary>
    private static readonly TimeSpan s_idleWindow = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task NoAlertFiresOnTheHealthyIdleClusterForFiveMinutesWhileEveryRuleIsEvaluatedAndAlertmanagerIsWired()
    {
        using var prometheus = new HttpClient { BaseAddress = cluster.GetEndpoint("prometheus", "http"), Timeout = TimeSpan.FromSeconds(5) };
        async Task<JsonElement> GetAsync(string path, CancellationToken ct) =>
            (await prometheus.GetFromJsonAsync<JsonElement>(path, ct)).GetProperty("data");

        // Silence only counts if the rules run and would reach the receiver: every alert of the rules file is loaded
        // and evaluated without error, and Prometheus has found Alertmanager.
        var expected = File.ReadAllLines(Path.Combine(GrafanaDashboard.RepositoryRoot, "src", "HaStack.Hosting", "Observability", "Prometheus", "rules", "hastack.rules.yml"))
            .Select(l => l.Trim()).Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal)).Select(l => l["- alert: ".Length..]).ToHashSet();
        await Wait.UntilAsync("Prometheus evaluates every alerting rule without error", Timeouts.ScrapesUp, async ct =>
        {
            var rules = (await GetAsync("/api/v1/rules?type=alert", ct)).GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
            var failing = rules.Where(r => r.GetProperty("health").GetString() == "err")
                .Select(r => $"{r.GetProperty("name").GetString()}: {r.GetProperty("lastError").GetString()}").ToList();
            Assert.True(failing.Count == 0, $"alerting rules fail to evaluate: {string.Join("; ", failing)}");
            return rules.Select(r => r.GetProperty("name").GetString()!).ToHashSet().SetEquals(expected)
                   && rules.All(r => r.GetProperty("health").GetString() == "ok");
        });
        await Wait.UntilAsync("Prometheus sends its alerts to Alertmanager", Timeouts.ScrapesUp, async ct =>
            (await GetAsync("/api/v1/alertmanagers", ct)).GetProperty("activeAlertmanagers").GetArrayLength() == 1);

        // The window runs from the moment the stack was ready.
        var end = cluster.ReadyAt + s_idleWindow;
        while (DateTimeOffset.UtcNow < end)
        {
            var firing = (await GetAsync("/api/v1/alerts", default)).GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("state").GetString() == "firing").Select(a => a.GetProperty("labels").ToString()).ToList();
            Assert.True(firing.Count == 0, $"alerts fire on a healthy idle cluster: {string.Join("; ", firing)}");
            var received = await cluster.ReceivedAlertsAsync();
            Assert.True(received.Count == 0, $"the receiver got alerts on a healthy idle cluster: {string.Join("; ", received)}");
            await Task.Delay(TimeSpan.FromSeconds(10));
        }

        // Between the polls too: Prometheus' own record of every alert that fired in the window.
        var window = (int)Math.Ceiling((DateTimeOffset.UtcNow - cluster.ReadyAt).TotalSeconds);
        var fired = (await GetAsync("/api/v1/query?query=" + Uri.EscapeDataString($"max_over_time(ALERTS{{alertstate=\"firing\"}}[{window}s])"), default))
            .GetProperty("result").EnumerateArray().Select(r => r.GetProperty("metric").ToString()).ToList();
        Assert.True(fired.Count == 0, $"alerts fired within {window} s of a healthy idle cluster: {string.Join("; ", fired)}");
        Assert.Empty(await cluster.ReceivedAlertsAsync());

        // And the cluster was indeed healthy: the probe says so.
        using var probe = new HttpClient { BaseAddress = cluster.GetEndpoint("healthprobe", "http"), Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync("the HealthProbe reports Healthy", Timeouts.Scaled(30), async ct =>
            (await probe.GetFromJsonAsync<JsonElement>("/status", ct)).GetProperty("verdict").GetString() == "Healthy");
    }
}
