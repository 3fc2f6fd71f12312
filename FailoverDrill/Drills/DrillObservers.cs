using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// What watches a whole drill (or soak) beside the load: the <see cref="SplitBrainDetector"/> on every node, and in
/// synchronous mode the <see cref="SyncStandbySampler"/> on the primary. Started after setup, stopped before the
/// verdict; what they saw until a failure still goes into the report, and a sampling error never fails a drill.
/// </summary>
internal sealed class DrillObservers
{
    private static readonly TimeSpan s_syncInterval = TimeSpan.FromMilliseconds(200);

    private readonly CancellationTokenSource _stop;
    private readonly SplitBrainDetector? _detector;
    private readonly Task _detecting;
    private readonly SyncStandbySampler? _sync;
    private readonly Task _sampling;

    private DrillObservers(CancellationTokenSource stop, SplitBrainDetector? detector, SyncStandbySampler? sync)
    {
        _stop = stop;
        _detector = detector;
        _sync = sync;
        _detecting = detector?.RunAsync(stop.Token) ?? Task.CompletedTask;
        _sampling = sync?.RunAsync(stop.Token) ?? Task.CompletedTask;
    }

    public static DrillObservers Start(DrillTarget target, DrillSettings settings, DrillRun run, CancellationToken ct)
    {
        SplitBrainDetector? detector = null;
        if (target.DirectConnectionString is { } direct)
        {
            detector = new SplitBrainDetector(SplitBrainDetector.NodesOf(direct, run.Precondition.Members), run.Id, run.Clock, settings.PollInterval);
        }
        else
        {
            run.Notes.Add("no direct connection string: the split-brain detector did not run");
        }

        // The last path follows the primary without a pooler in between when there is a direct one.
        var sync = run.Precondition.Config.SynchronousMode ? new SyncStandbySampler(run.Paths[^1].Source, run.Clock, s_syncInterval) : null;
        return new DrillObservers(CancellationTokenSource.CreateLinkedTokenSource(ct), detector, sync);
    }

    /// <summary>Stops both and puts what they saw into <paramref name="report"/> (times relative to <paramref name="origin"/>).</summary>
    public async Task<DrillReport> StopAsync(DrillReport report, TimeSpan origin)
    {
        var (splitBrain, synchronous) = await StopAsync(origin).ConfigureAwait(false);
        return report with { SplitBrain = splitBrain, Synchronous = synchronous };
    }

    public async Task<(SplitBrainReport? SplitBrain, SynchronousReport? Synchronous)> StopAsync(TimeSpan origin)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _detecting, _sampling })
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
            {
                // What was sampled until then still stands.
            }
        }

        _stop.Dispose();
        SplitBrainReport? splitBrain = null;
        if (_detector is not null)
        {
            splitBrain = _detector.Report(origin);
            await _detector.DisposeAsync().ConfigureAwait(false);
        }

        return (splitBrain, _sync?.Report(origin));
    }
}
