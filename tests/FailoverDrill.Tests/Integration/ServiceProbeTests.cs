using FailoverDrill.Tests.Service;
using HaStack.FailoverDrill.Drills;
using Microsoft.Extensions.Logging.Abstractions;

namespace FailoverDrill.Tests.Integration;

/// <summary>
/// The drill's service path against a stand-in service of the test project (<see cref="OrdersDouble"/>), the drill run
/// in this process on a cluster of their own: a service that is down, fails, or stores its rows where the drill does not
/// look is refused before anything is touched; a service that acknowledges writes it never stored fails the drill,
/// which lists exactly those writes.
/// </summary>
public class ServiceProbeTests(ServiceCluster cluster) : IClassFixture<ServiceCluster>
{
    [Fact]
    public async Task AServiceThatAcknowledgesWritesItNeverStoredFailsTheDrillWhichListsExactlyThose()
    {
        await using var service = await OrdersDouble.StartAsync(await cluster.GetConnectionStringAsync("pg"), OrdersDoubleMode.LiesEveryTenth);

        var report = await RunAsync(DrillKind.Switchover, ServiceOf(service.BaseUrl));

        Assert.Equal(DrillOutcome.Failed, report.Outcome);
        var measured = Assert.IsType<ServiceReport>(report.Service);
        // The double's own record of its lies is the witness: each is listed as lost, and nothing else is.
        var lied = service.AcknowledgedNotStored.ToHashSet();
        Assert.NotEmpty(lied);
        Assert.Equal(lied.Order(), measured.Lost.Select(l => l.Split(" key ")[1].Split(' ')[0]).Order());
        Assert.Equal(lied.Count, report.Paths.Single(p => p.Path == "service").Lost);
        Assert.True(measured.Sent >= measured.Acknowledged && measured.Acknowledged > lied.Count, $"sent {measured.Sent}, acknowledged {measured.Acknowledged}");
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task AServiceAnswering500BeforeTheDrillRefusesItWithThatAnswerAndTouchesNothing()
    {
        await using var service = await OrdersDouble.StartAsync(await cluster.GetConnectionStringAsync("pg"), OrdersDoubleMode.FailsWith500);
        var leader = await cluster.LeaderAsync(default);

        var report = await RunAsync(DrillKind.Crash, ServiceOf(service.BaseUrl));

        Assert.Equal(DrillOutcome.Refused, report.Outcome);
        Assert.Contains("POST /orders answered 500", report.Reason);
        Assert.Equal(leader, await cluster.LeaderAsync(default));
    }

    [Fact]
    public async Task AServiceThatIsDownOrStoresWhereTheDrillDoesNotLookIsRefusedWithTheReason()
    {
        var unused = Ports.Unused();
        var down = await RunAsync(DrillKind.Crash, ServiceOf(new Uri($"http://127.0.0.1:{unused}")));
        Assert.Equal(DrillOutcome.Refused, down.Outcome);
        Assert.Contains("does not answer POST /orders", down.Reason);

        await using var service = await OrdersDouble.StartAsync(await cluster.GetConnectionStringAsync("pg"), OrdersDoubleMode.Honest);
        var elsewhere = await RunAsync(DrillKind.Crash, ServiceOf(service.BaseUrl, table: "no_such_orders"));
        Assert.Equal(DrillOutcome.Refused, elsewhere.Outcome);
        Assert.Contains("cannot look up the service's writes in no_such_orders.request_id", elsewhere.Reason);
    }

    [Fact]
    public async Task AChaosSoakCarriesTheServicePathAndItsCallersWereToldExactlyWhatTheServiceSaysItAnswered()
    {
        await using var service = await OrdersDouble.StartAsync(await cluster.GetConnectionStringAsync("pg"), OrdersDoubleMode.Honest);
        var (target, http) = await TargetAsync(ServiceOf(service.BaseUrl));
        using (http)
        using (var cts = new CancellationTokenSource(DrillCluster.DrillTimeout))
        {
            var soak = await new HaStack.FailoverDrill.Soak.ChaosSoak(target, new DrillSettings(), metrics: null, NullLogger.Instance, http)
                .RunAsync(TimeSpan.FromSeconds(15), seed: 3, cts.Token);

            Assert.True(soak.Outcome == DrillOutcome.Passed, soak.ToTable());
            var measured = Assert.IsType<ServiceReport>(soak.Service);
            Assert.Empty(measured.Lost);
            Assert.True(measured.Acknowledged > 0, soak.ToTable());
            // The service's own count of 201 answers: every one the soak's callers received, plus the precondition's,
            // plus at most the callers' unknown outcomes (a 201 sent after the caller had given up on it, mid-fault).
            Assert.True(service.Acknowledged >= measured.Acknowledged + 1 && service.Acknowledged <= measured.Acknowledged + 1 + measured.Unknown,
                $"the service answered 201 {service.Acknowledged} times; its callers counted {measured.Acknowledged} acknowledged (+1 precondition) and {measured.Unknown} unknown\n{soak.ToTable()}");
            Assert.All(soak.Faults, f => Assert.Contains(f.Report.Paths, p => p.Path == "service"));
        }

        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    [Fact]
    public async Task WatchKillsTheServicesDatabaseStartsItAfterTheHoldAndListsExactlyTheWritesTheServiceLiedAbout()
    {
        // FailoverDrill watch, the command line a team runs against a database the drills cannot drive: here the
        // leader's container under a service that lies about every tenth write.
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
        var direct = await cluster.GetConnectionStringAsync("pg");
        await using var service = await OrdersDouble.StartAsync(direct, OrdersDoubleMode.LiesEveryTenth);
        var leader = await cluster.LeaderAsync(default);
        var container = cluster.Containers[leader!];
        var startedBefore = await StartedAtAsync(container);

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cts = new CancellationTokenSource(DrillCluster.DrillTimeout);
        var exitCode = await HaStack.FailoverDrill.Cli.DrillCommandLine.MainAsync(["watch", "--service-url", service.BaseUrl.ToString(),
            "--service-table", OrdersDouble.Table, "--service-key", "request_id", "--service-body", """{"requestId":"{key}"}""",
            "--dsn", direct, "--container", container, "--hold", "5", "--json"], stdout, stderr, cts.Token);

        var report = System.Text.Json.JsonSerializer.Deserialize<HaStack.FailoverDrill.Watch.WatchReport>(stdout.ToString(), DrillReport.JsonOptions)!;
        Assert.True(report.Outcome == DrillOutcome.Failed, $"{report.Outcome}: {report.Reason}\n{stderr}");
        Assert.Equal(HaStack.FailoverDrill.Cli.DrillCommandLine.ExitFailed, exitCode);
        Assert.Equal($"docker kill {container}", report.Kill);
        Assert.Equal($"docker start {container}", report.Start);
        // Killed and started again: Docker's own record of the container, not the report's.
        Assert.True(await StartedAtAsync(container) > startedBefore);
        // The service came back (a new leader, the double's multi-host source on it) and its callers saw it.
        Assert.NotNull(report.BackSeconds);
        var measured = Assert.IsType<ServiceReport>(report.Service);
        // The double's own record of its lies is the witness: each is listed as lost, nothing else is.
        var lied = service.AcknowledgedNotStored.ToHashSet();
        Assert.NotEmpty(lied);
        Assert.Equal(lied.Order(), measured.Lost.Select(l => l.Split(" key ")[1].Split(' ')[0]).Order());
        // The double's count of its 201 answers: every one the callers received, plus the check before the kill.
        Assert.Equal(service.Acknowledged, measured.Acknowledged + 1);
        await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
    }

    private static async Task<DateTimeOffset> StartedAtAsync(string container) =>
        DateTimeOffset.Parse((await Docker.RunAsync(["inspect", "-f", "{{.State.StartedAt}}", container])).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static ServiceTarget ServiceOf(Uri url, string table = OrdersDouble.Table) =>
        ServiceTarget.Create(url, "POST /orders", "GET /orders/{id}", table, "request_id", """{"requestId":"{key}"}""");

    /// <summary>A drill run here, on this class's cluster, as the drill service would run it, with <paramref name="service"/> measured.</summary>
    private async Task<DrillReport> RunAsync(DrillKind kind, ServiceTarget service)
    {
        var (target, http) = await TargetAsync(service);
        using (http)
        {
            using var cts = new CancellationTokenSource(DrillCluster.DrillTimeout);
            await cluster.WaitUntilHealthyAsync(Timeouts.Rejoin);
            return await new DrillRunner(target, new DrillSettings(), metrics: null, NullLogger.Instance, http).RunAsync(kind, cts.Token);
        }
    }

    /// <summary>The cluster as the drill service sees it (kill and start hooks, fencing, PgBouncer's pause), with <paramref name="service"/>.</summary>
    private async Task<(DrillTarget Target, HttpClient Http)> TargetAsync(ServiceTarget service)
    {
        var target = new DrillTarget(
            [.. cluster.PatroniUrls.Values],
            await cluster.GetConnectionStringAsync("app"),
            await cluster.GetConnectionStringAsync("pg"),
            "patroni",
            await cluster.GetParameterAsync("pg-rest-password"),
            ["docker", "kill", "{container}"],
            ["docker", "start", "{container}"],
            cluster.Containers)
        {
            FencedFailover = true,
            PgBouncerContainer = cluster.PgBouncerContainer,
            Service = service,
        };
        return (target, new HttpClient(HaStack.Patroni.StackTrust.CreateHandler(cluster.RootCertificatePath)) { Timeout = Timeout.InfiniteTimeSpan });
    }
}
