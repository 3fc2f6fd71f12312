using HaStack.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>Adds the routes into a Patroni cluster: HAProxy by health checks, PgBouncer pooling straight to the leader.</summary>
public static class RoutingBuilderExtensions
{
    /// <summary>
    /// Adds HAProxy in front of <paramref name="cluster"/>: its read-write port goes to the node answering Patroni's
    /// <c>GET /primary</c>, its read-only port to the nodes answering <c>GET /replica</c> (checks every 250 ms). It is
    /// healthy while its read-write backend has a node up.
    /// </summary>
    /// <param name="cluster">The Patroni cluster.</param>
    /// <param name="name">The resource name.</param>
    public static IResourceBuilder<RouterResource> AddHAProxy(this IResourceBuilder<PatroniClusterResource> cluster, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = cluster.ApplicationBuilder;
        var resource = cluster.Resource;
        if (resource.Router is not null)
        {
            throw new ArgumentException($"The cluster '{resource.Name}' already has the router '{resource.Router.Name}'.", nameof(name));
        }

        var router = builder.AddResource(new RouterResource(name, resource))
            .WithContainerName($"{resource.Scope}-{resource.RunId}-{name}")
            .WithHaStackImage("haproxy", RouterContainerImageTags.Image, RouterContainerImageTags.Tag)
            .WithEndpoint(targetPort: RouterResource.ReadWritePort, name: RouterResource.ReadWriteEndpointName, scheme: "tcp")
            .WithEndpoint(targetPort: RouterResource.ReadOnlyPort, name: RouterResource.ReadOnlyEndpointName, scheme: "tcp")
            .WithHttpEndpoint(targetPort: RouterResource.StatsPort, name: RouterResource.StatsEndpointName)
            // Its backends, one server per node, rendered from the model when it starts; its checks ask Patroni over
            // HTTPS and verify the node's certificate.
            .WithContainerFiles(HAProxyConfiguration.Directory, (_, _) => Task.FromResult<IEnumerable<ContainerFileSystemItem>>([
                new ContainerFile
                {
                    Name = "backends.cfg",
                    Contents = HAProxyConfiguration.Backends(resource.Nodes.Select(n => n.Resource.Name), resource.TlsMode != TlsMode.Off),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                },
            ]))
            .WithRootCertificate(() => resource.TlsMode)
            .WaitFor(cluster);
        resource.Router = router.Resource;

        // Healthy = HAProxy runs AND its read-write backend has a server up (a leader is routable).
        var check = $"{name}-leader-routable";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            sp => new RouterHealthCheck(router.Resource, sp.GetRequiredService<IHttpClientFactory>()), failureStatus: null, tags: null));
        return router.WithHealthCheck(check);
    }

    /// <summary>
    /// Adds PgBouncer in front of <paramref name="cluster"/>, in transaction pooling with <c>auth_query</c> (no password
    /// file) and its Prometheus exporter. Its read-write database goes straight to the Patroni leader: a follower in
    /// its container watches the leader key in etcd, waits until the new leader answers <c>/primary</c> and has left
    /// recovery, then re-points it (through <paramref name="router"/>'s read-write port until the leader is known).
    /// Its read-only database goes through <paramref name="router"/>'s replicas. Add the connection strings with
    /// <see cref="AddDatabase"/> and <see cref="AddReadOnlyDatabase"/>.
    /// </summary>
    /// <param name="cluster">The Patroni cluster.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="router">The cluster's HAProxy (<see cref="AddHAProxy"/>).</param>
    public static IResourceBuilder<PgBouncerResource> AddPgBouncer(
        this IResourceBuilder<PatroniClusterResource> cluster, [ResourceName] string name, IResourceBuilder<RouterResource> router)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(router);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = cluster.ApplicationBuilder;
        var resource = cluster.Resource;
        if (router.Resource.Cluster != resource)
        {
            throw new ArgumentException($"The router '{router.Resource.Name}' routes to '{router.Resource.Cluster.Name}', not '{resource.Name}'.", nameof(router));
        }

        if (resource.PgBouncer is not null)
        {
            throw new ArgumentException($"The cluster '{resource.Name}' already has the pooler '{resource.PgBouncer.Name}'.", nameof(name));
        }

        var statsPassword = builder.AddParameter($"{name}-stats-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
            .WithDescription("PgBouncer console stats-only user (pgbouncer_stats, for the exporter) password.");
        var pgbouncer = builder.AddResource(new PgBouncerResource(name, resource, router.Resource, statsPassword.Resource));
        resource.PgBouncer = pgbouncer.Resource;

        // Healthy = a client can log in (auth_query) and run a query through PgBouncer on the read-write path.
        var check = $"{name}-login";
        var endpoint = pgbouncer.Resource.PgBouncerEndpoint;
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            _ => new NpgsqlQueryHealthCheck(ReferenceExpression.Create(
                $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Database={PgBouncerResource.ReadWriteDatabase};Username={PatroniClusterResource.AppUser};Password={resource.Secrets.App}{resource.ConnectionTls}")),
            failureStatus: null, tags: null));
        return pgbouncer
            .WithHaStackImage("pgbouncer", PgBouncerContainerImageTags.Image, PgBouncerContainerImageTags.Tag)
            .WithContainerName(pgbouncer.Resource.ContainerName)
            .WithEndpoint(targetPort: PgBouncerResource.Port, name: PgBouncerResource.PgBouncerEndpointName, scheme: "tcp")
            .WithHttpEndpoint(targetPort: PgBouncerResource.ExporterPort, name: PgBouncerResource.ExporterEndpointName)
            .WithEnvironment("PGBOUNCER_AUTH_PASSWORD", resource.Secrets.PgBouncerAuth)
            .WithEnvironment("PGBOUNCER_STATS_PASSWORD", statsPassword)
            .WithEnvironment("HASTACK_ROUTER", router.Resource.Name)
            .WithEnvironment("HASTACK_LEADER_KEY", PatroniClusterResource.LeaderKey(resource.Scope))
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["HASTACK_ETCD_HOSTS"] = resource.Etcd.Hosts;
                context.EnvironmentVariables["HASTACK_NODES"] = resource.NodeNames;
            })
            // TLS to clients (its own certificate) and to the nodes (verify-full).
            .WithServerCertificate(() => resource.TlsMode, name)
            .WithHealthCheck(check)
            .WaitFor(router);
    }

    /// <summary>
    /// Adds PgBouncer's read-write database (straight to the leader) as the connection string resource
    /// <paramref name="name"/>. Its health check logs in through it and runs a query.
    /// </summary>
    /// <param name="pgbouncer">The pooler.</param>
    /// <param name="name">The resource name, e.g. <c>app</c> (what <c>WithReference</c> names the connection string).</param>
    public static IResourceBuilder<PgBouncerDatabaseResource> AddDatabase(this IResourceBuilder<PgBouncerResource> pgbouncer, [ResourceName] string name) =>
        AddPoolerDatabase(pgbouncer, name, PgBouncerResource.ReadWriteDatabase);

    /// <summary>
    /// Adds PgBouncer's read-only database (through HAProxy to the replicas) as the connection string resource
    /// <paramref name="name"/>. Its health check logs in through it and runs a query.
    /// </summary>
    /// <param name="pgbouncer">The pooler.</param>
    /// <param name="name">The resource name, e.g. <c>app-ro</c>.</param>
    public static IResourceBuilder<PgBouncerDatabaseResource> AddReadOnlyDatabase(this IResourceBuilder<PgBouncerResource> pgbouncer, [ResourceName] string name) =>
        AddPoolerDatabase(pgbouncer, name, PgBouncerResource.ReadOnlyDatabase);

    private static IResourceBuilder<PgBouncerDatabaseResource> AddPoolerDatabase(IResourceBuilder<PgBouncerResource> pgbouncer, string name, string databaseName)
    {
        ArgumentNullException.ThrowIfNull(pgbouncer);
        Names.ThrowIfInvalid(name, nameof(name));

        var database = new PgBouncerDatabaseResource(name, databaseName, pgbouncer.Resource);
        var check = $"{name}-query";
        pgbouncer.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            _ => new NpgsqlQueryHealthCheck(database.ConnectionStringExpression), failureStatus: null, tags: null));
        return pgbouncer.ApplicationBuilder.AddResource(database)
            .WithHealthCheck(check)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PgBouncerDatabase",
                State = KnownResourceStates.NotStarted,
                Properties = [new("pgbouncer.database", databaseName)],
            });
    }
}
