using System.Net.Http.Json;
using System.Text.Json;

namespace HaStack.Tests.Integration;

/// <summary>
/// The baseline: the sample's API on Aspire's single-node <c>AddPostgres</c>, measured by <c>FailoverDrill watch</c>
/// (the drills' callers and lookup) while its database container is killed and started again after a hold.
/// </summary>
[Collection(SampleApp.Collection)]
public class PostgresSampleTests(PostgresSampleApp sample) : IClassFixture<PostgresSampleApp>
{
    private const int Hold = 5;

    [Fact]
    public async Task WatchSeesTheApiWaitOutTheKilledDatabaseAndEveryAcknowledgedOrderIsStillThere()
    {
        var startedBefore = await StartedAtAsync();

        // The test's own clients of the API, beside the watch's: what they were told is checked in the table below.
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var requestId = Guid.NewGuid();
                try
                {
                    using var response = await sample.Api.PostAsJsonAsync("/orders", new { customer = "test-writer", amount = 1, requestId });
                    if (response.IsSuccessStatusCode)
                    {
                        acknowledged.Add(requestId);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(200);
                }
            }
        })).ToList();

        var drill = Path.Combine(SampleApp.Repository, "FailoverDrill", "bin", "Debug", "net10.0", "FailoverDrill.dll");
        var watch = await CommandRunner.RunAsync("dotnet", [drill, "watch", "--service-url", SampleApp.ApiUrl.ToString(), "--service-table", "orders",
            "--service-key", "request_id", "--service-body", """{"customer":"hastack-watch","amount":1,"requestId":"{key}"}""",
            "--dsn", sample.ConnectionString, "--container", PostgresSampleApp.Container, "--hold", Hold.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"],
            Timeouts.Scaled(300));
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        using var report = JsonDocument.Parse(watch.Stdout);
        var root = report.RootElement;
        Assert.True(watch.ExitCode == 0, $"watch exited with {watch.ExitCode}: {watch.Stdout}{watch.Stderr}");
        Assert.Equal("passed", root.GetProperty("outcome").GetString());
        Assert.Equal($"docker kill {PostgresSampleApp.Container}", root.GetProperty("kill").GetString());
        // Killed and started again: Docker's own record of the container, not the report's.
        Assert.True(await StartedAtAsync() > startedBefore);
        // The API could not take an order while its only database was down: the outage the watch saw spans the hold.
        var back = root.GetProperty("backSeconds").GetDouble();
        Assert.True(back >= Hold, $"the service was back {back} s after the kill, within the {Hold} s hold");
        var service = root.GetProperty("service");
        Assert.Equal(0, service.GetProperty("lost").GetArrayLength());
        Assert.True(service.GetProperty("acknowledged").GetInt32() > 10, service.ToString());

        // The witness: every order the test's own clients were told was taken is in the single node's table.
        Assert.True(acknowledged.Count > 10, $"the API acknowledged only {acknowledged.Count} of the test's orders");
        var stored = (await Docker.RunAsync("exec", "-e", $"PGPASSWORD={sample.Password}", PostgresSampleApp.Container, "psql", "-h", "localhost", "-U", "postgres",
                "-d", "app", "-AtXc", "SELECT request_id FROM orders WHERE customer = 'test-writer'"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Guid.Parse).ToHashSet();
        var missing = acknowledged.Where(id => !stored.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"acknowledged but not stored: {string.Join(", ", missing)}");
    }

    private static async Task<DateTimeOffset> StartedAtAsync() =>
        DateTimeOffset.Parse((await Docker.RunAsync("inspect", "-f", "{{.State.StartedAt}}", PostgresSampleApp.Container)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
