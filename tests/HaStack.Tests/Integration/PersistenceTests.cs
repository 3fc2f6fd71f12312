using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HaStack.Tests.Integration;

/// <summary>With persistence on, a restarted AppHost finds its data and can still log in to it.</summary>
public class PersistenceTests
{
    [Fact]
    public async Task RowWrittenBeforeAnAppHostRestartIsReadAfterItAndOlderServiceRolesAreBroughtUpToDate()
    {
        // A stack name of its own: its volumes never touch a developer's "hastack" data, and are removed below.
        var name = "hastack-test-" + Guid.NewGuid().ToString("N")[..8];
        string[] args = ["--HaStack:Persistent=true", $"--HaStack:Name={name}", "--HaStack:EtcdMembers=1"];
        var marker = Guid.NewGuid().ToString("N");
        try
        {
            await using (var first = new ConfiguredCluster(args))
            {
                await first.InitializeAsync();
                await first.QueryAsync<int>("app", $"CREATE TABLE survivors (marker text); INSERT INTO survivors VALUES ('{marker}'); SELECT 1");
                // Roles as an older HaStack left them: app outside pgbouncer_clients, no usable monitoring role, and
                // pg_monitor on PgBouncer's auth user. The restarted primary must bring them up to date.
                var leader = await first.LeaderAsync(default) ?? throw new InvalidOperationException("no leader");
                await first.QueryAsync<int>(leader, "REVOKE pgbouncer_clients FROM app; ALTER ROLE hastack_monitor NOLOGIN PASSWORD NULL; " +
                                                    "REVOKE pg_monitor FROM hastack_monitor; GRANT pg_monitor TO pgbouncer_auth; SELECT 1");
            }

            Assert.NotEmpty(await VolumesAsync(name));

            await using var second = new ConfiguredCluster(args);
            await second.InitializeAsync();
            Assert.Equal(1L, await second.QueryAsync<long>("app", $"SELECT count(*) FROM survivors WHERE marker = '{marker}'"));
            var newLeader = await second.LeaderAsync(default) ?? throw new InvalidOperationException("no leader");
            Assert.True(await second.QueryAsync<bool>(newLeader,
                "SELECT pg_has_role('app', 'pgbouncer_clients', 'MEMBER') AND pg_has_role('hastack_monitor', 'pg_monitor', 'MEMBER') " +
                "AND (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'hastack_monitor') AND NOT pg_has_role('pgbouncer_auth', 'pg_monitor', 'MEMBER')"),
                "the restarted primary did not bring the service roles up to date");
            await Wait.UntilAsync("the row is on the replica too", Timeouts.Scaled(10), async ct =>
                await second.QueryAsync<long>("app-ro", $"SELECT count(*) FROM survivors WHERE marker = '{marker}'", ct) == 1);
        }
        finally
        {
            foreach (var volume in await VolumesAsync(name))
            {
                await Docker.RunAsync("volume", "rm", "-f", volume);
            }
        }

        Assert.Empty(await VolumesAsync(name));
    }

    [Fact]
    public async Task DataOfAnotherPostgresMajorVersionIsRefusedWithTheSettingAndTheVolumeAndLeftUntouched()
    {
        var name = "hastack-test-" + Guid.NewGuid().ToString("N")[..8];
        string[] volumes = [$"{name}-pg-1-data", $"{name}-pg-2-data"];
        try
        {
            // Volumes as PostgreSQL 15 leaves them (PG_VERSION says 15), plus a file that must survive.
            foreach (var volume in volumes)
            {
                await Docker.RunAsync("run", "--rm", "-v", $"{volume}:/data", Docker.BaseImage("trixie"),
                    "sh", "-c", "echo 15 > /data/PG_VERSION && echo keep > /data/marker");
            }

            using var cts = new CancellationTokenSource(Timeouts.ClusterStart);
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
                ["--HaStack:Persistent=true", $"--HaStack:Name={name}", "--HaStack:EtcdMembers=1", "--HaStack:Grafana=false"], cts.Token);
            using var logFile = FileLoggerProvider.AddTo(builder, "PersistenceVersionMismatch");
            await using var app = await builder.BuildAsync(cts.Token);
            // The start never completes (the router waits for nodes that refuse to run): watch it, then cancel it.
            using var startCts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var starting = app.StartAsync(startCts.Token);
            var containers = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PatroniNodeResource>()
                .ToDictionary(n => n.Name, n => n.ContainerName);

            foreach (var (node, container) in containers)
            {
                await app.ResourceNotifications.WaitForResourceAsync(node, KnownResourceStates.Exited, cts.Token);
                var (_, stdout, stderr) = await Docker.TryRunAsync("logs", container);
                var log = stdout + stderr;
                Assert.Contains($"HaStack: {node} refuses to start: its data volume '{name}-{node}-data' holds PostgreSQL 15 data, but HaStack:PostgresVersion is 18.", log);
                Assert.Contains("--HaStack:PostgresVersion=15", log);
                Assert.DoesNotContain("initdb", log);
            }

            await startCts.CancelAsync();
            try
            {
                await starting;
            }
            catch (OperationCanceledException)
            {
            }

            await app.StopAsync(cts.Token);
            foreach (var volume in volumes)
            {
                var content = await Docker.RunAsync("run", "--rm", "-v", $"{volume}:/data", Docker.BaseImage("trixie"), "sh", "-c", "cat /data/PG_VERSION /data/marker; ls /data | wc -l");
                Assert.Equal(["15", "keep", "2"], content.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }
        finally
        {
            foreach (var volume in await VolumesAsync(name))
            {
                await Docker.TryRunAsync("volume", "rm", "-f", volume);
            }
        }
    }

    private sealed class ConfiguredCluster(string[] arguments) : HaStackCluster
    {
        protected override IEnumerable<string> Arguments => arguments;
    }

    private static async Task<string[]> VolumesAsync(string stackName) =>
        (await Docker.RunAsync("volume", "ls", "-q", "--filter", $"name={stackName}-"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
