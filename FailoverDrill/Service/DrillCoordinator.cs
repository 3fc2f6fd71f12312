using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Service;

/// <summary>
/// Runs at most one drill or chaos soak at a time, on request only (nothing here starts one by itself), and keeps the
/// last report of each. Drills run on the host's lifetime, not the request's: a closed dashboard does not abort one halfway.
/// </summary>
public sealed class DrillCoordinator(
    DrillTarget target,
    DrillSettings settings,
    DrillMetrics metrics,
    IHostApplicationLifetime lifetime,
    IHttpClientFactory httpClientFactory,
    ILogger<DrillCoordinator> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public DrillReport? Last { get; private set; }

    public DrillKind? Running { get; private set; }

    /// <summary>What runs now, as the API names it: a drill kind, <c>chaos</c>, or null.</summary>
    public string? RunningName { get; private set; }

    public Soak.SoakReport? LastSoak { get; private set; }

    /// <summary>Starts a drill (a switchover in <paramref name="switchover"/> mode, null: the default), or returns null when one is already running.</summary>
    public Task<DrillReport>? TryStart(DrillKind kind, SwitchoverMode? switchover = null)
    {
        if (!_gate.Wait(0))
        {
            return null;
        }

        Running = kind;
        RunningName = DrillKinds.Name(kind);
        return Task.Run(async () =>
        {
            try
            {
                var report = await new DrillRunner(target, switchover is null ? settings : settings with { Switchover = switchover }, metrics, logger, httpClientFactory.CreateClient(nameof(DrillRunner))).RunAsync(kind, lifetime.ApplicationStopping).ConfigureAwait(false);
                Last = report;
                return report;
            }
            finally
            {
                Running = null;
                RunningName = null;
                _gate.Release();
            }
        });
    }

    /// <summary>Starts a chaos soak (no drill runs meanwhile), or returns null when a drill or soak is already running.</summary>
    public Task<Soak.SoakReport>? TryStartSoak(TimeSpan duration, int seed)
    {
        if (!_gate.Wait(0))
        {
            return null;
        }

        RunningName = "chaos";
        return Task.Run(async () =>
        {
            try
            {
                var soak = new Soak.ChaosSoak(target, settings, metrics, logger, httpClientFactory.CreateClient(nameof(DrillRunner)));
                var report = await soak.RunAsync(duration, seed, lifetime.ApplicationStopping).ConfigureAwait(false);
                LastSoak = report;
                return report;
            }
            finally
            {
                RunningName = null;
                _gate.Release();
            }
        });
    }
}
