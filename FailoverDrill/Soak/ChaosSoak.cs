using System.Diagnostics;
using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Soak;

/// <summary>
/// A chaos soak: for <c>duration</c>, faults drawn from a seeded random sequence of the drill kinds, one at a time.
/// Before each, the soak waits until the kind's precondition holds (the cluster is healthy again); each runs as a
/// <see cref="FaultStep"/> that heals it. The writers of both client paths, the split-brain detector and the
/// synchronous-standby sampler run without a pause from the first fault to the last, and one set checker judges every
/// write at the end (lost, unknown, recovered, duplicates), then each fault on the writes started in its window.
/// The same seed draws the same faults in the same order.
/// </summary>
public sealed class ChaosSoak(DrillTarget target, DrillSettings settings, DrillMetrics? metrics, ILogger logger, HttpClient? http = null)
{
    /// <summary>How long the soak waits for a healthy cluster before a fault; past it the soak stops, failed.</summary>
    public static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(180);

    private readonly DrillRunner _runner = new(target, settings, metrics, logger, http);

    /// <summary>Every kind a soak may draw, when the target allows it.</summary>
    public static IReadOnlyList<DrillKind> AllKinds { get; } = Enum.GetValues<DrillKind>();

    /// <summary>The faults <paramref name="seed"/> draws from <paramref name="kinds"/>, in order, without end.</summary>
    public static IEnumerable<DrillKind> Sequence(int seed, IReadOnlyList<DrillKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var random = new Random(seed);
        while (true)
        {
            yield return kinds[random.Next(kinds.Count)];
        }
    }

    /// <summary>Why the target cannot run <paramref name="kind"/> at all (a hook, image or etcd URL it lacks); null: it can.</summary>
    public static string? Unsupported(DrillTarget target, DrillKind kind)
    {
        ArgumentNullException.ThrowIfNull(target);
        bool kill = target.KillCommand is { Count: > 0 }, start = target.StartCommand is { Count: > 0 };
        return kind switch
        {
            DrillKind.Switchover when target.RestPassword is null => "no Patroni REST password",
            DrillKind.Crash when !kill || !start => "no kill and start command",
            DrillKind.ReplicaLoss when !kill || !start => "no kill and start command",
            DrillKind.Partition or DrillKind.DcsPartition when target.FaultImage is null => "no fault image",
            DrillKind.EtcdMemberLoss when !kill || !start || target.EtcdMembers.Count < 3 => "needs kill and start commands and 3 etcd members",
            DrillKind.EtcdQuorumLoss when !kill || !start || target.EtcdMembers.Count == 0 => "needs kill and start commands and the etcd members",
            _ => null,
        };
    }

