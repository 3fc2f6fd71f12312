namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// A frozen leader: its container is paused (<c>docker pause</c>: every process stopped by the cgroup freezer, its
/// sockets open) until another member holds the lock, then resumed. It must come back as a replica and never take
/// writes as a second primary: the split-brain detector is watching it as it wakes.
/// </summary>
public sealed class FreezeInjector : IFaultInjector
{
    private string? _frozen;

    public DrillKind Kind => DrillKind.Freeze;

    public FaultEffect Effect => FaultEffect.Failover;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => TimeSpan.Zero;

    public Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct) => Task.FromResult<string?>(null);

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        var container = ContainerEngine.ContainerOf(context.Target, context.Leader);
        _frozen = context.Leader;
        var command = await ContainerEngine.RunAsync(context.Target, ct, "pause", container).ConfigureAwait(false);
        return new InjectionResult($"froze {context.Leader}: {command}", [context.Leader]);
    }

    public async Task<string?> HealAsync(DrillTarget target, CancellationToken ct)
    {
        if (_frozen is null)
        {
            return null;
        }

        var command = await ContainerEngine.RunAsync(target, ct, "unpause", ContainerEngine.ContainerOf(target, _frozen)).ConfigureAwait(false);
        _frozen = null;
        return command;
    }
}
