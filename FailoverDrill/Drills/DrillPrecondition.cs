using System.Text.Json;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// What the drill found before touching anything; timing falls back to Patroni's defaults (30/10/10).
/// <see cref="CheckAsync"/> finds it, or refuses the drill.
/// </summary>
internal sealed record DrillPrecondition(PatroniMember Leader, PatroniDynamicConfig Config, PatroniClusterView Cluster, IReadOnlyList<string> Members, IReadOnlyList<string> Notes,
    string? Versions = null)
{
    /// <summary>Patroni's default <c>maximum_lag_on_failover</c> (1 MiB), when <c>/config</c> does not set it.</summary>
    private const long PatroniDefaultMaximumLag = 1_048_576;

    public int Ttl => Config.Ttl ?? 30;

    public int LoopWait => Config.LoopWait ?? 10;

    public int RetryTimeout => Config.RetryTimeout ?? 10;

    /// <summary>
    /// Refuses (throws <see cref="DrillRefusedException"/>) unless a failover can succeed right now: one running leader,
    /// a promotable replica, a fault the injector can inject, every client path on the primary, the measured service taking
    /// a write and reading it back, HealthProbe not Unhealthy.
    /// </summary>
    public static async Task<DrillPrecondition> CheckAsync(DrillTarget target, DrillSettings settings, HttpClient http,
        IFaultInjector injector, PatroniClient patroni, CancellationToken ct)
    {
        var (cluster, config) = await ReadClusterAsync(patroni, ct).ConfigureAwait(false);
        var leader = FindLeader(cluster);
        await CheckPromotableAsync(patroni, cluster, config, settings.Candidate, ct).ConfigureAwait(false);
        if (await injector.CannotInjectReasonAsync(new FaultContext(target, patroni, cluster, leader.Name, settings, http), ct).ConfigureAwait(false) is { } reason)
        {
            throw new DrillRefusedException(reason);
        }

        await CheckClientPathAsync(DrillRunner.PooledPath, target.PooledConnectionString, settings, ct).ConfigureAwait(false);
        if (target.DirectConnectionString is { } direct)
        {
            await CheckClientPathAsync(DrillRunner.DirectPath, direct, settings, ct).ConfigureAwait(false);
        }

        var notes = new List<string>();
        if (target.HealthProbeUrl is { } probe)
        {
            notes.Add(await CheckHealthProbeAsync(http, probe, ct).ConfigureAwait(false));
        }

        // Last, as it writes (one row of the service's): a drill refused for any other reason has written nothing.
        if (target.Service is { } service)
        {
            await ServiceLoad.CheckAsync(service, http, target.DirectConnectionString ?? target.PooledConnectionString, ct).ConfigureAwait(false);
        }

        // The versions that run, as the leader reports them: a drill's figures belong to them, not to a platform's name.
        var versions = (await patroni.GetPrimaryStatusAsync(ct).ConfigureAwait(false))?.DescribeVersions();
        return new DrillPrecondition(leader, config, cluster, [.. cluster.Members.Select(m => m.Name).Order(StringComparer.Ordinal)], notes, versions);
    }

    private static async Task<(PatroniClusterView Cluster, PatroniDynamicConfig Config)> ReadClusterAsync(PatroniClient patroni, CancellationToken ct)
    {
        try
        {
            var cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
            var config = await patroni.GetConfigAsync(ct).ConfigureAwait(false);
            return (cluster, config);
        }
        catch (PatroniApiException ex) when (ex.Failure == PatroniFailure.Unreachable)
        {
            throw new DrillRefusedException($"cluster unreachable: {ex.Message}", ex);
        }
    }

    /// <summary>The one leader, running, in a cluster whose member names are safe to put into fault hooks.</summary>
    private static PatroniMember FindLeader(PatroniClusterView cluster)
    {
        var leaders = cluster.Members.Where(m => m.IsLeader).ToList();
        if (leaders.Count != 1)
        {
            throw new DrillRefusedException(leaders.Count == 0 ? "cluster unhealthy: no leader" : $"cluster unhealthy: {leaders.Count} leaders");
        }

        // Names go into fault hooks (docker kill {container}): refuse what is not a plain name before touching anything.
        if (cluster.Members.Select(m => HookCommand.UnsafeNameReason("member", m.Name)).FirstOrDefault(r => r is not null) is { } unsafeName)
        {
            throw new DrillRefusedException($"cluster reports a member the drill will not handle: {unsafeName}");
        }

        var leader = leaders[0];
        if (!leader.IsRunning)
        {
            throw new DrillRefusedException($"cluster unhealthy: leader {leader.Name} is {leader.State}");
        }

        return leader;
    }

    /// <summary>
    /// A replica Patroni would promote (running, streaming from the leader, within <c>maximum_lag_on_failover</c>), a
    /// streaming synchronous standby in synchronous mode, and the requested candidate among the promotable.
    /// </summary>
    private static async Task CheckPromotableAsync(PatroniClient patroni, PatroniClusterView cluster, PatroniDynamicConfig config,
        string? candidate, CancellationToken ct)
    {
        var primary = await patroni.GetPrimaryStatusAsync(ct).ConfigureAwait(false);
        var streaming = primary?.Replication?.Where(r => r.State == "streaming").Select(r => r.ApplicationName).ToHashSet() ?? [];
        var maximumLag = config.MaximumLagOnFailover ?? PatroniDefaultMaximumLag;
        var promotable = cluster.Members
            .Where(m => !m.IsLeader && m.IsRunning && !m.NoFailover && streaming.Contains(m.Name)
                        && m.LagBytes is { } lag && lag <= maximumLag)
            .ToList();
        if (promotable.Count == 0)
        {
            var replicas = cluster.Members.Where(m => !m.IsLeader).Select(m => $"{m.Name} {m.State ?? "?"} lag {m.LagBytes?.ToString() ?? "unknown"}").ToList();
            throw new DrillRefusedException("cluster unhealthy: no promotable replica streaming from the leader within maximum_lag_on_failover "
                                            + $"({maximumLag} bytes); replicas: {(replicas.Count == 0 ? "none" : string.Join(", ", replicas))}");
        }

        if (config.SynchronousMode && !cluster.Members.Any(m => m.IsSyncStandby && m.IsRunning && streaming.Contains(m.Name)))
        {
            throw new DrillRefusedException("cluster unhealthy: synchronous_mode is on but no synchronous standby is streaming");
        }

        if (candidate is not null && promotable.All(m => m.Name != candidate))
        {
            throw new DrillRefusedException($"candidate {candidate} is not a promotable replica (promotable: {string.Join(", ", promotable.Select(m => m.Name))})");
        }
    }

    private static async Task CheckClientPathAsync(string path, string connectionString, DrillSettings settings, CancellationToken ct)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5, CommandTimeout = 5 };
            await using var source = LoadGenerator.CreateDataSource(builder.ConnectionString, settings with { WriteTimeout = TimeSpan.FromSeconds(5) });
            await using var command = source.CreateCommand("SELECT pg_is_in_recovery()");
            if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
            {
                throw new DrillRefusedException($"the {path} client path reaches a server in recovery, not the primary");
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or ArgumentException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            throw new DrillRefusedException($"the {path} client path cannot reach the primary: {ex.GetBaseException().Message}", ex);
        }
    }

    /// <summary>Refuses on HealthProbe's <c>Unhealthy</c>; otherwise the note for the report (its verdict, or that it did not answer).</summary>
    private static async Task<string> CheckHealthProbeAsync(HttpClient http, Uri probe, CancellationToken ct)
    {
        var verdict = await ReadProbeVerdictAsync(http, probe, ct).ConfigureAwait(false);
        if (verdict is null)
        {
            return $"HealthProbe at {probe} did not answer; relied on the drill's own checks";
        }

        if (string.Equals(verdict, "Unhealthy", StringComparison.OrdinalIgnoreCase))
        {
            throw new DrillRefusedException("cluster unhealthy: HealthProbe's verdict is Unhealthy");
        }

        return $"HealthProbe verdict before the drill: {verdict}";
    }

    private static async Task<string?> ReadProbeVerdictAsync(HttpClient http, Uri probe, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var status = await http.GetFromJsonAsync<JsonElement>(new Uri(probe, "status"), timeout.Token).ConfigureAwait(false);
            return status.TryGetProperty("verdict", out var verdict) ? verdict.GetString() : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
