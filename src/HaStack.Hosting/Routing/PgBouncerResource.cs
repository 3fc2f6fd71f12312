namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// PgBouncer: transaction pooling, its read-write database straight to the Patroni leader (a follower in its container
/// re-points it) and its read-only one through the router's replicas, plus its Prometheus exporter.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="cluster">The Patroni cluster it pools.</param>
/// <param name="router">The HAProxy router its read-only database goes through.</param>
/// <param name="statsPassword">The console's stats-only user's password (for the exporter).</param>
public sealed class PgBouncerResource(string name, PatroniClusterResource cluster, RouterResource router, ParameterResource statsPassword)
    : ContainerResource(name)
{
    /// <summary>The client endpoint's name.</summary>
    public const string PgBouncerEndpointName = "pgbouncer";

    /// <summary>The exporter's endpoint name.</summary>
    public const string ExporterEndpointName = "metrics";

    /// <summary>PgBouncer's port in the container.</summary>
    public const int Port = 6432;

    /// <summary>The exporter's port in the container.</summary>
    public const int ExporterPort = 9127;

    /// <summary>The <c>auth_query</c> user.</summary>
    public const string AuthUser = "pgbouncer_auth";

    /// <summary>The read-write database's name inside PgBouncer (what PAUSE and RESUME name).</summary>
    public const string ReadWriteDatabase = "app";

    /// <summary>The read-only database's name inside PgBouncer.</summary>
    public const string ReadOnlyDatabase = "app_ro";

    /// <summary>The Patroni cluster it pools.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The router its read-only database goes through.</summary>
    public RouterResource Router { get; } = router ?? throw new ArgumentNullException(nameof(router));

    /// <summary>The console's stats-only user's password.</summary>
    public ParameterResource StatsPassword { get; } = statsPassword ?? throw new ArgumentNullException(nameof(statsPassword));

    /// <summary>The container's name: the drill runs its admin console in it (PAUSE, RESUME).</summary>
    public string ContainerName => $"{Cluster.Scope}-{Cluster.RunId}-{Name}";

    /// <summary>The client endpoint.</summary>
    public EndpointReference PgBouncerEndpoint => field ??= new(this, PgBouncerEndpointName);
}

/// <summary>The locally built pooler image (Debian trixie's pgbouncer 1.24 and its Go exporter).</summary>
internal static class PgBouncerContainerImageTags
{
    public const string Image = "hastack/pgbouncer";
    public const string Tag = "1.24-trixie";
}
