using System.Diagnostics;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// What the drill reads back from the cluster after the fault (the verify and rejoin phases): the writes the leader
/// stored, whether every member streams again, and how many nodes accept writes.
/// </summary>
internal sealed class DrillVerification(DrillTarget target, DrillSettings settings, ILogger logger)
{
    /// <summary>
    /// Verify phase: the ledger checked against what the new leader stored, read through the last client path (the
    /// direct one if there is one: it follows the leader).
    /// </summary>
    public async Task<DrillReport> VerifyWritesAsync(DrillRun run, DrillReport report, Activity? phase, CancellationToken ct)
    {
        var stored = await ReadStoredWritesAsync(run.Paths[^1].Source, run.Id, ct).ConfigureAwait(false);
        if (run.Service is { } service)
        {
            // The service's acknowledged writes, looked up in its own table by their keys: not through the service.
            stored.AddRange(await ReadServiceWritesAsync(service, run.Paths[^1].Source, ct).ConfigureAwait(false));
        }

        var check = LedgerChecker.Check(run.Ledger.Snapshot(), stored);
        phase?.SetTag("drill.lost", check.Lost.Count);
        phase?.SetTag("drill.unknown", check.Unknown);
        var lostByPath = check.Lost.GroupBy(k => k.Path).ToDictionary(g => g.Key, g => g.Count());
        report = report with
        {
            Check = check,
            Paths = [.. report.Paths.Select(p => p with { Lost = lostByPath.GetValueOrDefault(p.Path) })],
            Service = report.Service is { } measured && run.Service is { } callers
                ? callers.Checked(DrillMeasurement.WithFinalCounts(measured, run.Ledger.Snapshot()), check, run.Ledger.Snapshot(), stored)
                : report.Service,
        };
        return report;
    }

    /// <summary>
    /// Rejoin phase, once the fault is healed: waits until every member of the precondition streams from the leader
    /// (and a sync standby runs in synchronous mode, and every etcd member is healthy when the drill knows them).
    /// Returns whether that happened within <see cref="DrillSettings.Rejoin"/>, and etcd's health (null: unknown).
    /// </summary>
    public async Task<(bool Streaming, bool? EtcdHealthy)> WaitUntilHealedAsync(DrillRun run, HttpClient http, CancellationToken ct)
    {
        var others = run.Precondition.Members;
        bool? etcdHealthy = target.EtcdMembers.Count == 0 ? null : false;
        var streaming = false;
        try
        {
            await DrillPolling.WaitForAsync("every member streams again and etcd is healthy", settings.Rejoin, async () =>
            {
                streaming = streaming || await EveryMemberStreamsAsync(run.Patroni, others, run.Precondition.Config.SynchronousMode, ct).ConfigureAwait(false);
                if (etcdHealthy == false)
                {
                    etcdHealthy = (await EtcdHealth.UnhealthyAsync(http, target.EtcdMembers, ct).ConfigureAwait(false)).Count == 0;
                }

                return streaming && etcdHealthy != false;
            }, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            if (!streaming)
            {
                run.Notes.Add($"not every member streamed from the leader within {settings.Rejoin.TotalSeconds:0} s");
            }

            if (etcdHealthy == false)
            {
                run.Notes.Add($"etcd was not healthy again within {settings.Rejoin.TotalSeconds:0} s");
            }
        }

        return (streaming, etcdHealthy);
    }

    /// <summary>Every write of the run, read from a primary (the multi-host path if there is one: it follows the leader).</summary>
    public async Task<List<WriteKey>> ReadStoredWritesAsync(NpgsqlDataSource source, string runId, CancellationToken ct)
    {
        List<WriteKey>? stored = null;
        await DrillPolling.WaitForAsync("reading the drill's writes from the new leader", TimeSpan.FromSeconds(30), async () =>
        {
            stored = await TryReadStoredWritesAsync(source, runId, ct).ConfigureAwait(false);
            return stored is not null;
        }, ct).ConfigureAwait(false);
        return stored!;
    }

    /// <summary>The service's writes of this run as a primary stores them (waits while the source reaches a server in recovery).</summary>
    public Task<List<WriteKey>> ReadServiceWritesAsync(ServiceLoad service, NpgsqlDataSource source, CancellationToken ct) =>
        service.ReadStoredAsync(source, TimeSpan.FromSeconds(30), logger, ct);

    /// <summary>
    /// Nodes that accept writes: Patroni's leader count, and, where the direct path names every host, PostgreSQL's own
    /// answer per host (the stronger evidence: a node Patroni lost track of would show here).
    /// </summary>
    public async Task<int> CountWritablePrimariesAsync(PatroniClient patroni, List<string> notes, CancellationToken ct)
    {
        var cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
        if (target.DirectConnectionString is not { } direct)
        {
            return cluster.LeaderCount;
        }

        var builder = new NpgsqlConnectionStringBuilder(direct);
        var hosts = (builder.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var writable = 0;
        foreach (var host in hosts)
        {
            if (await IsWritableAsync(direct, host, notes, ct).ConfigureAwait(false))
            {
                writable++;
            }
        }

        if (writable != cluster.LeaderCount)
        {
            notes.Add($"PostgreSQL reports {writable} writable nodes, Patroni {cluster.LeaderCount} leader(s)");
        }

        return Math.Max(writable, cluster.LeaderCount);
    }

    /// <summary>The run's writes as a primary stores them; null while the source reaches a server in recovery or fails.</summary>
    private async Task<List<WriteKey>?> TryReadStoredWritesAsync(NpgsqlDataSource source, string runId, CancellationToken ct)
    {
        try
        {
            await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using (var check = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
            {
                if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
                {
                    return null;
                }
            }

            await using var command = new NpgsqlCommand($"SELECT path, seq FROM {LoadGenerator.Table} WHERE run_id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = runId });
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rows = new List<WriteKey>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add(new WriteKey(reader.GetString(0), reader.GetInt64(1)));
            }

            return rows;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            logger.LogDebug("Reading writes failed: {Error}", ex.Message);
            return null;
        }
    }

    /// <summary>Every member but the leader streams from it (and, in synchronous mode, a sync standby runs).</summary>
    private static async Task<bool> EveryMemberStreamsAsync(PatroniClient patroni, IReadOnlyList<string> members, bool synchronous, CancellationToken ct)
    {
        try
        {
            var cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
            if (cluster.Leader is not { IsRunning: true } leader)
            {
                return false;
            }

            var primary = await patroni.GetPrimaryStatusAsync(ct).ConfigureAwait(false);
            var streaming = primary?.Replication?.Where(r => r.State == "streaming").Select(r => r.ApplicationName).ToHashSet() ?? [];
            return members.Where(m => m != leader.Name).All(streaming.Contains)
                   && (!synchronous || cluster.Members.Any(m => m.IsSyncStandby && m.IsRunning));
        }
        catch (PatroniApiException)
        {
            return false;
        }
    }

    /// <summary>PostgreSQL's own answer for one host of the direct path; a host that does not answer gets a note.</summary>
    private static async Task<bool> IsWritableAsync(string direct, string host, List<string> notes, CancellationToken ct)
    {
        var single = new NpgsqlConnectionStringBuilder(direct)
        {
            Host = host,
            TargetSessionAttributes = "any",
            Pooling = false,
            Timeout = 3,
            CommandTimeout = 3,
        };
        var writable = false;
        try
        {
            await using var connection = new NpgsqlConnection(single.ConnectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
            writable = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            notes.Add($"host {host} did not answer the primary check: {ex.GetBaseException().Message}");
        }

        return writable;
    }
}
