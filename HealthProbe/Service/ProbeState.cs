using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Service;

/// <summary>The last report, shared by the worker (writer) and the endpoints, health check and metrics (readers).</summary>
public sealed class ProbeState
{
    private volatile ProbeReport? _last;

    public ProbeReport? Last => _last;

    public void Publish(ProbeReport report) => _last = report;
}
