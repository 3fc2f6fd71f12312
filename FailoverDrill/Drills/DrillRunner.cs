using System.Diagnostics;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Runs one drill: precondition → setup → load → the fault (<see cref="FaultStep"/>: inject → await new leader or
/// hold → heal → rejoin → measure) → verify → cleanup, each phase a span of one trace. Used by the service and the
/// CLI alike.
/// </summary>
/// <remarks>
/// This class is the orchestration: the phases in order, their spans, the report as it fills in. The work of the
/// phases is in <see cref="DrillPrecondition"/>, <see cref="LoadGenerator"/>, <see cref="FaultStep"/>,
/// <see cref="DrillObservers"/>, <see cref="DrillVerification"/>, <see cref="DrillVerdict"/> and <see cref="DrillCleanup"/>.
/// </remarks>
public sealed class DrillRunner(DrillTarget target, DrillSettings settings, DrillMetrics? metrics, ILogger logger, HttpClient? http = null)
{
    /// <summary>For callers without an <c>IHttpClientFactory</c> (the command line, benchmarks): one client for the process.</summary>
    private static readonly HttpClient s_http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The client path through PgBouncer and the router (<see cref="DrillTarget.PooledConnectionString"/>).</summary>
    public const string PooledPath = "pooled";

    /// <summary>The client path straight to PostgreSQL, Npgsql multi-host (<see cref="DrillTarget.DirectConnectionString"/>).</summary>
    public const string DirectPath = "direct";

    private static readonly ActivitySource _source = DrillMetrics.ActivitySource;

    private readonly DrillVerification _verification = new(target, settings, logger);

    internal HttpClient Http => http ?? s_http;

    /// <summary>Runs one drill of <paramref name="kind"/>; a refused or failed drill is a report too, not an exception.</summary>
    public async Task<DrillReport> RunAsync(DrillKind kind, CancellationToken ct)
    {
        var injector = FaultInjectors.For(kind);
        var runId = NewRunId(DrillKinds.Name(kind));
        var clock = Stopwatch.StartNew();
        using var root = _source.StartActivity($"drill {DrillKinds.Name(kind)}");
        root?.SetTag("drill.kind", DrillKinds.Name(kind));
        root?.SetTag("drill.run_id", runId);
        logger.LogInformation("Drill {RunId} ({Kind}) starting", runId, DrillKinds.Name(kind));

        var report = new DrillReport
        {
            RunId = runId, Kind = kind, StartedAt = DateTimeOffset.UtcNow,
            Switchover = kind == DrillKind.Switchover ? SwitchoverModes.Effective(settings, target) : null,
        };
        var patroni = CreatePatroniClient();
        DrillPrecondition pre;
        using (var phase = _source.StartActivity("precondition"))
        {
            try
            {
                pre = await DrillPrecondition.CheckAsync(target, settings, Http, injector, patroni, ct).ConfigureAwait(false);
                phase?.SetTag("drill.leader", pre.Leader.Name);
            }
            catch (DrillRefusedException ex)
            {
                phase?.SetStatus(ActivityStatusCode.Error, ex.Message);
                return Refuse(report, ex.Message, clock, root);
            }
        }

        var run = new DrillRun(runId, kind, clock, injector, patroni, pre, new WriteLedger(), OpenClientPaths(), new List<string>(pre.Notes));
        report = await RunPhasesAsync(run, WithPrecondition(report, pre), ct).ConfigureAwait(false);
        return Finish(report with { DurationSeconds = clock.Elapsed.TotalSeconds, Notes = run.Notes }, root);
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
                await DrillPrecondition.CheckAsync(target, settings, Http, injector, patroni, ct).ConfigureAwait(false);
                return;
            }
            catch (DrillRefusedException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Setup, load, the fault (<see cref="FaultStep"/>), verification, then the verdict; any failure (except
    /// cancellation by <paramref name="ct"/>) makes the report <see cref="DrillOutcome.Failed"/>. Cleanup runs whatever
    /// happened; the step heals its own fault.
    /// </summary>
    private async Task<DrillReport> RunPhasesAsync(DrillRun run, DrillReport report, CancellationToken ct)
    {
        LoadGenerator? load = null;
        DrillObservers? observers = null;
        var injectedAt = TimeSpan.Zero;
        try
        {
            using (_source.StartActivity("setup"))
            {
                await LoadGenerator.EnsureTableAsync(run.Paths[0].Source, ct).ConfigureAwait(false);
                await SplitBrainDetector.EnsureTableAsync(run.Paths[0].Source, ct).ConfigureAwait(false);
            }

            // Every node sampled directly for the whole drill (two primaries taking writes?), and what the primary's commits wait for.
            observers = DrillObservers.Start(target, settings, run, ct);
            using (var phase = _source.StartActivity("load"))
            {
                load = new LoadGenerator(run.Id, run.Ledger, run.Clock, settings, run.Paths);
                load.SetTimeout(PooledPath, settings.PooledWriteTimeout(run.Kind, target));
                run.Service = target.Service is { } service ? new ServiceLoad(service, Http, run.Ledger, run.Clock, settings) : null;
                await WarmUpAsync(run, load, ct).ConfigureAwait(false);
                phase?.SetTag("drill.writes", run.Ledger.Snapshot().Count);
            }

            // Logical failover slots on every node just before the fault: was the slot on the node that is promoted?
            var slotNodes = target.DirectConnectionString is { } direct ? SplitBrainDetector.NodesOf(direct, run.Precondition.Members) : [];
            var slotsBefore = await FailoverSlots.ReadAsync(slotNodes, ct).ConfigureAwait(false);
            injectedAt = run.Clock.Elapsed;
            report = await new FaultStep(target, settings, _verification, logger, Http).RunAsync(run, report, ct).ConfigureAwait(false);
            await Task.Delay(settings.CoolDown, ct).ConfigureAwait(false);
            await load.StopAsync().ConfigureAwait(false);
            if (run.Service is { } callers)
            {
                await callers.StopAsync().ConfigureAwait(false);
            }

            using (var phase = _source.StartActivity("verify"))
            {
                report = await _verification.VerifyWritesAsync(run, report, phase, ct).ConfigureAwait(false);
                report = report with { FailoverSlots = FailoverSlots.Compare(slotsBefore, report.OldLeader, report.NewLeader, await FailoverSlots.ReadAsync(slotNodes, ct).ConfigureAwait(false)) };
            }

            report = await observers.StopAsync(report, injectedAt).ConfigureAwait(false);
            observers = null;
            report = DrillVerdict.Judge(report, run.Notes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Drill {RunId} failed", run.Id);
            report = report with { Outcome = DrillOutcome.Failed, Reason = ex.Message };
        }
        finally
        {
            if (observers is not null)
            {
                report = await observers.StopAsync(report, injectedAt).ConfigureAwait(false);
            }

            using (_source.StartActivity("cleanup"))
            {
                if (run.Service is { } callers)
                {
                    await callers.DisposeAsync().ConfigureAwait(false);
                }

                await DrillCleanup.RunAsync(target, load, run.Paths, run.Id, run.Notes).ConfigureAwait(false);
            }
        }

        return report;
    }

    /// <summary>Load phase: starts the writers and waits out the warm-up.</summary>
    internal async Task WarmUpAsync(DrillRun run, LoadGenerator load, CancellationToken ct)
    {
        load.Start();
        run.Service?.Start();
        var warmUpEnd = run.Clock.Elapsed + settings.WarmUp;
        await DrillPolling.WaitForAsync("every client path acknowledges writes before the fault", TimeSpan.FromSeconds(30) + settings.WarmUp, () =>
        {
            var acks = run.Ledger.Snapshot().Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
            return Task.FromResult(run.Clock.Elapsed >= warmUpEnd && run.PathNames.All(p => acks.Count(a => a.Path == p) >= 5));
        }, ct).ConfigureAwait(false);
    }

    /// <summary>A run id: what runs, the UTC start, a random suffix (the load's rows carry it).</summary>
    internal static string NewRunId(string what) => $"{what}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";

    private DrillReport Refuse(DrillReport report, string reason, Stopwatch clock, Activity? root)
    {
        logger.LogWarning("Drill {RunId} refused: {Reason}", report.RunId, reason);
        report = report with { Outcome = DrillOutcome.Refused, Reason = reason, DurationSeconds = clock.Elapsed.TotalSeconds };
        root?.SetTag("drill.outcome", "refused");
        metrics?.Record(report);
        return report;
    }

    private DrillReport Finish(DrillReport report, Activity? root)
    {
        root?.SetTag("drill.outcome", report.Outcome.ToString().ToLowerInvariant());
        if (report.Outcome != DrillOutcome.Passed)
        {
            root?.SetStatus(ActivityStatusCode.Error, report.Reason);
        }

        metrics?.Record(report);
        logger.LogInformation("Drill {RunId} {Outcome}{Reason}", report.RunId, report.Outcome, report.Reason is null ? "" : ": " + report.Reason);
        return report;
    }

    internal static DrillReport WithPrecondition(DrillReport report, DrillPrecondition pre) => report with
    {
        OldLeader = pre.Leader.Name,
        TimelineBefore = pre.Leader.Timeline,
        SynchronousMode = pre.Config.SynchronousMode,
        SynchronousModeName = pre.Config.SynchronousModeName,
        Ttl = pre.Ttl,
        LoopWait = pre.LoopWait,
        RetryTimeout = pre.RetryTimeout,
        Versions = pre.Versions,
    };

    /// <summary>
    /// A data source per client path: the pooled one first (setup and cleanup use it), the direct one last if there is
    /// one. The service's come from Aspire.Npgsql (<see cref="DrillTarget.PooledDataSource"/>); otherwise (the command
    /// line) they are made here, and cleanup disposes them.
    /// </summary>
    internal List<(string Path, NpgsqlDataSource Source)> OpenClientPaths()
    {
        var paths = new List<(string Path, NpgsqlDataSource Source)>
        {
            (PooledPath, target.PooledDataSource ?? LoadGenerator.CreateDataSource(target.PooledConnectionString, settings)),
        };
        if (target.DirectConnectionString is { } direct)
        {
            paths.Add((DirectPath, target.DirectDataSource ?? LoadGenerator.CreateDataSource(direct, settings)));
        }

        return paths;
    }

    internal PatroniClient CreatePatroniClient() => new(Http, target.PatroniUrls, target.Credentials);
}
