namespace HaStack.Hosting;

/// <summary>One drill as a dashboard command on the FailoverDrill resource.</summary>
/// <param name="Kind">The drill kind's name, as in <c>POST /drills/{kind}</c>.</param>
/// <param name="DisplayName">The command's label.</param>
/// <param name="Description">What it does to the cluster (the command's tooltip).</param>
/// <param name="Confirmation">Asked before a fault that kills, freezes or cuts off a container; null for a planned switchover.</param>
/// <param name="Icon">A Fluent UI icon name.</param>
/// <param name="Variant">A variant of the kind (its command name's suffix), sent as <c>switchover=</c>; null: the kind's default.</param>
internal sealed record DrillCommand(string Kind, string DisplayName, string Description, string? Confirmation, string Icon, string? Variant = null)
{
    /// <summary>The command's name: <c>{kind}-drill</c>, or <c>{kind}-{variant}-drill</c>.</summary>
    public string Name => Variant is null ? $"{Kind}-drill" : $"{Kind}-{Variant}-drill";

    /// <summary>What the command adds to the request's query.</summary>
    public string Query => Variant is null ? "" : $"&switchover={Variant}";

    public static IReadOnlyList<DrillCommand> All { get; } =
    [
        new("switchover", "Switchover drill", "Planned switchover under write load, with PgBouncer's read-write database paused around the handover: pooled clients wait, none fails.", null, "ArrowSwap"),
        new("switchover", "Plain switchover drill", "Planned switchover through Patroni's REST API alone, for comparison: pooled clients on the old leader see errors.", null, "ArrowSwap", "plain"),
        new("crash", "Crash drill", "Kills the leader's container under write load and checks that no acknowledged write was lost.",
            "Kill the current leader's container (docker kill) under write load?", "Flash"),
        new("partition", "Partition drill", "Cuts the leader off from everything (packet filter in its network namespace) until a replica takes over, then heals it.",
            "Cut the current leader off the network under write load?", "PlugDisconnected"),
        new("dcs-partition", "DCS partition drill", "Cuts the leader off from etcd only, past the ttl: clients and replicas still reach it.",
            "Cut the current leader off from etcd under write load?", "CloudOff"),
        new("freeze", "Freeze drill", "Pauses the leader's container until a replica takes over, then resumes it: it must come back as a replica.",
            "Pause the current leader's container (docker pause) under write load?", "Pause"),
        new("replica-loss", "Replica loss drill", "Kills the synchronous standby, holds, starts it again: the leader must stay, and strict mode must stall rather than go asynchronous.",
            "Kill the synchronous standby's container under write load?", "DatabaseWarning"),
        new("etcd-member-loss", "etcd member loss drill", "Kills one etcd member (the etcd leader): no failover and no write gap beyond a second.",
            "Kill one etcd member under write load?", "ServerSurface"),
        new("etcd-quorum-loss", "etcd quorum loss drill", "Kills two of three etcd members past the ttl: records whether writes continue (failsafe) and that nothing is lost.",
            "Kill a majority of etcd under write load?", "ServerSurfaceMultiple"),
    ];
}
