namespace HaStack.AppHost.Routing;

/// <summary>
/// HAProxy in front of the Patroni nodes: <see cref="ReadWritePort"/> reaches the node whose REST API answers
/// <c>GET /primary</c> with 200, <see cref="ReadOnlyPort"/> the nodes answering <c>GET /replica</c>.
/// </summary>
public sealed class RouterResource(string name) : ContainerResource(name)
{
    public const string ReadWriteEndpointName = "rw";
    public const string ReadOnlyEndpointName = "ro";
    public const string StatsEndpointName = "stats";
    public const int ReadWritePort = 5000;
    public const int ReadOnlyPort = 5001;
    public const int StatsPort = 8404;

    public EndpointReference ReadWriteEndpoint => field ??= new(this, ReadWriteEndpointName);

    public EndpointReference ReadOnlyEndpoint => field ??= new(this, ReadOnlyEndpointName);

    public EndpointReference StatsEndpoint => field ??= new(this, StatsEndpointName);
}

/// <summary>PgBouncer: transaction pooling for the router's two ports, plus its Prometheus exporter.</summary>
public sealed class PgBouncerResource(string name) : ContainerResource(name)
{
    public const string PgBouncerEndpointName = "pgbouncer";
    public const string ExporterEndpointName = "metrics";
    public const int Port = 6432;
    public const int ExporterPort = 9127;
    public const string AuthUser = "pgbouncer_auth";

    public EndpointReference PgBouncerEndpoint => field ??= new(this, PgBouncerEndpointName);
}

/// <summary>
/// A database of PgBouncer's as a connection string for applications (<c>app</c> → leader, <c>app_ro</c> → replicas),
/// logged in as the application user.
/// </summary>
public sealed class PgBouncerDatabaseResource(string name, string databaseName, PgBouncerResource parent, ParameterResource appPassword)
    : Resource(name), IResourceWithParent<PgBouncerResource>, IResourceWithConnectionString
{
    public PgBouncerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Parent.PgBouncerEndpoint.Property(EndpointProperty.Host)};Port={Parent.PgBouncerEndpoint.Property(EndpointProperty.Port)};Database={DatabaseName};Username={Patroni.PatroniCluster.AppUser};Password={appPassword};Timeout=5;No Reset On Close=true");
}

/// <summary>The locally built router and pooler images (Debian trixie's haproxy 3.0, pgbouncer 1.24).</summary>
internal static class RoutingContainerImageTags
{
    public const string RouterImage = "hastack/haproxy";
    public const string RouterTag = "3.0-trixie";
    public const string PgBouncerImage = "hastack/pgbouncer";
    public const string PgBouncerTag = "1.24-trixie";
}
