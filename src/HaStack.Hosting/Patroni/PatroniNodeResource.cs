namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// One Patroni node: a container in which Patroni supervises PostgreSQL. Its role (leader, sync standby, replica) is
/// state that changes on failover; it is published as the resource property <see cref="RolePropertyName"/>. Its
/// connection string is the superuser's, to this node only (for operators and the HealthProbe).
/// </summary>
/// <param name="name">The resource name, e.g. <c>pg-1</c>; the node advertises it to its peers.</param>
/// <param name="cluster">The cluster it belongs to.</param>
public sealed class PatroniNodeResource(string name, PatroniClusterResource cluster)
    : ContainerResource(name), IResourceWithConnectionString
{
    /// <summary>The PostgreSQL endpoint's name.</summary>
    public const string PostgresEndpointName = "postgres";

    /// <summary>Patroni's REST API endpoint's name.</summary>
    public const string RestEndpointName = "patroni";

    /// <summary>PostgreSQL's port in the container.</summary>
    public const int PostgresPort = 5432;

    /// <summary>Patroni's REST port in the container.</summary>
    public const int RestPort = 8008;

    /// <summary>PostgreSQL's superuser.</summary>
    public const string SuperuserName = "postgres";

    /// <summary>The monitoring role (member of <c>pg_monitor</c>).</summary>
    public const string MonitorUser = "hastack_monitor";

    /// <summary>The node's property that holds its Patroni role.</summary>
    public const string RolePropertyName = "patroni.role";

    /// <summary>The cluster this node belongs to.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>The container's name in the container engine (what a crash drill kills): <c>{scope}-{run}-{name}</c>.</summary>
    public string ContainerName => $"{Cluster.Scope}-{Cluster.RunId}-{Name}";

    /// <summary>The named data volume used when the cluster keeps its data (<c>{scope}-{name}-data</c>).</summary>
    public string DataVolumeName => $"{Cluster.Scope}-{Name}-data";

    /// <summary>The superuser's password.</summary>
    public ParameterResource SuperuserPassword => Cluster.Secrets.Superuser;

    /// <summary>PostgreSQL.</summary>
    public EndpointReference PostgresEndpoint => field ??= new(this, PostgresEndpointName);

    /// <summary>Patroni's REST API (HTTPS unless TLS is off).</summary>
    public EndpointReference RestEndpoint => field ??= new(this, RestEndpointName);

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ConnectionStringFor(SuperuserName, SuperuserPassword);

    /// <summary>This node only, as <paramref name="user"/> (e.g. <see cref="MonitorUser"/> for the HealthProbe).</summary>
    /// <param name="user">The PostgreSQL user.</param>
    /// <param name="password">Its password.</param>
    public ReferenceExpression ConnectionStringFor(string user, ParameterResource password) => ReferenceExpression.Create(
        $"Host={PostgresEndpoint.Property(EndpointProperty.Host)};Port={PostgresEndpoint.Property(EndpointProperty.Port)};Username={user};Password={password};Database=postgres{Cluster.ConnectionTls}");
}
