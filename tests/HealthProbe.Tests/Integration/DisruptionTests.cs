using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace HealthProbe.Tests.Integration;

/// <summary>
/// The probe while the cluster is disturbed on purpose: replay paused under writes, a replica stopped, a switchover.
/// Each test starts from and returns to a Healthy verdict, so they can share one cluster.
/// </summary>
public class DisruptionTests(ProbeDisruptionCluster cluster, ITestOutputHelper output) : IClassFixture<ProbeDisruptionCluster>
{
    [Fact]
    public async Task ReplayPausedUnderWritesTurnsDegradedThenUnhealthyAndHealthyAgainAfterResume()
    {
        var status = await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(60));
        var leader = ProbeApi.Leader(status)!;
        var replica = cluster.NodeNames.First(n => n != leader);
        await using var writer = new Writer(await cluster.GetConnectionStringAsync(leader));
        await using var replicaConnection = new NpgsqlConnection(await cluster.GetConnectionStringAsync(replica));
        await replicaConnection.OpenAsync();
        // Patroni 3.0 resumes a paused replay on PostgreSQL 14+ in every HA loop (handle_parameter_change) unless
        // the cluster is in maintenance mode: pause Patroni first, as an operator would.
        await cluster.SetMaintenanceModeAsync(true);
        try
        {
            await cluster.Probe.WaitForAsync("the probe sees maintenance mode", Timeouts.Scaled(10), s => s.GetProperty("maintenanceMode").GetBoolean());
            await ExecuteAsync(replicaConnection, "SELECT pg_wal_replay_pause()");
            var paused = Stopwatch.StartNew();

            var degraded = await cluster.Probe.WaitForAsync($"Degraded with {replica}'s replay paused", Timeouts.Scaled(10),
                s => ProbeApi.Verdict(s) == "Degraded" && ProbeApi.Reasons(s).Contains($"{replica}: WAL replay is paused", StringComparison.Ordinal));
            output.WriteLine($"Degraded after {paused.Elapsed.TotalSeconds:0.0} s: {ProbeApi.Reasons(degraded)}");
            // Lagging but not yet critical: with the critical threshold out of reach the CLI says degraded (1).
            var cliDegraded = await ProbeCli.CheckAsync("--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!, "--dsn", await cluster.DsnAsync(), "--lag-critical", "3600");
            Assert.True(cliDegraded.ExitCode == 1, cliDegraded.Stdout + cliDegraded.Stderr);

            var unhealthy = await cluster.Probe.WaitForAsync($"{replica}'s replay lag crosses 10 s: Unhealthy", Timeouts.Scaled(30),
                s => ProbeApi.Verdict(s) == "Unhealthy" && ProbeApi.Reasons(s).Contains($"{replica}: replay lag", StringComparison.Ordinal));
            output.WriteLine($"Unhealthy after {paused.Elapsed.TotalSeconds:0.0} s: {ProbeApi.Reasons(unhealthy)}");
            Assert.True(paused.Elapsed >= TimeSpan.FromSeconds(10), "Unhealthy before the lag could reach 10 s");
            Assert.True(ProbeApi.Member(unhealthy, replica).GetProperty("lagSeconds").GetDouble() >= 10);
            var cliUnhealthy = await ProbeCli.CheckAsync("--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!, "--dsn", await cluster.DsnAsync());
            Assert.True(cliUnhealthy.ExitCode == 2, cliUnhealthy.Stdout + cliUnhealthy.Stderr);
            Assert.Contains("✗", cliUnhealthy.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await ExecuteAsync(replicaConnection, "SELECT pg_wal_replay_resume()");
            await cluster.SetMaintenanceModeAsync(false);
        }

        await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(30));
        Assert.True(writer.Written > 0);
    }

    [Fact]
    public async Task StoppedReplicaIsReportedWithinFiveSecondsAndHealthyAgainAfterItReturns()
    {
        var status = await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(60));
        var replica = cluster.NodeNames.First(n => n != ProbeApi.Leader(status));
        var container = cluster.ContainerOf(replica);
        try
        {
            // SIGKILL: the replica is gone the moment docker returns, so the clock measures the probe alone.
            await ProbeCluster.DockerAsync("kill", container);
            var stopped = Stopwatch.StartNew();
            var reported = await cluster.Probe.WaitForAsync($"the probe reports {replica} lost", Timeouts.Scaled(30),
                s => ProbeApi.Verdict(s) != "Healthy" && ProbeApi.Reasons(s).Contains($"{replica} unreachable", StringComparison.Ordinal));
            var detectedAfter = stopped.Elapsed;
            output.WriteLine($"reported {detectedAfter.TotalSeconds:0.0} s after the kill: {ProbeApi.Reasons(reported)}");
            Assert.True(detectedAfter < TimeSpan.FromSeconds(5), $"reported {detectedAfter.TotalSeconds:0.0} s after the replica died");
            Assert.False(reported.GetProperty("failoverReadiness").GetProperty("ready").GetBoolean());

            var cli = await ProbeCli.CheckAsync("--patroni", cluster.PatroniUrlList, "--cacert", cluster.RootCertificatePath!, "--dsn", await cluster.DsnAsync());
            Assert.True(cli.ExitCode is 1 or 2, cli.Stdout + cli.Stderr);
            Assert.Contains(" unreachable: ", cli.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await ProbeCluster.DockerAsync("start", container);
        }

        await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Rejoin);
    }

    [Fact]
    public async Task ProbeReportsTheNewLeaderWithinThreeSecondsOfASwitchover()
    {
        var status = await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Scaled(60));
        var leader = ProbeApi.Leader(status)!;
        var candidate = cluster.NodeNames.First(n => n != leader);

        // One clock for both: when Patroni's /cluster first names the candidate leader, and when the probe does.
        var clock = Stopwatch.StartNew();
        var switchover = cluster.Patroni.SwitchoverAsync(leader, candidate, default);
        TimeSpan? patroniAt = null, probeAt = null;
        await Wait.UntilAsync($"Patroni and the probe both name {candidate} the leader", Timeouts.Switchover, async ct =>
        {
            patroniAt ??= (await cluster.Patroni.GetClusterAsync(ct)).Leader?.Name == candidate ? clock.Elapsed : null;
            probeAt ??= ProbeApi.Leader(await cluster.Probe.StatusAsync(ct)) == candidate ? clock.Elapsed : null;
            return patroniAt is not null && probeAt is not null;
        }, TimeSpan.FromMilliseconds(100));
        await switchover;
        var lag = probeAt!.Value - patroniAt!.Value;
        output.WriteLine($"Patroni named {candidate} leader at {patroniAt.Value.TotalSeconds:0.00} s, the probe at {probeAt.Value.TotalSeconds:0.00} s");

        Assert.True(lag <= TimeSpan.FromSeconds(3), $"the probe reported the new leader {lag.TotalSeconds:0.0} s after Patroni did");
        await cluster.Probe.WaitForVerdictAsync("Healthy", Timeouts.Rejoin);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Ten small transactions a second on the leader until disposed: WAL for a paused replica to fall behind on.</summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Writer(string connectionString)
        {
            _loop = Task.Run(async () =>
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(_stop.Token);
                await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS probe_writes (at timestamptz DEFAULT now(), note text)");
                while (!_stop.IsCancellationRequested)
                {
                    await ExecuteAsync(connection, "INSERT INTO probe_writes (note) VALUES ('lag')");
                    Written++;
                    await Task.Delay(100, _stop.Token);
                }
            });
        }

        public int Written { get; private set; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose.
            }

            _stop.Dispose();
        }
    }
}
