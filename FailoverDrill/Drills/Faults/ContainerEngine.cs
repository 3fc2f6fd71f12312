namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Runs the container engine (<see cref="DrillTarget.Engine"/>) for the faults the drill injects itself: pause and
/// unpause, and a one-off container in a victim's network namespace. Arguments are a list, never a shell line, and
/// every container name is checked to be a plain name first.
/// </summary>
internal static class ContainerEngine
{
    /// <summary>The container of <paramref name="member"/>, refused unless it is a plain name.</summary>
    public static string ContainerOf(DrillTarget target, string member)
    {
        var container = target.ContainerOf(member);
        if ((HookCommand.UnsafeNameReason("member", member) ?? HookCommand.UnsafeNameReason("container", container)) is { } reason)
        {
            throw new DrillRefusedException(reason);
        }

        return container;
    }

    /// <summary>Runs <c>engine args…</c>; returns the command as the report shows it.</summary>
    public static async Task<string> RunAsync(DrillTarget target, CancellationToken ct, params string[] arguments)
    {
        IReadOnlyList<string> command = [target.Engine, .. arguments];
        await HookCommand.RunAsync(command, ct).ConfigureAwait(false);
        return HookCommand.Describe(command);
    }

    /// <summary>Runs an operator hook (kill, start) against <paramref name="member"/>; returns it as the report shows it.</summary>
    public static async Task<string> RunHookAsync(IReadOnlyList<string> template, DrillTarget target, string member, CancellationToken ct)
    {
        var command = HookCommand.Expand(template, member, target.ContainerOf(member));
        await HookCommand.RunAsync(command, ct).ConfigureAwait(false);
        return HookCommand.Describe(command);
    }
}