    public async Task<SoakReport> RunAsync(TimeSpan duration, int seed, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var runId = DrillRunner.NewRunId("chaos");
        var kinds = AllKinds.Where(k => Unsupported(target, k) is null).ToList();
        var notes = AllKinds.Where(k => Unsupported(target, k) is not null).Select(k => $"{DrillKinds.Name(k)} not drawn: {Unsupported(target, k)}").ToList();
        var report = new SoakReport { RunId = runId, Seed = seed, StartedAt = DateTimeOffset.UtcNow, RequestedSeconds = duration.TotalSeconds, Kinds = kinds };
        if (kinds.Count == 0)
        {
            return report with { Outcome = DrillOutcome.Refused, Reason = "no fault kind can be injected with these options", Notes = notes };
        }

        var sequence = Sequence(seed, kinds).GetEnumerator();
        sequence.MoveNext();
        var patroni = _runner.CreatePatroniClient();
        DrillPrecondition first;
        try
        {
            first = await DrillPrecondition.CheckAsync(target, settings, _runner.Http, FaultInjectors.For(sequence.Current), patroni, ct).ConfigureAwait(false);
        }
        catch (DrillRefusedException ex)
        {
            return report with { Outcome = DrillOutcome.Refused, Reason = ex.Message, Notes = notes };
        }

        var run = new DrillRun(runId, sequence.Current, clock, FaultInjectors.For(sequence.Current), patroni, first, new WriteLedger(), _runner.OpenClientPaths(), notes);
        var verification = new DrillVerification(target, settings, logger);
        var step = new FaultStep(target, settings, verification, logger, _runner.Http);
        var faults = new List<(double Started, DrillReport Report)>();
        LoadGenerator? load = null;
        DrillObservers? observers = null;
        report = report with { SynchronousModeName = first.Config.SynchronousModeName };
        try
        {
            await LoadGenerator.EnsureTableAsync(run.Paths[0].Source, ct).ConfigureAwait(false);
            await SplitBrainDetector.EnsureTableAsync(run.Paths[0].Source, ct).ConfigureAwait(false);
            observers = DrillObservers.Start(target, settings, run, ct);
            load = new LoadGenerator(runId, run.Ledger, clock, settings, run.Paths);
            run.Service = target.Service is { } service ? new ServiceLoad(service, _runner.Http, run.Ledger, clock, settings) : null;
            await _runner.WarmUpAsync(run, load, ct).ConfigureAwait(false);
            var firstFaultAt = clock.Elapsed;
            var pre = first;
            for (var index = 1; clock.Elapsed < duration; index++)
            {
                var started = clock.Elapsed;
                var kind = sequence.Current;
                if (index > 1)
                {
                    sequence.MoveNext();
                    kind = sequence.Current;
                    if (await WaitForPreconditionAsync(kind, patroni, notes, ct).ConfigureAwait(false) is not { } ready)
                    {
                        break;
                    }

                    pre = ready;
                }

                load.SetTimeout(DrillRunner.PooledPath, settings.PooledWriteTimeout(kind, target));
                faults.Add((started.TotalSeconds, await RunFaultAsync(step, run, kind, pre, index, ct).ConfigureAwait(false)));
                load.SetTimeout(DrillRunner.PooledPath, null);
            }

            await Task.Delay(settings.CoolDown, ct).ConfigureAwait(false);
            await load.StopAsync().ConfigureAwait(false);
            var stored = await verification.ReadStoredWritesAsync(run.Paths[^1].Source, runId, ct).ConfigureAwait(false);
            ServiceReport? measured = null;
            if (run.Service is { } callers && target.Service is { } measuredService)
            {
                await callers.StopAsync().ConfigureAwait(false);
                stored.AddRange(await verification.ReadServiceWritesAsync(callers, run.Paths[^1].Source, ct).ConfigureAwait(false));
                measured = DrillMeasurement.MeasureService(run.Ledger.Snapshot(), measuredService, firstFaultAt, clock.Elapsed);
            }

            var (splitBrain, synchronous) = await observers.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            observers = null;
            var check = LedgerChecker.Check(run.Ledger.Snapshot(), stored);
            report = Judge(report with
            {
                Check = check,
                Service = measured is null || run.Service is not { } measuredCallers ? null : measuredCallers.Checked(measured, check, run.Ledger.Snapshot(), stored),
                SplitBrain = splitBrain,
                Synchronous = synchronous,
                Faults = Windows(faults, run.Ledger.Snapshot(), [.. stored], splitBrain, clock.Elapsed.TotalSeconds),
            }, notes);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(ex, "Soak {RunId} failed", runId);
            report = report with { Outcome = DrillOutcome.Failed, Reason = ex.Message, Faults = [.. faults.Select((f, i) => new SoakFault(i + 1, f.Started, f.Report, 0, 0, 0, 0))] };
        }
        finally
        {
            if (observers is not null)
            {
                await observers.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            }

            if (run.Service is { } callers)
            {
                await callers.DisposeAsync().ConfigureAwait(false);
            }

            await DrillCleanup.RunAsync(target, load, run.Paths, runId, notes).ConfigureAwait(false);
        }

        report = report with { DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1), Notes = notes };
        metrics?.RecordSoak(report);
        logger.LogInformation("Soak {RunId} {Outcome}{Reason}", runId, report.Outcome, report.Reason is null ? "" : ": " + report.Reason);
        return report;
    }

    /// <summary>The kind's precondition once it holds (the cluster healed), or null after <see cref="HealthyTimeout"/> (noted).</summary>
    private async Task<DrillPrecondition?> WaitForPreconditionAsync(DrillKind kind, PatroniClient patroni, List<string> notes, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        var reason = "";
        while (waited.Elapsed < HealthyTimeout)
        {
            try
            {
                return await DrillPrecondition.CheckAsync(target, settings, _runner.Http, FaultInjectors.For(kind), patroni, ct).ConfigureAwait(false);
            }
            catch (DrillRefusedException ex)
            {
                reason = ex.Message;
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }

        notes.Add($"stopped early: the cluster was not ready for {DrillKinds.Name(kind)} within {HealthyTimeout.TotalSeconds:0} s ({reason})");
        return null;
    }

    /// <summary>One fault of the soak; a failure is its report's, the soak goes on.</summary>
    private async Task<DrillReport> RunFaultAsync(FaultStep step, DrillRun run, DrillKind kind, DrillPrecondition pre, int index, CancellationToken ct)
    {
        var faultRun = run with { Kind = kind, Injector = FaultInjectors.For(kind), Precondition = pre, Notes = [] };
        var report = DrillRunner.WithPrecondition(new DrillReport { RunId = $"{run.Id}#{index}", Kind = kind, StartedAt = DateTimeOffset.UtcNow }, pre);
        var started = run.Clock.Elapsed;
        logger.LogInformation("Soak {RunId}: fault {Index}, {Kind}", run.Id, index, DrillKinds.Name(kind));
        try
        {
            report = await step.RunAsync(faultRun, report, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Soak {RunId}: fault {Index} ({Kind}) failed: {Reason}", run.Id, index, DrillKinds.Name(kind), ex.Message);
            report = report with { Outcome = DrillOutcome.Failed, Reason = ex.Message };
        }

        return report with { DurationSeconds = Math.Round((run.Clock.Elapsed - started).TotalSeconds, 1), Notes = faultRun.Notes };
    }

    /// <summary>Each fault judged on the writes started in its window (its start to the next one's; the first from the soak's start), with the split-brain time in it.</summary>
    private List<SoakFault> Windows(List<(double Started, DrillReport Report)> faults, IReadOnlyList<WriteRecord> ledger, HashSet<WriteKey> stored,
        SplitBrainReport? splitBrain, double end)
    {
        var result = new List<SoakFault>();
        for (var i = 0; i < faults.Count; i++)
        {
            // The first window reaches back to the soak's start: its warm-up writes are checked too.
            var (started, report) = faults[i];
            var from = i == 0 ? 0 : started;
            var to = i + 1 < faults.Count ? faults[i + 1].Started : end;
            var mine = ledger.Where(r => r.Started.TotalSeconds >= from && r.Started.TotalSeconds < to).ToList();
            var check = LedgerChecker.Check(mine, mine.Where(r => stored.Contains(r.Key)).Select(r => r.Key).Distinct());
            var overlap = splitBrain is null ? 0 : LongestOverlap(splitBrain.Timeline, from, to, end);
            if (report.Outcome != DrillOutcome.Failed || report.Check is not null)
            {
                var notes = report.Notes.ToList();
                report = DrillVerdict.Judge(report with { Check = check, SplitBrain = splitBrain is null ? null : splitBrain with { LongestSeconds = overlap } }, notes) with { Notes = notes };
            }
            else
            {
                report = report with { Check = check };
            }

            result.Add(new SoakFault(i + 1, Math.Round(started, 1), report, check.Lost.Count, check.Unknown, check.UnknownPresent, overlap));
            metrics?.Record(report);
        }

        return result;
    }

    /// <summary>The soak's verdict: every fault passed, and over the whole run nothing lost (in synchronous mode), duplicated or invented, and no split brain.</summary>
    private static SoakReport Judge(SoakReport report, List<string> notes)
    {
        var problems = new List<string>();
        var check = report.Check!;
        var synchronous = report.SynchronousModeName is not (null or "off");
        if (check.Lost.Count > 0)
        {
            if (synchronous)
            {
                problems.Add($"{check.Lost.Count} acknowledged writes lost");
            }
            else
            {
                notes.Add($"asynchronous replication: {check.Lost.Count} acknowledged writes lost (possible without synchronous_mode)");
            }
        }

        if (check.Duplicates.Count > 0 || check.FailedButPresent.Count > 0 || check.Unexpected.Count > 0)
        {
            problems.Add($"{check.Duplicates.Count} duplicates, {check.FailedButPresent.Count} failed-but-present, {check.Unexpected.Count} unexpected writes");
        }

        if (report.SplitBrain is { LongestSeconds: > 0 } splitBrain)
        {
            problems.Add($"two primaries committed writes at once for {splitBrain.LongestSeconds:0.0} s");
        }

        var failed = report.Faults.Where(f => f.Report.Outcome != DrillOutcome.Passed).ToList();
        if (failed.Count > 0)
        {
            problems.Add($"{failed.Count} of {report.Faults.Count} faults failed (#{string.Join(", #", failed.Select(f => f.Index))})");
        }

        if (report.Faults.Count == 0)
        {
            problems.Add("no fault ran");
        }

        if (notes.Any(n => n.StartsWith("stopped early", StringComparison.Ordinal)))
        {
            problems.Add("the cluster did not become ready again between faults");
        }

        return problems.Count == 0
            ? report with { Outcome = DrillOutcome.Passed }
            : report with { Outcome = DrillOutcome.Failed, Reason = string.Join("; ", problems) };
    }

    /// <summary>The longest stretch within [<paramref name="from"/>, <paramref name="to"/>) in which the timeline shows two primaries committing.</summary>
    internal static double LongestOverlap(IReadOnlyList<PrimarySpan> timeline, double from, double to, double end)
    {
        var longest = 0.0;
        for (var i = 0; i < timeline.Count; i++)
        {
            if (!timeline[i].Primaries.Contains('+', StringComparison.Ordinal))
            {
                continue;
            }

            var spanEnd = i + 1 < timeline.Count ? timeline[i + 1].FromSeconds : end;
            longest = Math.Max(longest, Math.Min(spanEnd, to) - Math.Max(timeline[i].FromSeconds, from));
        }

        return Math.Round(Math.Max(0, longest), 3);
    }
}
