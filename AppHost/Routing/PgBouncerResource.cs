namespace HaStack.AppHost.Routing;

/// <summary>
/// PgBouncer: transaction pooling, <c>app</c> straight to the Patroni leader (its follower re-points it) and
/// <c>app_ro</c> through the router's replicas, plus its Prometheus exporter.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="containerName">The container's name: the drill runs its admin console in it (PAUSE, RESUME).</param>
public sealed class PgBouncerResource(string name, string containerName) : ContainerResource(name)
{
    public const string PgBouncerEndpointName = "pgbouncer";
    public const string ExporterEndpointName = "metrics";
    public const int Port = 6432;
    public const int ExporterPort = 9127;
    public const string AuthUser = "pgbouncer_auth";

    /// <summary>The read-write database's name inside PgBouncer (what PAUSE and RESUME name).</summary>
    public const string ReadWriteDatabase = "app";

    public string ContainerName { get; } = containerName;

    /// <summary>What its databases' connection strings end with: <c>SSL Mode=VerifyFull</c> and the root certificate, or nothing.</summary>
    public string ConnectionTls { get; init; } = "";

    public EndpointReference PgBouncerEndpoint => field ??= new(this, PgBouncerEndpointName);
}

/// <summary>The locally built pooler image (Debian trixie's pgbouncer 1.24 and its Go exporter).</summary>
internal static class PgBouncerContainerImageTags
{
    public const string Image = "hastack/pgbouncer";
    public const string Tag = "1.24-trixie";
}
