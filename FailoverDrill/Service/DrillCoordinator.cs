using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Service;

/// <summary>
/// Runs at most one drill at a time, on request only (nothing here starts a drill by itself), and keeps the last
/// report. Drills run on the host's lifetime, not the request's: a closed dashboard does not abort one halfway.
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

    /// <summary>Starts a drill, or returns null when one is already running.</summary>
    public Task<DrillReport>? TryStart(DrillKind kind)
    {
        if (!_gate.Wait(0))
        {
            return null;
        }

        Running = kind;
        return Task.Run(async () =>
        {
            try
            {
                var report = await new DrillRunner(target, settings, metrics, logger, httpClientFactory.CreateClient(nameof(DrillRunner))).RunAsync(kind, lifetime.ApplicationStopping).ConfigureAwait(false);
                Last = report;
                return report;
            }
            finally
            {
                Running = null;
                _gate.Release();
            }
        });
    }
}
