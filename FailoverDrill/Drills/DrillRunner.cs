using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>The precondition failed: the drill touched nothing. The message is the reason.</summary>
public sealed class DrillRefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs one drill: precondition → setup → load → inject → await new leader → measure → verify → rejoin → cleanup,
/// each phase a span of one trace. Used by the service and the CLI alike.
/// </summary>
public sealed class DrillRunner(DrillTarget target, DrillSettings settings, DrillMetrics? metrics, ILogger logger, HttpClient? http = null)
{
    /// <summary>For callers without an <c>IHttpClientFactory</c> (the command line, benchmarks): one client for the process.</summary>
    private static readonly HttpClient s_http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public const string PooledPath = "pooled";
    public const string DirectPath = "direct";

    private static readonly ActivitySource _source = DrillMetrics.ActivitySource;

    public async Task<DrillReport> RunAsync(DrillKind kind, CancellationToken ct)
    {
        var injector = FaultInjectors.For(kind);
        var runId = $"{kind.ToString().ToLowerInvariant()}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var clock = Stopwatch.StartNew();
        using var root = _source.StartActivity($"drill {kind.ToString().ToLowerInvariant()}");
        root?.SetTag("drill.kind", kind.ToString().ToLowerInvariant());
        root?.SetTag("drill.run_id", runId);
        logger.LogInformation("Drill {RunId} ({Kind}) starting", runId, kind);

        var report = new DrillReport { RunId = runId, Kind = kind, StartedAt = DateTimeOffset.UtcNow };
        var patroni = CreatePatroniClient();

        Precondition pre;
        using (var phase = _source.StartActivity("precondition"))
        {
            try
            {
                pre = await CheckPreconditionAsync(injector, patroni, ct).ConfigureAwait(false);
                phase?.SetTag("drill.leader", pre.Leader.Name);
            }
            catch (DrillRefusedException ex)
            {
                phase?.SetStatus(ActivityStatusCode.Error, ex.Message);
                logger.LogWarning("Drill {RunId} refused: {Reason}", runId, ex.Message);
                report = report with { Outcome = DrillOutcome.Refused, Reason = ex.Message, DurationSeconds = clock.Elapsed.TotalSeconds };
                root?.SetTag("drill.outcome", "refused");
                metrics?.Record(report);
                return report;
            }
        }

        report = report with
        {
            OldLeader = pre.Leader.Name,
            TimelineBefore = pre.Leader.Timeline,
            SynchronousMode = pre.Config.SynchronousMode,
            SynchronousModeName = pre.Config.SynchronousModeName,
            Ttl = pre.Ttl,
            LoopWait = pre.LoopWait,
            RetryTimeout = pre.RetryTimeout,
        };
        var notes = new List<string>(pre.Notes);
        var ledger = new WriteLedger();
        var paths = new List<(string Path, NpgsqlDataSource Source)> { (PooledPath, LoadGenerator.CreateDataSource(target.PooledConnectionString, settings)) };
        if (target.DirectConnectionString is { } direct)
        {
            paths.Add((DirectPath, LoadGenerator.CreateDataSource(direct, settings)));
        }

        LoadGenerator? load = null;
        var injected = false;
        var recovered = false;
        try
        {
            using (_source.StartActivity("setup"))
            {
                await LoadGenerator.EnsureTableAsync(paths[0].Source, ct).ConfigureAwait(false);
            }

            var oldServers = new Dictionary<string, string>();
            using (var phase = _source.StartActivity("load"))
            {
                load = new LoadGenerator(runId, ledger, clock, settings, paths);
                load.Start();
                var warmUpEnd = clock.Elapsed + settings.WarmUp;
                await WaitForAsync("every client path acknowledges writes before the fault", TimeSpan.FromSeconds(30) + settings.WarmUp, () =>
                {
                    var acks = ledger.Snapshot().Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
                    return Task.FromResult(clock.Elapsed >= warmUpEnd && paths.All(p => acks.Count(a => a.Path == p.Path) >= 5));
                }, ct).ConfigureAwait(false);
                foreach (var (path, _) in paths)
                {
                    // The old leader's address as each path sees it: where its warm-up writes landed.
                    oldServers[path] = ledger.Snapshot().Where(r => r.Path == path && r.Outcome == WriteOutcome.Acknowledged)
                        .GroupBy(r => r.Server).OrderByDescending(g => g.Count()).First().Key!;
                }

                phase?.SetTag("drill.writes", ledger.Snapshot().Count);
            }

            using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var monitor = new FailoverMonitor(http ?? s_http, target.PatroniUrls, pre.Leader.Name, clock, settings.PollInterval);
            var monitorTask = monitor.RunAsync(monitorStop.Token);
            TimeSpan injectedAt;
            using (var phase = _source.StartActivity("inject"))
            {
                injectedAt = clock.Elapsed;
                injected = true;
                var result = await injector.InjectAsync(target, patroni, pre.Leader.Name, settings, ct).ConfigureAwait(false);
                phase?.SetTag("drill.injection", result.Description);
                report = report with { Injection = result.Description };
                logger.LogInformation("Drill {RunId}: {Injection}", runId, result.Description);
            }

            using (var phase = _source.StartActivity("await-new-leader"))
            {
                var limit = TimeSpan.FromSeconds(pre.Ttl) + settings.NewLeaderGrace;
                await WaitForAsync($"a new leader within {limit.TotalSeconds:0} s", limit, () => Task.FromResult(monitor.NewLeaderAt is not null), ct).ConfigureAwait(false);
                phase?.SetTag("drill.new_leader", monitor.NewLeader);
                report = report with { NewLeader = monitor.NewLeader, TimelineAfter = monitor.NewLeaderTimeline };
            }

            var pathReports = new List<PathReport>();
            using (var phase = _source.StartActivity("measure"))
            {
                await WaitForAsync("every client path writes to the new leader", settings.ClientRecovery, () =>
                    Task.FromResult(paths.All(p => FirstAckOnNewLeader(ledger.Snapshot(), p.Path, oldServers[p.Path], injectedAt) is not null)), ct).ConfigureAwait(false);
                await Task.Delay(settings.CoolDown, ct).ConfigureAwait(false);
                await load.StopAsync().ConfigureAwait(false);
                var records = ledger.Snapshot();
                foreach (var (path, _) in paths)
                {
                    pathReports.Add(MeasurePath(records, path, oldServers[path], injectedAt, notes));
                }

                await monitorStop.CancelAsync().ConfigureAwait(false);
                await monitorTask.ConfigureAwait(false);
                var detection = Since(monitor.DetectedAt, injectedAt);
                var lockState = kind == DrillKind.Switchover
                    ? "released (planned)"
                    : detection >= Math.Max(1, pre.Ttl - pre.LoopWait - 1)
                        ? $"expired: held {detection:0.0} s after the kill, ttl {pre.Ttl} s"
                        : $"released after {detection:0.0} s, before its ttl of {pre.Ttl} s";
                if (kind == DrillKind.Crash && !lockState.StartsWith("expired", StringComparison.Ordinal))
                {
                    notes.Add("the leader lock disappeared faster than its ttl allows after a crash: was the node really killed?");
                }

                report = report with
                {
                    Paths = pathReports,
                    Timing = new FailoverTiming(detection, Since(monitor.NewLeaderAt, injectedAt), null, lockState),
                    TimelineAfter = monitor.NewLeaderTimeline ?? report.TimelineAfter,
                };
                foreach (var p in pathReports)
                {
                    phase?.SetTag($"drill.rto.{p.Path}", p.RtoSeconds);
                }
            }

            using (var phase = _source.StartActivity("verify"))
            {
                var stored = await ReadStoredWritesAsync(paths[^1].Source, runId, ct).ConfigureAwait(false);
                var check = LedgerChecker.Check(ledger.Snapshot(), stored);
                phase?.SetTag("drill.lost", check.Lost.Count);
                phase?.SetTag("drill.unknown", check.Unknown);
                var lostByPath = check.Lost.GroupBy(k => k.Path).ToDictionary(g => g.Key, g => g.Count());
                report = report with
                {
                    Check = check,
                    Paths = [.. pathReports.Select(p => p with { Lost = lostByPath.GetValueOrDefault(p.Path) })],
                    NewLeaderAcceptsWrites = pathReports.All(p => p.RtoSeconds is not null),
                };
                if (report.TimelineBefore is { } before && report.TimelineAfter is { } after && after != before + 1)
                {
                    notes.Add($"timeline moved from {before} to {after}, not by exactly one");
                }
            }

            using (var phase = _source.StartActivity("rejoin"))
            {
                var recovery = await injector.RecoverAsync(target, pre.Leader.Name, ct).ConfigureAwait(false);
                recovered = true;
                report = report with { Recovery = recovery };
                var streaming = await WaitForRejoinAsync(patroni, pre.Leader.Name, pre.Config.SynchronousMode, ct).ConfigureAwait(false);
                var rejoin = streaming ? Since(clock.Elapsed, injectedAt) : null;
                var writable = await CountWritablePrimariesAsync(patroni, notes, ct).ConfigureAwait(false);
                phase?.SetTag("drill.rejoin_seconds", rejoin);
                report = report with
                {
                    OldLeaderStreaming = streaming,
                    WritablePrimaries = writable,
                    Timing = report.Timing! with { RejoinSeconds = rejoin },
                };
                if (!streaming)
                {
                    notes.Add($"{pre.Leader.Name} did not stream from the new leader within {settings.Rejoin.TotalSeconds:0} s");
                }
            }

            report = Judge(report, notes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Drill {RunId} failed", runId);
            report = report with { Outcome = DrillOutcome.Failed, Reason = ex.Message };
        }
        finally
        {
            using (_source.StartActivity("cleanup"))
            {
                await CleanupAsync(load, injector, injected && !recovered, pre.Leader.Name, paths, runId, notes).ConfigureAwait(false);
            }
        }

        report = report with { DurationSeconds = clock.Elapsed.TotalSeconds, Notes = notes };
        root?.SetTag("drill.outcome", report.Outcome.ToString().ToLowerInvariant());
        if (report.Outcome != DrillOutcome.Passed)
        {
            root?.SetStatus(ActivityStatusCode.Error, report.Reason);
        }

        metrics?.Record(report);
        logger.LogInformation("Drill {RunId} {Outcome}{Reason}", runId, report.Outcome, report.Reason is null ? "" : ": " + report.Reason);
        return report;
    }

    /// <summary>Waits until a drill of <paramref name="kind"/> would not be refused (or the timeout passes).</summary>
    public async Task WaitUntilReadyAsync(DrillKind kind, TimeSpan timeout, CancellationToken ct)
    {
        var injector = FaultInjectors.For(kind);
        var patroni = CreatePatroniClient();
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            try
            {
                await CheckPreconditionAsync(injector, patroni, ct).ConfigureAwait(false);
                return;
            }
            catch (DrillRefusedException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
    }

    private static DrillReport Judge(DrillReport report, List<string> notes)
    {
        var check = report.Check!;
        var problems = new List<string>();
        if (check.Lost.Count > 0)
        {
            if (report.SynchronousMode)
            {
                problems.Add($"{check.Lost.Count} acknowledged writes lost");
            }
            else
            {
                notes.Add($"asynchronous replication: {check.Lost.Count} acknowledged writes lost (possible without synchronous_mode)");
            }
        }

        if (check.Duplicates.Count > 0)
        {
            problems.Add($"{check.Duplicates.Count} writes stored twice");
        }

        if (check.FailedButPresent.Count > 0 || check.Unexpected.Count > 0)
        {
            problems.Add($"{check.FailedButPresent.Count + check.Unexpected.Count} writes stored that the client never saw succeed or never sent");
        }

        if (report.NewLeaderAcceptsWrites != true)
        {
            problems.Add("the new leader did not accept writes on every path");
        }

        if (report.OldLeaderStreaming != true)
        {
            problems.Add("the old leader did not rejoin as a streaming replica");
        }

        if (report.WritablePrimaries is { } n && n != 1)
        {
            problems.Add($"{n} writable primaries afterwards");
        }

        return problems.Count == 0
            ? report with { Outcome = DrillOutcome.Passed }
            : report with { Outcome = DrillOutcome.Failed, Reason = string.Join("; ", problems) };
    }

    private PatroniClient CreatePatroniClient() => new(http ?? s_http, target.PatroniUrls, target.Credentials);

    /// <summary>Patroni's default <c>maximum_lag_on_failover</c> (1 MiB), when <c>/config</c> does not set it.</summary>
    private const long PatroniDefaultMaximumLag = 1_048_576;

    /// <summary>What the drill found before touching anything; timing falls back to Patroni's defaults (30/10/10).</summary>
    private sealed record Precondition(PatroniMember Leader, PatroniDynamicConfig Config, IReadOnlyList<string> Notes)
    {
        public int Ttl => Config.Ttl ?? 30;

        public int LoopWait => Config.LoopWait ?? 10;

        public int RetryTimeout => Config.RetryTimeout ?? 10;
    }

    /// <summary>Refuses (throws <see cref="DrillRefusedException"/>) unless a failover can succeed right now.</summary>
    private async Task<Precondition> CheckPreconditionAsync(IFaultInjector injector, PatroniClient patroni, CancellationToken ct)
    {
        PatroniClusterView cluster;
        PatroniDynamicConfig config;
        try
        {
            cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
            config = await patroni.GetConfigAsync(ct).ConfigureAwait(false);
        }
        catch (PatroniApiException ex) when (ex.Failure == PatroniFailure.Unreachable)
        {
            throw new DrillRefusedException($"cluster unreachable: {ex.Message}", ex);
        }

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

        if (settings.Candidate is { } candidate && promotable.All(m => m.Name != candidate))
        {
            throw new DrillRefusedException($"candidate {candidate} is not a promotable replica (promotable: {string.Join(", ", promotable.Select(m => m.Name))})");
        }

        if (injector.CannotInjectReason(target, leader.Name) is { } reason)
        {
            throw new DrillRefusedException(reason);
        }

        await CheckClientPathAsync(PooledPath, target.PooledConnectionString, ct).ConfigureAwait(false);
        if (target.DirectConnectionString is { } direct)
        {
            await CheckClientPathAsync(DirectPath, direct, ct).ConfigureAwait(false);
        }

        var notes = new List<string>();
        if (target.HealthProbeUrl is { } probe)
        {
            var verdict = await ReadProbeVerdictAsync(probe, ct).ConfigureAwait(false);
            if (verdict is null)
            {
                notes.Add($"HealthProbe at {probe} did not answer; relied on the drill's own checks");
            }
            else if (string.Equals(verdict, "Unhealthy", StringComparison.OrdinalIgnoreCase))
            {
                throw new DrillRefusedException("cluster unhealthy: HealthProbe's verdict is Unhealthy");
            }
            else
            {
                notes.Add($"HealthProbe verdict before the drill: {verdict}");
            }
        }

        return new Precondition(leader, config, notes);
    }

    private async Task CheckClientPathAsync(string path, string connectionString, CancellationToken ct)
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

    private async Task<string?> ReadProbeVerdictAsync(Uri probe, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var status = await (http ?? s_http).GetFromJsonAsync<JsonElement>(new Uri(probe, "status"), timeout.Token).ConfigureAwait(false);
            return status.TryGetProperty("verdict", out var verdict) ? verdict.GetString() : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static WriteRecord? FirstAckOnNewLeader(IEnumerable<WriteRecord> records, string path, string oldServer, TimeSpan injectedAt) =>
        records.Where(r => r.Path == path && r.Outcome == WriteOutcome.Acknowledged && r.Server != oldServer && r.Started >= injectedAt)
            .MinBy(r => r.Finished);

    private static PathReport MeasurePath(IReadOnlyList<WriteRecord> records, string path, string oldServer, TimeSpan injectedAt, List<string> notes)
    {
        var mine = records.Where(r => r.Path == path).OrderBy(r => r.Finished).ToList();
        var acks = mine.Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
        var first = FirstAckOnNewLeader(mine, path, oldServer, injectedAt);
        if (first is null)
        {
            return new PathReport(path, null, null, acks.Count, 0, 0, 0);
        }

        var lastBefore = acks.LastOrDefault(r => r.Finished < first.Finished);
        var gapStart = lastBefore?.Finished ?? injectedAt;
        var inGap = mine.Where(r => r.Finished > gapStart && r.Finished < first.Finished).ToList();
        var lateOld = acks.Count(r => r.Server == oldServer && r.Finished > first.Finished);
        if (lateOld > 0)
        {
            notes.Add($"{path}: {lateOld} writes acknowledged by the old leader after the new leader had acknowledged one");
        }

        return new PathReport(path,
            RtoSeconds: Math.Round((first.Finished - injectedAt).TotalSeconds, 3),
            WriteGapSeconds: Math.Round((first.Finished - gapStart).TotalSeconds, 3),
            Acknowledged: acks.Count,
            FailedDuringGap: inGap.Count(r => r.Outcome == WriteOutcome.Failed),
            UnknownDuringGap: inGap.Count(r => r.Outcome == WriteOutcome.Unknown),
            Lost: 0);
    }

    /// <summary>Every write of the run, read from a primary (the multi-host path if there is one: it follows the leader).</summary>
    private async Task<List<WriteKey>> ReadStoredWritesAsync(NpgsqlDataSource source, string runId, CancellationToken ct)
    {
        List<WriteKey>? stored = null;
        await WaitForAsync("reading the drill's writes from the new leader", TimeSpan.FromSeconds(30), async () =>
        {
            try
            {
                await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
                await using (var check = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
                {
                    if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
                    {
                        return false;
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

                stored = rows;
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogDebug("Reading writes failed: {Error}", ex.Message);
                return false;
            }
        }, ct).ConfigureAwait(false);
        return stored!;
    }

    /// <summary>True once the old leader streams from the new one (and, in synchronous mode, a sync standby exists).</summary>
    private async Task<bool> WaitForRejoinAsync(PatroniClient patroni, string oldLeader, bool synchronous, CancellationToken ct)
    {
        try
        {
            await WaitForAsync($"{oldLeader} streams again", settings.Rejoin, async () =>
            {
                try
                {
                    var primary = await patroni.GetPrimaryStatusAsync(ct).ConfigureAwait(false);
                    if (primary?.Replication?.Any(r => r.ApplicationName == oldLeader && r.State == "streaming") != true)
                    {
                        return false;
                    }

                    var cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
                    return !synchronous || cluster.Members.Any(m => m.IsSyncStandby && m.IsRunning);
                }
                catch (PatroniApiException)
                {
                    return false;
                }
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Nodes that accept writes: Patroni's leader count, and, where the direct path names every host, PostgreSQL's own
    /// answer per host (the stronger evidence: a node Patroni lost track of would show here).
    /// </summary>
    private async Task<int> CountWritablePrimariesAsync(PatroniClient patroni, List<string> notes, CancellationToken ct)
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
            var single = new NpgsqlConnectionStringBuilder(direct)
            {
                Host = host,
                TargetSessionAttributes = "any",
                Pooling = false,
                Timeout = 3,
                CommandTimeout = 3,
            };
            try
            {
                await using var connection = new NpgsqlConnection(single.ConnectionString);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT NOT pg_is_in_recovery()", connection);
                if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
                {
                    writable++;
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                notes.Add($"host {host} did not answer the primary check: {ex.GetBaseException().Message}");
            }
        }

        if (writable != cluster.LeaderCount)
        {
            notes.Add($"PostgreSQL reports {writable} writable nodes, Patroni {cluster.LeaderCount} leader(s)");
        }

        return Math.Max(writable, cluster.LeaderCount);
    }

    private async Task CleanupAsync(LoadGenerator? load, IFaultInjector injector, bool mustRecover, string oldLeader,
        List<(string Path, NpgsqlDataSource Source)> paths, string runId, List<string> notes)
    {
        if (load is not null)
        {
            await load.DisposeAsync().ConfigureAwait(false);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (mustRecover)
        {
            try
            {
                // The drill failed after the fault: still give the victim back, so the cluster can heal.
                var recovery = await injector.RecoverAsync(target, oldLeader, cts.Token).ConfigureAwait(false);
                if (recovery is not null)
                {
                    notes.Add($"recovered after failure: {recovery}");
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                notes.Add($"could not recover {oldLeader}: {ex.Message}");
            }
        }

        try
        {
            await using var command = paths[0].Source.CreateCommand($"DELETE FROM {LoadGenerator.Table} WHERE run_id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = runId });
            await command.ExecuteNonQueryAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            notes.Add($"the drill's rows were not deleted: {ex.GetBaseException().Message}");
        }

        foreach (var (_, source) in paths)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static double? Since(TimeSpan? at, TimeSpan origin) => at is { } t ? Math.Round((t - origin).TotalSeconds, 3) : null;

    /// <summary>Polls <paramref name="condition"/> every 100 ms; throws <see cref="TimeoutException"/> naming <paramref name="what"/>.</summary>
    private static async Task WaitForAsync(string what, TimeSpan timeout, Func<Task<bool>> condition, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"not true after {timeout.TotalSeconds:0} s: {what}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }
}
