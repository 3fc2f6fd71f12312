using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;
using HaStack.FailoverDrill.Soak;

namespace FailoverDrill.Tests.Integration;

/// <summary>A short chaos soak through the command line, as an operator runs it (the long ones are in bench/).</summary>
[Collection(DrillCollection.Name)]
public class ChaosSoakTests(DrillCluster cluster)
{
    [Fact]
    public async Task ShortChaosSoakRunsTheSeedsFaultsInOrderUnderContinuousWritesAndTheSetCheckerFindsNothingLost()
    {
        await cluster.WaitUntilReadyForDrillAsync();
        const int seed = 20261202;

        var (exitCode, soak, stderr) = await RunSoakAsync(seed, "40s");

        Assert.True(soak.Outcome == DrillOutcome.Passed, $"soak {soak.Outcome}: {soak.Reason}\n{soak.ToTable()}\n{stderr}");
        Assert.Equal(DrillCommandLine.ExitPassed, exitCode);
        Assert.Equal(seed, soak.Seed);
        // Every kind can be drawn with these options, and the faults are the seed's, in its order.
        Assert.Equal(Enum.GetValues<DrillKind>(), soak.Kinds);
        Assert.NotEmpty(soak.Faults);
        Assert.Equal(ChaosSoak.Sequence(seed, soak.Kinds).Take(soak.Faults.Count), soak.Faults.Select(f => f.Report.Kind));
        Assert.True(soak.DurationSeconds >= 40, $"the soak stopped after {soak.DurationSeconds} s");
        // One set checker over the whole run, and each fault judged on its window.
        var check = soak.Check!;
        Assert.True(check.Acknowledged > 500, $"only {check.Acknowledged} writes acknowledged");
        Assert.Empty(check.Lost);
        Assert.Empty(check.Duplicates);
        Assert.Equal(check.Acknowledged, soak.Faults.Sum(f => f.Report.Check!.Acknowledged));
        Assert.All(soak.Faults, f =>
        {
            Assert.True(f.Report.Outcome == DrillOutcome.Passed, $"fault {f.Index} ({DrillKinds.Name(f.Report.Kind)}): {f.Report.Reason}");
            Assert.Equal(0, f.Lost);
            Assert.Equal(0, f.SplitBrainSeconds);
        });
        Assert.Equal(0, soak.SplitBrain!.LongestSeconds);
        Assert.Contains("set checker", soak.ToTable());
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task ChaosSoakThroughTheServiceIsRecordedInPrometheusAndEveryQueryOfTheDrillsDashboardReturnsData()
    {
        await cluster.WaitUntilReadyForDrillAsync();
        using var http = await cluster.CreateControlClientAsync();
        http.Timeout = Timeouts.Scaled(420);

        using (var bad = await http.PostAsync("/soaks/chaos?duration=2d", content: null))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("duration is '2d'", await bad.Content.ReadAsStringAsync());
        }

        using var response = await http.PostAsync("/soaks/chaos?duration=20s&seed=7&wait=true", content: null);
        var soak = (await response.Content.ReadFromJsonAsync<SoakReport>(DrillReport.JsonOptions))!;

        Assert.True(soak.Outcome == DrillOutcome.Passed, $"soak {soak.Outcome}: {soak.Reason}\n{soak.ToTable()}");
        Assert.Equal(7, soak.Seed);
        Assert.NotEmpty(soak.Faults);
        Assert.Equal(0, soak.LostWrites);
        var last = (await http.GetFromJsonAsync<SoakReport>("/soaks/last", DrillReport.JsonOptions))!;
        Assert.Equal(soak.RunId, last.RunId);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);

        using var metricsClient = new HttpClient { BaseAddress = cluster.GetEndpoint("failoverdrill", "metrics") };
        var metrics = await metricsClient.GetStringAsync("/metrics");
        foreach (var name in new[] { "hastack_soak_runs_total{", "hastack_soak_faults_total{", "hastack_soak_lost_writes_total", "hastack_drill_split_brain_seconds_total{", "hastack_drill_last_write_gap_seconds{" })
        {
            Assert.Contains(name, metrics);
        }

        // Drills ran before in this collection or as the soak's faults: every panel, drills and soaks, has data.
        await GrafanaDashboard.AssertEveryQueryReturnsDataAsync("hastack-drills.json", cluster.GetEndpoint("prometheus", "http"), Timeouts.ScrapesUp);
    }

    private async Task<(int ExitCode, SoakReport Soak, string Stderr)> RunSoakAsync(int seed, string duration)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["HASTACK_PATRONI_PASSWORD"] = await cluster.GetParameterAsync("pg-rest-password");
        var containers = cluster.Containers.Concat(cluster.EtcdContainers).Select(kv => $"{kv.Key}={kv.Value}");
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "FailoverDrill.dll"), "run", "--kind", "chaos",
                     "--duration", duration, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!,
                     "--dsn", await cluster.GetConnectionStringAsync("app"),
                     "--direct-dsn", await cluster.GetConnectionStringAsync("pg"),
                     "--kill-command", "docker kill {container}", "--start-command", "docker start {container}",
                     "--containers", string.Join(',', containers),
                     "--fault-image", cluster.NodeImage,
                     "--etcd", string.Join(',', cluster.EtcdMetricsUrls.Select(kv => $"{kv.Key}={kv.Value}")),
                     "--json",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeouts.Scaled(420));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout;
        Assert.True(process.ExitCode is DrillCommandLine.ExitPassed or DrillCommandLine.ExitFailed, $"CLI exited {process.ExitCode}: {await stderr}\n{output}");
        return (process.ExitCode, JsonSerializer.Deserialize<SoakReport>(output, DrillReport.JsonOptions)!, await stderr);
    }
}
