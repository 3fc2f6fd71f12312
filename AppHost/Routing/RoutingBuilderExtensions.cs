using HaStack.AppHost;
using HaStack.AppHost.Etcd;
using HaStack.AppHost.Patroni;
using HaStack.AppHost.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using HaStack.AppHost.HealthChecks;
using HaStack.AppHost.Tls;

namespace Aspire.Hosting;

public static class RoutingBuilderExtensions
{
    /// <summary>Adds the HAProxy router (<c>Routing/HAProxy</c>) with one server line per Patroni node.</summary>
    public static IResourceBuilder<RouterResource> AddRouter(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<PatroniClusterResource> cluster, StackTls tls, string baseImage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster);

        var router = builder.AddResource(new RouterResource(name))
            .WithImage(RouterContainerImageTags.Image, RouterContainerImageTags.Tag)
            .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Routing", "HAProxy"))
            .WithBuildArg("BASE_IMAGE", baseImage)
            .WithEndpoint(targetPort: RouterResource.ReadWritePort, name: RouterResource.ReadWriteEndpointName, scheme: "tcp")
            .WithEndpoint(targetPort: RouterResource.ReadOnlyPort, name: RouterResource.ReadOnlyEndpointName, scheme: "tcp")
            .WithHttpEndpoint(targetPort: RouterResource.StatsPort, name: RouterResource.StatsEndpointName)
            .WithEnvironment("HASTACK_NODES", cluster.Resource.NodeNames)
            // Its checks ask Patroni over HTTPS and verify the node's certificate.
            .WithRootCertificate(tls);

        // Healthy = HAProxy runs AND its read-write backend has a server up (a leader is routable).
        var check = $"{name}-leader-routable";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            sp => new RouterHealthCheck(router.Resource, sp.GetRequiredService<IHttpClientFactory>()), failureStatus: null, tags: null));
        router.WithHealthCheck(check);

        foreach (var node in cluster.Resource.Nodes)
        {
            router.WaitFor(node);
        }

        return router;
    }

    /// <summary>
    /// Adds PgBouncer (<c>Routing/PgBouncer</c>). Its read-write database goes straight to the Patroni leader: a
    /// follower in the container watches the leader key in <paramref name="etcd"/> and re-points it (the router's
    /// read-write port until the leader is known). The read-only database goes to the router's replicas.
    /// </summary>
    public static IResourceBuilder<PgBouncerResource> AddPgBouncer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<RouterResource> router,
        IResourceBuilder<PatroniClusterResource> cluster, IResourceBuilder<EtcdClusterResource> etcd, HaStackSecrets secrets, StackTls tls, string baseImage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(tls);

        // A known container name (unique per run, like the nodes'): the drill pauses and resumes PgBouncer in it.
        var containerName = $"{cluster.Resource.Scope}-{Guid.NewGuid().ToString("N")[..8]}-{name}";
        var pgbouncer = builder.AddResource(new PgBouncerResource(name, containerName) { ConnectionTls = tls.NpgsqlSuffix });
        // Healthy = a client can log in (auth_query) and run a query through PgBouncer on the read-write path.
        var check = $"{name}-login";
        var login = ReferenceExpression.Create(
            $"Host={pgbouncer.Resource.PgBouncerEndpoint.Property(EndpointProperty.Host)};Port={pgbouncer.Resource.PgBouncerEndpoint.Property(EndpointProperty.Port)};Database={PatroniClusterResource.AppDatabase};Username={PatroniClusterResource.AppUser};Password={secrets.App.Resource}{tls.NpgsqlSuffix}");
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            _ => new NpgsqlQueryHealthCheck(login), failureStatus: null, tags: null));
        return pgbouncer
            .WithImage(PgBouncerContainerImageTags.Image, PgBouncerContainerImageTags.Tag)
            .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Routing", "PgBouncer"))
            .WithBuildArg("BASE_IMAGE", baseImage)
            .WithContainerName(containerName)
            .WithEndpoint(targetPort: PgBouncerResource.Port, name: PgBouncerResource.PgBouncerEndpointName, scheme: "tcp")
            .WithHttpEndpoint(targetPort: PgBouncerResource.ExporterPort, name: PgBouncerResource.ExporterEndpointName)
            .WithEnvironment("PGBOUNCER_AUTH_PASSWORD", secrets.PgBouncerAuth)
            .WithEnvironment("PGBOUNCER_STATS_PASSWORD", secrets.PgBouncerStats)
            .WithEnvironment("HASTACK_ETCD_HOSTS", etcd.Resource.Hosts)
            .WithEnvironment("HASTACK_LEADER_KEY", PatroniClusterResource.LeaderKey(cluster.Resource.Scope))
            .WithEnvironment("HASTACK_NODES", cluster.Resource.NodeNames)
            // TLS to clients (its own certificate) and to the nodes (verify-full).
            .WithServerCertificate(tls, name)
            .WithHealthCheck(check)
            .WaitFor(router);
    }

    /// <summary>
    /// Adds one of PgBouncer's databases as a connection string resource. Its health check logs in through it and runs
    /// a query, so it is healthy only when the whole path (PgBouncer → router → node) works.
    /// </summary>
    public static IResourceBuilder<PgBouncerDatabaseResource> AddDatabase(
        this IResourceBuilder<PgBouncerResource> pgbouncer, string name, string databaseName, ParameterResource appPassword)
    {
        ArgumentNullException.ThrowIfNull(pgbouncer);

        var database = new PgBouncerDatabaseResource(name, databaseName, pgbouncer.Resource, appPassword);
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
