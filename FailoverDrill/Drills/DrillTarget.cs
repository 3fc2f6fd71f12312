namespace HaStack.FailoverDrill.Drills;

/// <summary>Everything a drill needs to reach a Patroni cluster and its clients.</summary>
/// <param name="PatroniUrls">Patroni REST API of each node (any subset that includes the survivors works).</param>
/// <param name="PooledConnectionString">The application's pooled read-write path (PgBouncer → router → leader).</param>
/// <param name="DirectConnectionString">Optional direct multi-host path (Npgsql, <c>Target Session Attributes=primary</c>).</param>
/// <param name="RestUser">Patroni REST user for switchover (basic auth).</param>
/// <param name="RestPassword">Patroni REST password.</param>
/// <param name="KillCommand">Program and arguments that kill a node abruptly (<see cref="HookCommand"/>, no shell): <c>{member}</c> is the Patroni member, <c>{container}</c> its container.</param>
/// <param name="StartCommand">Program and arguments that bring a killed node back (same placeholders); none: something else restarts it.</param>
/// <param name="Containers">Member name → container name (default: the member name).</param>
/// <param name="HealthProbeUrl">Optional HealthProbe base URL: an <c>Unhealthy</c> verdict at <c>/status</c> blocks a drill.</param>
public sealed record DrillTarget(
    IReadOnlyList<Uri> PatroniUrls,
    string PooledConnectionString,
    string? DirectConnectionString = null,
    string? RestUser = null,
    string? RestPassword = null,
    IReadOnlyList<string>? KillCommand = null,
    IReadOnlyList<string>? StartCommand = null,
    IReadOnlyDictionary<string, string>? Containers = null,
    Uri? HealthProbeUrl = null)
{
    /// <summary>The service's keyed Aspire.Npgsql data source for <see cref="PooledConnectionString"/> (null: the drill makes one).</summary>
    public Npgsql.NpgsqlDataSource? PooledDataSource { get; init; }

    /// <summary>The service's keyed Aspire.Npgsql data source for <see cref="DirectConnectionString"/> (null: the drill makes one).</summary>
    public Npgsql.NpgsqlDataSource? DirectDataSource { get; init; }

    /// <summary>The REST credentials for unsafe requests (switchover), when both are known.</summary>
    public PatroniCredentials? Credentials => RestUser is not null && RestPassword is not null ? new(RestUser, RestPassword) : null;

    /// <summary>The container engine's command (<c>docker</c>, <c>podman</c>) for the faults it injects itself: pause, network filtering.</summary>
    public string Engine { get; init; } = "docker";

    /// <summary>
    /// An image with <c>nft</c> and HaStack's <c>netfault.sh</c> (the node image): a partition runs it as a one-off
    /// container in the victim's network namespace. Null: partition drills are refused.
    /// </summary>
    public string? FaultImage { get; init; }

    /// <summary>etcd member name → its metrics URL (<c>/health</c>, <c>/metrics</c>); the containers are in <see cref="Containers"/>. Empty: etcd drills are refused.</summary>
    public IReadOnlyDictionary<string, Uri> EtcdMembers { get; init; } = new Dictionary<string, Uri>();

    /// <summary>
    /// The cluster releases a dead leader's lock as soon as its container dies (HaStack's fencer): a crash drill's
    /// report then says "released after fencing" rather than warning that the lock vanished before its ttl.
    /// </summary>
    public bool FencedFailover { get; init; }

    /// <summary>
    /// PgBouncer's container (its admin console runs there, <c>/etc/pgbouncer/console.sh</c>): a switchover pauses the
    /// read-write database around the handover. Null: switchovers are plain.
    /// </summary>
    public string? PgBouncerContainer { get; init; }

    /// <summary>A service of the same AppHost measured beside the pooled and direct paths (null: none).</summary>
    public ServiceTarget? Service { get; init; }

    /// <summary>The read-write database inside PgBouncer that a paused switchover pauses.</summary>
    public string PgBouncerDatabase { get; init; } = "app";

    /// <summary>The container of a Patroni or etcd member.</summary>
    public string ContainerOf(string member) => Containers?.GetValueOrDefault(member) ?? member;
}

/// <summary>How a drill loads and waits. Defaults suit the <c>fast</c> profile and scale to Patroni's defaults.</summary>
public sealed record DrillSettings
{
    /// <summary>Concurrent writers per client path.</summary>
    public int WritersPerPath { get; init; } = 3;

    /// <summary>Pause between a writer's writes.</summary>
    public TimeSpan WriteInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Longest a single write may take before its outcome is unknown.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest a call of the measured service may take before its outcome is unknown: a caller's patience, as
    /// <see cref="PausedClientTimeout"/> for pooled clients (the service may retry inside it).
    /// </summary>
    public TimeSpan ServiceTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Load before the fault, so every path has acknowledged writes on the old leader.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Load after every path wrote to the new leader, so the tail is checked too.</summary>
    public TimeSpan CoolDown { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Extra time beyond Patroni's ttl for a new leader to take the lock.</summary>
    public TimeSpan NewLeaderGrace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time for every client path to write to the new leader once it holds the lock.</summary>
    public TimeSpan ClientRecovery { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time for the old leader to stream again (rewind or re-clone included).</summary>
    public TimeSpan Rejoin { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Patroni polling interval while timing the failover.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a fault that needs no failover is held before it is healed (null: the kind's default from the cluster's timing).</summary>
    public TimeSpan? FaultHold { get; init; }

    /// <summary>Switchover only: paused or plain (null: paused when PgBouncer's container is known, see <see cref="SwitchoverModes.Effective"/>).</summary>
    public SwitchoverMode? Switchover { get; init; }

    /// <summary>Paused switchover: longest wait for PgBouncer's in-flight transactions before the handover is abandoned.</summary>
    public TimeSpan PauseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Paused switchover: how long a pooled write's command waits, as an application with Npgsql's default command
    /// timeout (30 s) would. The promise is a stall and no error; the stall itself is measured
    /// (<see cref="ClientPauseReport.ResumedAfterSeconds"/>). Every other write gives up after <see cref="WriteTimeout"/>.
    /// </summary>
    public TimeSpan PausedClientTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long pooled writes wait during a fault of <paramref name="kind"/> on <paramref name="target"/>:
    /// <see cref="PausedClientTimeout"/> in a paused switchover (it promises pooled clients a wait, not an error),
    /// otherwise null (<see cref="WriteTimeout"/>).
    /// </summary>
    public TimeSpan? PooledWriteTimeout(DrillKind kind, DrillTarget target) =>
        kind == DrillKind.Switchover && SwitchoverModes.Effective(this, target) == SwitchoverMode.Paused ? PausedClientTimeout : null;

    /// <summary>Switchover only: the member to promote (default: Patroni chooses).</summary>
    public string? Candidate { get; init; }
}
