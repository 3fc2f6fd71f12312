namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// What <c>WithPostgresVersion</c> (<c>HaStack:PostgresVersion</c> in the reference AppHost) selects: the Debian release the Patroni nodes are built on, and with it the
/// PostgreSQL and Patroni versions, the <c>fast</c> timing that Patroni accepts and that bench/RESULTS.md shows stable,
/// and the Patroni features that exist. Every other component (etcd, HAProxy, PgBouncer, exporters, Prometheus) is
/// built on <see cref="SharedRelease"/> for both platforms, so dashboards and metric names are the same on both.
/// </summary>
public sealed record PostgresPlatform(
    int Major,
    string NodeRelease,
    string PatroniVersion,
    PatroniTiming FastTiming,
    bool SupportsQuorumCommit,
    bool FailsafeMode)
{
    /// <summary>The Debian release of every component that is not a Patroni node.</summary>
    public const string SharedRelease = "trixie";

    /// <summary>
    /// PostgreSQL 18 under Patroni 4.1 (Debian forky, which is Debian testing: the exact package versions move, so
    /// they are read back from the running nodes, never assumed). Patroni 4.1 keeps 4.0's timing floor.
    /// </summary>
    public static PostgresPlatform Postgres18 { get; } = new(18, "forky", "4.1", new PatroniTiming(Ttl: 20, LoopWait: 1, RetryTimeout: 3),
        SupportsQuorumCommit: true, FailsafeMode: true);

    /// <summary>
    /// PostgreSQL 17 under Patroni 4.0 (Debian trixie). Patroni ≥ 3.2 raises ttl below 20, retry_timeout below 3 and
    /// loop_wait below 1 to those minimums, so <c>fast</c> is the floor itself. Failsafe mode is on: its 4.0.6 fix is
    /// in 4.0.7.
    /// </summary>
    public static PostgresPlatform Postgres17 { get; } = new(17, "trixie", "4.0", new PatroniTiming(Ttl: 20, LoopWait: 1, RetryTimeout: 3),
        SupportsQuorumCommit: true, FailsafeMode: true);

    /// <summary>
    /// The seed's PostgreSQL 15 under Patroni 3.0.2 (Debian bookworm), which still accepts a ttl of 5. Failsafe mode
    /// stays off: 3.0.2 predates its fixes.
    /// </summary>
    public static PostgresPlatform Postgres15 { get; } = new(15, "bookworm", "3.0", new PatroniTiming(Ttl: 5, LoopWait: 1, RetryTimeout: 2),
        SupportsQuorumCommit: false, FailsafeMode: false);

    /// <summary>The platform used unless another is chosen.</summary>
    public static PostgresPlatform Default => Postgres18;

    /// <summary>Every platform HaStack runs.</summary>
    public static IReadOnlyList<PostgresPlatform> All { get; } = [Postgres18, Postgres17, Postgres15];

    /// <summary>The platform of a supported major version.</summary>
    public static PostgresPlatform For(int major) => All.FirstOrDefault(p => p.Major == major)
        ?? throw new ArgumentOutOfRangeException(nameof(major), major, "Unsupported PostgreSQL major version.");

    /// <summary>The node image's tag, e.g. <c>4.1-pg18-forky</c>: every platform's images can be cached side by side.</summary>
    public string NodeImageTag => $"{PatroniVersion}-pg{Major}-{NodeRelease}";

    /// <summary>Whether PostgreSQL synchronizes logical slots created with <c>failover = true</c> to standbys (17 and later).</summary>
    public bool SupportsFailoverSlots => Major >= 17;

    /// <summary>e.g. <c>PostgreSQL 18 under Patroni 4.1 on Debian forky</c>.</summary>
    public string Describe() => $"PostgreSQL {Major} under Patroni {PatroniVersion} on Debian {NodeRelease}";
}
