using System.Diagnostics;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// One fault on a cluster under load, from injection to healthy again: inject → (await the new leader and every path
/// writing to it | hold the fault) → heal → writes resume → every member streams again → measure. The load, the
/// ledger and the detectors belong to the caller: <see cref="DrillRunner"/> runs one step per drill, the chaos soak
/// many with its writers always on. A fault injected but not healed (the step failed or was cancelled) is healed in
/// the step's own <c>finally</c>.
/// </summary>
internal sealed class FaultStep(DrillTarget target, DrillSettings settings, DrillVerification verification, ILogger logger, HttpClient http)
{
    private static readonly ActivitySource s_source = DrillMetrics.ActivitySource;

    /// <summary>How far back the writes that tell each path's old server reach.</summary>
    private static readonly TimeSpan s_oldServerWindow = TimeSpan.FromSeconds(3);

    public async Task<DrillReport> RunAsync(DrillRun run, DrillReport report, CancellationToken ct)
    {
        var injector = run.Injector;
        var pre = run.Precondition;
        var since = run.Clock.Elapsed - s_oldServerWindow;
        var before = run.Ledger.Snapshot();
        var oldServers = run.Paths.ToDictionary(p => p.Path, p => DrillMeasurement.OldServer(before, p.Path, since));
        using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var monitor = new FailoverMonitor(http, target.PatroniUrls, run.OldLeader, run.Clock, settings.PollInterval);
        var monitorTask = monitor.RunAsync(monitorStop.Token);
        var injected = false;
        var healed = false;
        try
        {
            var injectedAt = run.Clock.Elapsed;
            var injectedAtWall = DateTimeOffset.UtcNow;
            InjectionResult injection;
            using (var phase = s_source.StartActivity("inject"))
            {
                injected = true;
                injection = await injector.InjectAsync(new FaultContext(target, run.Patroni, pre.Cluster, run.OldLeader, settings, http), ct).ConfigureAwait(false);
                phase?.SetTag("drill.injection", injection.Description);
                logger.LogInformation("Drill {RunId}: {Injection}", run.Id, injection.Description);
            }

            if (injector.Effect == FaultEffect.Failover)
            {
                await AwaitFailoverAsync(run, monitor, oldServers, injectedAt, ct).ConfigureAwait(false);
            }
            else
            {
                var hold = settings.FaultHold ?? injector.Hold(pre.Ttl, pre.LoopWait, pre.RetryTimeout);
                using var phase = s_source.StartActivity("hold");
                phase?.SetTag("drill.hold_seconds", hold.TotalSeconds);
                await Task.Delay(hold, ct).ConfigureAwait(false);
            }

            var heldUntil = run.Clock.Elapsed;
            string? recovery;
            using (s_source.StartActivity("heal"))
            {
                recovery = await injector.HealAsync(target, ct).ConfigureAwait(false);
                healed = true;
            }

            var healedAt = run.Clock.Elapsed;
            var resumed = await WritesResumeAsync(run, healedAt, ct).ConfigureAwait(false);
            (bool Streaming, bool? EtcdHealthy) healthy;
            using (var phase = s_source.StartActivity("rejoin"))
            {
                healthy = await verification.WaitUntilHealedAsync(run, http, ct).ConfigureAwait(false);
                phase?.SetTag("drill.every_member_streaming", healthy.Streaming);
            }

            var healthyAt = run.Clock.Elapsed;
            await monitorStop.CancelAsync().ConfigureAwait(false);
            await monitorTask.ConfigureAwait(false);

            using var measure = s_source.StartActivity("measure");
            var records = run.Ledger.Snapshot().Where(r => r.Started >= since).ToList();
            var paths = run.Paths.Select(p => injector.Effect == FaultEffect.Failover
                    ? DrillMeasurement.MeasurePath(records, p.Path, oldServers[p.Path], injectedAt, run.Notes)
                    : DrillMeasurement.MeasureContinuity(records, p.Path, injectedAt, healthyAt))
                .ToList();
            // The service does not say which node stored a write: its RTO is the end of its longest gap.
            ServiceReport? service = null;
            if (run.Service is not null && target.Service is { } measured)
            {
                paths.Add(DrillMeasurement.MeasureContinuity(records, ServiceTarget.PathName, injectedAt, healthyAt));
                service = DrillMeasurement.MeasureService(run.Ledger.Snapshot(), measured, injectedAt, healthyAt);
            }

            foreach (var p in paths)
            {
                measure?.SetTag($"drill.rto.{p.Path}", p.RtoSeconds);
            }

            var detection = DrillMeasurement.Since(monitor.DetectedAt, injectedAt);
            var lockState = monitor.NewLeader is null && detection is not null
                ? $"lost after {detection:0.0} s, taken again by {run.OldLeader}"
                : DrillMeasurement.LeaderLock(run.Kind, detection, pre.Ttl, pre.LoopWait, target.FencedFailover, run.Notes);
            var held = heldUntil - injectedAt;
            var continued = DrillMeasurement.EveryPathAcknowledged(records, run.PathNames, injectedAt + (held * 0.75), heldUntil);
            return report with
            {
                InjectedAt = injectedAtWall,
                Injection = injection.Description,
                Pause = injection.Pause,
                Recovery = recovery,
                Fault = new FaultReport(injector.Effect, injection.Victims, Math.Round(held.TotalSeconds, 3), monitor.NewLeader is not null, continued),
                NewLeader = monitor.NewLeader,
                TimelineAfter = monitor.NewLeaderTimeline ?? await LeaderTimelineAsync(run, ct).ConfigureAwait(false),
                Paths = paths,
                Service = service,
                Timing = new FailoverTiming(detection, DrillMeasurement.Since(monitor.NewLeaderAt, injectedAt), healthy.Streaming ? DrillMeasurement.Since(healthyAt, injectedAt) : null, lockState),
                WritesResumed = resumed && paths.All(p => p.RtoSeconds is not null),
                EveryMemberStreaming = healthy.Streaming,
                EtcdHealthy = healthy.EtcdHealthy,
                WritablePrimaries = await verification.CountWritablePrimariesAsync(run.Patroni, run.Notes, ct).ConfigureAwait(false),
            };
        }
        finally
        {
            await monitorStop.CancelAsync().ConfigureAwait(false);
            await monitorTask.ConfigureAwait(false);
            if (injected && !healed)
            {
                await HealAfterFailureAsync(run).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Failover kinds: another member takes the lock, then every client path writes to it.</summary>
    private async Task AwaitFailoverAsync(DrillRun run, FailoverMonitor monitor, Dictionary<string, string> oldServers, TimeSpan injectedAt, CancellationToken ct)
    {
        using (var phase = s_source.StartActivity("await-new-leader"))
        {
            var limit = TimeSpan.FromSeconds(run.Precondition.Ttl) + settings.NewLeaderGrace;
            await DrillPolling.WaitForAsync($"a new leader within {limit.TotalSeconds:0} s", limit, () => Task.FromResult(monitor.NewLeaderAt is not null), ct).ConfigureAwait(false);
            phase?.SetTag("drill.new_leader", monitor.NewLeader);
        }

        using (s_source.StartActivity("clients-follow"))
        {
            await DrillPolling.WaitForAsync("every client path writes to the new leader", settings.ClientRecovery, () =>
                Task.FromResult(run.Paths.All(p => DrillMeasurement.FirstAckOnNewLeader(run.Ledger.Snapshot(), p.Path, oldServers[p.Path], injectedAt) is not null)), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Every client path has a write started after the heal and acknowledged (false when not within <see cref="DrillSettings.ClientRecovery"/>).</summary>
    private async Task<bool> WritesResumeAsync(DrillRun run, TimeSpan healedAt, CancellationToken ct)
    {
        using var phase = s_source.StartActivity("resume");
        try
        {
            await DrillPolling.WaitForAsync("every client path writes again after the heal", settings.ClientRecovery, () =>
                Task.FromResult(run.PathNames.All(p => run.Ledger.Snapshot().Any(r => r.Path == p && r.Outcome == WriteOutcome.Acknowledged && r.Started >= healedAt))), ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            run.Notes.Add($"writes did not resume on every path within {settings.ClientRecovery.TotalSeconds:0} s of the heal");
            return false;
        }
    }

    private static async Task<long?> LeaderTimelineAsync(DrillRun run, CancellationToken ct)
    {
        try
        {
            return (await run.Patroni.GetClusterAsync(ct).ConfigureAwait(false)).Leader?.Timeline;
        }
        catch (PatroniApiException)
        {
            return null;
        }
    }

    /// <summary>The step failed after the fault: still heal it (own 30 s budget, even when cancelled), so the cluster can recover.</summary>
    private async Task HealAfterFailureAsync(DrillRun run)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (await run.Injector.HealAsync(target, cts.Token).ConfigureAwait(false) is { } recovery)
            {
                run.Notes.Add($"healed after failure: {recovery}");
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or DrillRefusedException)
        {
            run.Notes.Add($"could not heal the fault: {ex.Message}");
        }
    }
}
