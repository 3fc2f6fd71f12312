using System.Diagnostics;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Runs one drill: precondition → setup → load → inject → await new leader → measure → verify → rejoin → cleanup,
/// each phase a span of one trace. Used by the service and the CLI alike.
/// </summary>
/// <remarks>
/// This class is the orchestration: the phases in order, their spans, the report as it fills in. The work of the
/// phases is in <see cref="DrillPrecondition"/>, <see cref="LoadGenerator"/>, <see cref="FailoverMonitor"/>,
/// <see cref="DrillMeasurement"/>, <see cref="DrillVerification"/>, <see cref="DrillVerdict"/> and <see cref="DrillCleanup"/>.
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

    private HttpClient Http => http ?? s_http;

    /// <summary>Runs one drill of <paramref name="kind"/>; a refused or failed drill is a report too, not an exception.</summary>
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
    /// Setup to rejoin, then the verdict; any failure (except cancellation by <paramref name="ct"/>) makes the report
    /// <see cref="DrillOutcome.Failed"/>. Cleanup runs whatever happened, recovering the victim if the fault was injected
    /// but not yet recovered.
    /// </summary>
    private async Task<DrillReport> RunPhasesAsync(DrillRun run, DrillReport report, CancellationToken ct)
    {
        LoadGenerator? load = null;
        CancellationTokenSource? monitorStop = null;
        Task? monitorTask = null;
        SplitBrainDetector? detector = null;
        CancellationTokenSource? detectorStop = null;
        Task? detectorTask = null;
        var injectedAt = TimeSpan.Zero;
        var injected = false;
        var recovered = false;
        try
        {
            using (_source.StartActivity("setup"))
            {
                await LoadGenerator.EnsureTableAsync(run.Paths[0].Source, ct).ConfigureAwait(false);
                await SplitBrainDetector.EnsureTableAsync(run.Paths[0].Source, ct).ConfigureAwait(false);
            }

            // Every node, sampled directly for the whole drill: were two primaries ever taking writes?
            if (target.DirectConnectionString is { } direct)
            {
                detector = new SplitBrainDetector(SplitBrainDetector.NodesOf(direct, run.Precondition.Members), run.Id, run.Clock, settings.PollInterval);
                detectorStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                detectorTask = detector.RunAsync(detectorStop.Token);
            }
            else
            {
                run.Notes.Add("no direct connection string: the split-brain detector did not run");
            }

            Dictionary<string, string> oldServers;
            using (var phase = _source.StartActivity("load"))
            {
                load = new LoadGenerator(run.Id, run.Ledger, run.Clock, settings, run.Paths);
                oldServers = await WarmUpAsync(run, load, ct).ConfigureAwait(false);
                phase?.SetTag("drill.writes", run.Ledger.Snapshot().Count);
            }

            monitorStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var monitor = new FailoverMonitor(Http, target.PatroniUrls, run.OldLeader, run.Clock, settings.PollInterval);
            monitorTask = monitor.RunAsync(monitorStop.Token);
            using (var phase = _source.StartActivity("inject"))
            {
                injectedAt = run.Clock.Elapsed;
                injected = true;
                report = await InjectFaultAsync(run, report, phase, ct).ConfigureAwait(false);
            }

            using (var phase = _source.StartActivity("await-new-leader"))
            {
                report = await AwaitNewLeaderAsync(run, report, monitor, phase, ct).ConfigureAwait(false);
            }

            using (var phase = _source.StartActivity("measure"))
            {
                var pathReports = await DrillMeasurement.MeasurePathsAsync(run, settings, load, oldServers, injectedAt, ct).ConfigureAwait(false);
                await monitorStop.CancelAsync().ConfigureAwait(false);
                await monitorTask.ConfigureAwait(false);
                report = DrillMeasurement.WithFailoverTiming(run, report, pathReports, monitor, injectedAt, phase);
            }

            using (var phase = _source.StartActivity("verify"))
            {
                report = await _verification.VerifyWritesAsync(run, report, phase, ct).ConfigureAwait(false);
            }

            using (var phase = _source.StartActivity("rejoin"))
            {
                // Noted at once: if the rest of the phase fails, cleanup must not recover a second time.
                var recovery = await run.Injector.RecoverAsync(target, run.OldLeader, ct).ConfigureAwait(false);
                recovered = true;
                report = report with { Recovery = recovery };
                report = await _verification.VerifyRejoinAsync(run, report, injectedAt, phase, ct).ConfigureAwait(false);
            }

            report = report with { SplitBrain = await StopDetectorAsync(detector, detectorStop, detectorTask, injectedAt).ConfigureAwait(false) };
            detector = null;

            report = DrillVerdict.Judge(report, run.Notes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Drill {RunId} failed", run.Id);
            report = report with { Outcome = DrillOutcome.Failed, Reason = ex.Message };
        }
        finally
        {
            if (detector is not null)
            {
                report = report with { SplitBrain = await StopDetectorAsync(detector, detectorStop, detectorTask, injectedAt).ConfigureAwait(false) };
            }

            // A drill that failed before its measure phase must not leave the monitor polling Patroni.
            if (monitorStop is not null)
            {
                await monitorStop.CancelAsync().ConfigureAwait(false);
                await (monitorTask ?? Task.CompletedTask).ConfigureAwait(false);
                monitorStop.Dispose();
            }

            using (_source.StartActivity("cleanup"))
            {
                await DrillCleanup.RunAsync(target, load, run.Injector, injected && !recovered, run.OldLeader, run.Paths, run.Id, run.Notes).ConfigureAwait(false);
            }
        }

        return report;
    }

    /// <summary>Stops the split-brain detector and returns what it saw (null when it did not run).</summary>
    private static async Task<SplitBrainReport?> StopDetectorAsync(SplitBrainDetector? detector, CancellationTokenSource? stop, Task? running, TimeSpan injectedAt)
    {
        if (detector is null || stop is null)
        {
            return null;
        }

        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await (running ?? Task.CompletedTask).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // What it sampled until then still stands; a sampling error must not turn into the drill's failure.
        }

        stop.Dispose();
        var result = detector.Report(injectedAt);
        await detector.DisposeAsync().ConfigureAwait(false);
        return result;
    }

    /// <summary>Load phase: starts the writers and waits out the warm-up; returns the old leader's address per path.</summary>
    private async Task<Dictionary<string, string>> WarmUpAsync(DrillRun run, LoadGenerator load, CancellationToken ct)
    {
        load.Start();
        var warmUpEnd = run.Clock.Elapsed + settings.WarmUp;
        await DrillPolling.WaitForAsync("every client path acknowledges writes before the fault", TimeSpan.FromSeconds(30) + settings.WarmUp, () =>
        {
            var acks = run.Ledger.Snapshot().Where(r => r.Outcome == WriteOutcome.Acknowledged).ToList();
            return Task.FromResult(run.Clock.Elapsed >= warmUpEnd && run.Paths.All(p => acks.Count(a => a.Path == p.Path) >= 5));
        }, ct).ConfigureAwait(false);
        var oldServers = new Dictionary<string, string>();
        foreach (var (path, _) in run.Paths)
        {
            oldServers[path] = DrillMeasurement.OldServer(run.Ledger.Snapshot(), path);
        }

        return oldServers;
    }

    private async Task<DrillReport> InjectFaultAsync(DrillRun run, DrillReport report, Activity? phase, CancellationToken ct)
    {
        var result = await run.Injector.InjectAsync(target, run.Patroni, run.OldLeader, settings, ct).ConfigureAwait(false);
        phase?.SetTag("drill.injection", result.Description);
        report = report with { Injection = result.Description };
        logger.LogInformation("Drill {RunId}: {Injection}", run.Id, result.Description);
        return report;
    }

    private async Task<DrillReport> AwaitNewLeaderAsync(DrillRun run, DrillReport report, FailoverMonitor monitor, Activity? phase, CancellationToken ct)
    {
        var limit = TimeSpan.FromSeconds(run.Precondition.Ttl) + settings.NewLeaderGrace;
        await DrillPolling.WaitForAsync($"a new leader within {limit.TotalSeconds:0} s", limit, () => Task.FromResult(monitor.NewLeaderAt is not null), ct).ConfigureAwait(false);
        phase?.SetTag("drill.new_leader", monitor.NewLeader);
        return report with { NewLeader = monitor.NewLeader, TimelineAfter = monitor.NewLeaderTimeline };
    }

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

    private static DrillReport WithPrecondition(DrillReport report, DrillPrecondition pre) => report with
    {
        OldLeader = pre.Leader.Name,
        TimelineBefore = pre.Leader.Timeline,
        SynchronousMode = pre.Config.SynchronousMode,
        SynchronousModeName = pre.Config.SynchronousModeName,
        Ttl = pre.Ttl,
        LoopWait = pre.LoopWait,
        RetryTimeout = pre.RetryTimeout,
    };

    /// <summary>
    /// A data source per client path: the pooled one first (setup and cleanup use it), the direct one last if there is
    /// one. The service's come from Aspire.Npgsql (<see cref="DrillTarget.PooledDataSource"/>); otherwise (the command
    /// line) they are made here, and cleanup disposes them.
    /// </summary>
    private List<(string Path, NpgsqlDataSource Source)> OpenClientPaths()
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

    private PatroniClient CreatePatroniClient() => new(Http, target.PatroniUrls, target.Credentials);
}
