using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using HaStack.Patroni;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace HaStack.Testing;

/// <summary>
/// The real stack, started through the AppHost with <see cref="DistributedApplicationTestingBuilder"/>: fast timing
/// profile, no persistence, no Grafana (its image cannot be pulled on every machine). Shared by a test class as a
/// fixture; disposing it stops the AppHost and removes its containers and network, also when the start failed.
/// </summary>
public class HaStackCluster : IAsyncLifetime, IAsyncDisposable
{
    private DistributedApplication? _app;

    /// <summary>Extra AppHost arguments, e.g. <c>--HaStack:Replicas=2</c>; later ones win.</summary>
    protected virtual IEnumerable<string> Arguments => [];

    /// <summary>Runs the Aspire dashboard too (the testing builder leaves it off), for tests that look at it.</summary>
    protected virtual bool EnableDashboard => false;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The cluster is not started.");

    /// <summary>The HaStack Patroni client over every node's host-side REST endpoint, with the REST credentials.</summary>
    public PatroniClient Patroni { get; private set; } = null!;

    /// <summary>Patroni member name → its REST API's host-side base URL.</summary>
    public IReadOnlyDictionary<string, Uri> PatroniUrls { get; private set; } = new Dictionary<string, Uri>();

    /// <summary>Every node's REST URL, comma-separated, as the command lines' <c>--patroni</c> takes them.</summary>
    public string PatroniUrlList => string.Join(',', PatroniUrls.Values.Select(u => u.ToString().TrimEnd('/')));

    private HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// The stack's root certificate on the host (what its connection strings name as <c>Root Certificate</c>), or null
    /// when <c>HaStack:Tls</c> is off.
    /// </summary>
    public string? RootCertificatePath { get; private set; }

    public IReadOnlyList<string> NodeNames { get; private set; } = [];

    /// <summary>When the stack had one leader and every replica streaming: idle-time checks count from here.</summary>
    public DateTimeOffset ReadyAt { get; private set; }

    /// <summary>Where this cluster's AppHost and container logs are written.</summary>
    public FileLoggerProvider LogFile { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(Timeouts.ClusterStart);
        string[] args =
        [
            "--HaStack:Persistent=false", "--HaStack:Grafana=false", "--HaStack:Timing=fast",
            .. Arguments,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = EnableDashboard }, args, cts.Token);
        // The AppHost's and every container's log lines go to a file per cluster; the console keeps test results.
        LogFile = FileLoggerProvider.AddTo(builder, GetType().Name);
        _app = await builder.BuildAsync(cts.Token);
        try
        {
            await _app.StartAsync(cts.Token);
            var model = _app.Services.GetRequiredService<DistributedApplicationModel>();
            NodeNames = model.Resources.Where(r => r.GetType().Name == "PatroniNodeResource").Select(r => r.Name).ToArray();
            PatroniUrls = NodeNames.ToDictionary(n => n, n => _app.GetEndpoint(n, "patroni"));
            // Patroni's REST API is HTTPS with the stack's own CA unless TLS is off: verify it as the services do.
            RootCertificatePath = new NpgsqlConnectionStringBuilder(await GetConnectionStringAsync("pg", cts.Token)).RootCertificate;
            _http.Dispose();
            _http = new HttpClient(StackTrust.CreateHandler(RootCertificatePath)) { Timeout = Timeout.InfiniteTimeSpan };
            Patroni = new PatroniClient(_http, [.. PatroniUrls.Values],
                new PatroniCredentials(PatroniClusterResource.RestUser, await GetParameterAsync("pg-rest-password", cts.Token)),
                TimeSpan.FromSeconds(3));
            foreach (var resource in new[] { "pg", "app", "app-ro", "prometheus" })
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
            }

            await Wait.UntilAsync("one leader and every replica streaming", Timeouts.ClusterReady,
                async ct => await StreamingReplicaCountAsync(ct) == NodeNames.Count - 1);
            await WaitUntilPrometheusSeesEveryNodeAsync();
            ReadyAt = DateTimeOffset.UtcNow;
        }
        catch (Exception ex)
        {
            await DisposeAsync();
            throw new InvalidOperationException($"The cluster did not start ({ex.Message}); its logs are in {LogFile.Path}", ex);
        }
    }

    /// <summary>
    /// Waits until Prometheus has scraped every Patroni node and recorded the cluster's timeline: the failover alert
    /// compares a timeline with the one before, so a failover before Prometheus' first look would pass unnoticed.
    /// </summary>
    private async Task WaitUntilPrometheusSeesEveryNodeAsync()
    {
        using var prometheus = new HttpClient { BaseAddress = GetEndpoint("prometheus", "http"), Timeout = TimeSpan.FromSeconds(5) };
        var query = Uri.EscapeDataString("count(up{job=\"patroni\"} == 1) and on() hastack:patroni_timeline:max");
        await Wait.UntilAsync("Prometheus has scraped every Patroni node and recorded the timeline", Timeouts.ScrapesUp, async ct =>
        {
            var result = (await prometheus.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/query?query={query}", ct))
                .GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 1 && result[0].GetProperty("value")[1].GetString() == NodeNames.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }, TimeSpan.FromSeconds(1));
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public async Task DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            using var cts = new CancellationTokenSource(Timeouts.Shutdown);
            var repository = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .OfType<BackupRepositoryResource>().SingleOrDefault();
            try
            {
                await app.StopAsync(cts.Token);
            }
            finally
            {
                await app.DisposeAsync();
                LogFile.Dispose();
                _http.Dispose();
                if (repository is { Persistent: false })
                {
                    // The AppHost removes it once the nodes are gone; this makes sure, also after a failed start.
                    await Docker.TryRunAsync("volume", "rm", "-f", repository.VolumeName);
                }
            }
        }
    }

    /// <summary>A connection string resource's value (<c>app</c>, <c>app-ro</c>, <c>pg</c> (the cluster, multi-host), <c>pg-1</c>…).</summary>
    public async Task<string> GetConnectionStringAsync(string resource, CancellationToken ct = default) =>
        await App.GetConnectionStringAsync(resource, ct) ?? throw new InvalidOperationException($"{resource} has no connection string");

    /// <summary>A secret parameter's value (generated per run).</summary>
    public async Task<string> GetParameterAsync(string name, CancellationToken ct = default)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return await parameter.GetValueAsync(ct) ?? throw new InvalidOperationException($"{name} has no value");
    }

    /// <summary>
    /// The alert state changes the HealthProbe's receiver got from Alertmanager (<c>GET /alerts</c> on its
    /// localhost endpoint), oldest first.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedAlert>> ReceivedAlertsAsync(CancellationToken ct = default)
    {
        using var http = new HttpClient { BaseAddress = GetEndpoint("healthprobe", "http"), Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetFromJsonAsync<List<ReceivedAlert>>("/alerts", s_json, ct) ?? [];
    }

    /// <summary>Waits until the receiver has an alert that <paramref name="match"/> accepts; returns it.</summary>
    public async Task<ReceivedAlert> WaitForReceivedAlertAsync(string what, Func<ReceivedAlert, bool> match, TimeSpan timeout)
    {
        ReceivedAlert? found = null;
        IReadOnlyList<ReceivedAlert> last = [];
        try
        {
            await Wait.UntilAsync(what, timeout, async ct =>
            {
                last = await ReceivedAlertsAsync(ct);
                found = last.FirstOrDefault(match);
                return found is not null;
            });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; the receiver has: {(last.Count == 0 ? "nothing" : string.Join("; ", last))}", ex);
        }

        return found!;
    }

    private static readonly System.Text.Json.JsonSerializerOptions s_json = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>Patroni member name → container name in the engine, as the AppHost created them.</summary>
    public IReadOnlyDictionary<string, string> Containers =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PatroniNodeResource>()
            .ToDictionary(n => n.Name, n => n.ContainerName);

    /// <summary>etcd member name → container name in the engine, as the AppHost created them.</summary>
    public IReadOnlyDictionary<string, string> EtcdContainers =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<EtcdMemberResource>()
            .ToDictionary(m => m.Name, m => m.ContainerName);

    /// <summary>etcd member name → host-side URL of its read-only metrics port (<c>/health</c>, <c>/metrics</c>).</summary>
    public IReadOnlyDictionary<string, Uri> EtcdMetricsUrls => EtcdContainers.Keys.ToDictionary(m => m, m => GetEndpoint(m, "metrics"));

    /// <summary>The stack's pgBackRest repository resource (its volume, stanza and schedule).</summary>
    public BackupRepositoryResource BackupRepository =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<BackupRepositoryResource>().Single();

    /// <summary>Runs a command on a node's container (as its postgres user unless <paramref name="user"/> is given); its stdout.</summary>
    public Task<string> ExecAsync(string node, string[] command, string? user = null) =>
        Docker.RunAsync([.. (string[])["exec"], .. user is null ? (string[])[] : ["-u", user], Containers[node], .. command]);

    /// <summary>PgBouncer's container, as the AppHost named it (its admin console runs there: <c>/etc/pgbouncer/console.sh</c>).</summary>
    public string PgBouncerContainer =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PgBouncerResource>().Single().ContainerName;

    /// <summary>Runs a command on PgBouncer's admin console inside its container (e.g. <c>SHOW DATABASES</c>); its rows, '|'-separated.</summary>
    public async Task<IReadOnlyList<string[]>> PgBouncerConsoleAsync(string command) =>
        (await Docker.RunAsync("exec", PgBouncerContainer, "/etc/pgbouncer/console.sh", command))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split('|')).ToList();

    /// <summary>The image the Patroni nodes run (it carries <c>nft</c> and <c>netfault.sh</c> for the partition drills).</summary>
    public string NodeImage =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PatroniNodeResource>().First()
            .TryGetContainerImageName(out var image) ? image : throw new InvalidOperationException("the nodes have no image");

    /// <summary>
    /// Asserts the platform every node runs, as the servers report it: <c>SHOW server_version</c> through <c>app</c>
    /// and each node's Patroni version from <c>GET /patroni</c> (e.g. <c>"17."</c> and <c>"4.0."</c>).
    /// </summary>
    public async Task AssertPlatformAsync(string postgresVersionPrefix, string patroniVersionPrefix)
    {
        Assert.StartsWith(postgresVersionPrefix, await QueryAsync<string>("app", "SHOW server_version"));
        foreach (var node in NodeNames)
        {
            var status = await Patroni.GetNodeAsync(PatroniUrls[node], default);
            Assert.StartsWith(patroniVersionPrefix, status.PatroniVersion);
        }
    }

    /// <summary>A container resource's id in the engine, as Aspire reports it (for pause, kill, exec).</summary>
    public string ContainerIdOf(string resource) =>
        App.ResourceNotifications.TryGetCurrentState(resource, out var state)
        && state.Snapshot.Properties.FirstOrDefault(p => p.Name == "container.id")?.Value is string id && id.Length > 0
            ? id
            : throw new InvalidOperationException($"{resource} has no container id yet");

    /// <summary>Host-side URL of a resource's endpoint.</summary>
    public Uri GetEndpoint(string resource, string endpoint) => App.GetEndpoint(resource, endpoint);

    /// <summary>The current leader's name per Patroni, or null when there is none (mid-failover).</summary>
    public async Task<string?> LeaderAsync(CancellationToken ct) => (await Patroni.GetClusterAsync(ct)).Leader?.Name;

    /// <summary>Replicas the leader reports in <c>pg_stat_replication</c> as streaming (physical: a logical consumer is no replica).</summary>
    public async Task<int> StreamingReplicaCountAsync(CancellationToken ct)
    {
        var leader = await LeaderAsync(ct);
        if (leader is null)
        {
            return -1;
        }

        await using var connection = new NpgsqlConnection(await GetConnectionStringAsync(leader, ct) + ";Pooling=false;Timeout=3");
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication r WHERE state = 'streaming' AND NOT EXISTS (SELECT FROM pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical')", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct));
    }

    /// <summary>Runs a scalar query on a connection string resource.</summary>
    public async Task<T> QueryAsync<T>(string resource, string sql, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(await GetConnectionStringAsync(resource, ct));
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}
