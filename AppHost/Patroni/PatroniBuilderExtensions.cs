using HaStack.AppHost;
using HaStack.AppHost.Etcd;
using HaStack.AppHost.HealthChecks;
using HaStack.AppHost.Patroni;
using HaStack.AppHost.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static class PatroniBuilderExtensions
{
    /// <summary>
    /// Adds the Patroni cluster <paramref name="name"/> and its <paramref name="options"/>.NodeCount nodes named
    /// <c>{name}-1</c> … (children of the cluster in the dashboard), built from <c>Patroni/Dockerfile</c>, using
    /// <paramref name="etcd"/> as their consensus store. Each node waits for etcd. The cluster's connection string is
    /// the direct multi-host one (see <see cref="PatroniClusterResource"/>); it is healthy while a primary answers.
    /// </summary>
    public static IResourceBuilder<PatroniClusterResource> AddPatroniCluster(
        this IDistributedApplicationBuilder builder, string name, HaStackOptions options, IResourceBuilder<EtcdClusterResource> etcd, HaStackSecrets secrets, StackTls tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(secrets);

        var scope = options.Name;
        var timing = options.PatroniTiming;
        var platform = options.Platform;
        // Container names carry a per-run suffix: unique on the engine, yet known to the drill that must kill one.
        var runId = Guid.NewGuid().ToString("N")[..8];

        var cluster = builder.AddResource(new PatroniClusterResource(name, scope, secrets.App.Resource, secrets.PatroniRest.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PatroniCluster",
                State = KnownResourceStates.Starting,
                Properties = [new(PatroniClusterResource.LeaderPropertyName, "")],
            });
        cluster.Resource.FencedFailover = options.FencedFailover == FencedFailover.On;
        cluster.Resource.ConnectionTls = tls.NpgsqlSuffix;
        var primaryCheck = $"{name}-primary";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(primaryCheck,
            _ => new NpgsqlQueryHealthCheck(cluster.Resource.ConnectionStringExpression), failureStatus: null, tags: null));
        cluster.WithHealthCheck(primaryCheck);

        for (var i = 1; i <= options.NodeCount; i++)
        {
            var nodeName = $"{name}-{i}";
            var containerName = $"{options.Name}-{runId}-{nodeName}";
            var node = builder.AddResource(new PatroniNodeResource(nodeName, containerName, secrets.Superuser.Resource) { ConnectionTls = tls.NpgsqlSuffix })
                .WithParentRelationship(cluster)
                .WithImage(PatroniContainerImageTags.Image, platform.NodeImageTag)
                .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Patroni"))
                .WithBuildArg("BASE_IMAGE", options.BaseImageFor(platform.NodeRelease))
                .WithBuildArg("PG_MAJOR", platform.Major.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithContainerName(containerName)
                .WithEndpoint(targetPort: PatroniNodeResource.PostgresPort, name: PatroniNodeResource.PostgresEndpointName, scheme: "tcp")
                // Patroni's REST API over HTTPS with the node's certificate unless HaStack:Tls is off.
                .WithEndpoint(targetPort: PatroniNodeResource.RestPort, name: PatroniNodeResource.RestEndpointName, scheme: tls.Enabled ? "https" : "http")
                // PostgreSQL, Patroni REST and its etcd client: the node's name, and "router" (HAProxy passes
                // PostgreSQL's TLS through, so a client of router:5000 sees the node's certificate).
                .WithServerCertificate(tls, nodeName, "router")
                .WithEnvironment("PATRONI_NAME", nodeName)
                .WithEnvironment("PATRONI_SCOPE", scope)
                .WithEnvironment("PATRONI_ETCD3_HOSTS", etcd.Resource.Hosts)
                // Advertise the resource name: the container id ($HOSTNAME) changes on every restart.
                .WithEnvironment("PATRONI_RESTAPI_CONNECT_ADDRESS", nodeName + ":" + PatroniNodeResource.RestPort)
                .WithEnvironment("PATRONI_POSTGRESQL_CONNECT_ADDRESS", nodeName + ":" + PatroniNodeResource.PostgresPort)
                .WithEnvironment("PATRONI_RESTAPI_USERNAME", PatroniClusterResource.RestUser)
                .WithEnvironment("PATRONI_RESTAPI_PASSWORD", secrets.PatroniRest)
                .WithEnvironment("PATRONI_SUPERUSER_PASSWORD", secrets.Superuser)
                .WithEnvironment("PATRONI_REPLICATION_PASSWORD", secrets.Replication)
                .WithEnvironment("PATRONI_REWIND_PASSWORD", secrets.Rewind)
                .WithEnvironment("PATRONI_TTL", timing.Ttl.ToString())
                .WithEnvironment("PATRONI_LOOP_WAIT", timing.LoopWait.ToString())
                .WithEnvironment("PATRONI_RETRY_TIMEOUT", timing.RetryTimeout.ToString())
                .WithEnvironment("HASTACK_SYNCHRONOUS_MODE", PatroniSynchronousMode(options.SynchronousMode))
                .WithEnvironment("HASTACK_SYNCHRONOUS_MODE_STRICT", options.SynchronousMode == SynchronousMode.Strict ? "true" : "false")
                .WithEnvironment("HASTACK_FAILSAFE_MODE", platform.FailsafeMode ? "true" : "false")
                // A short checkpoint interval keeps the WAL a rewound old leader needs (seen failing otherwise).
                .WithEnvironment("HASTACK_CHECKPOINT_TIMEOUT", "60")
                // Only the bootstrapping node uses these (post_bootstrap.sh creates the roles).
                .WithEnvironment("HASTACK_APP_PASSWORD", secrets.App)
                .WithEnvironment("HASTACK_PGBOUNCER_AUTH_PASSWORD", secrets.PgBouncerAuth)
                .WithEnvironment("HASTACK_MONITOR_PASSWORD", secrets.Monitor)
                // Patroni's /health is 200 only while PostgreSQL runs (leader or replica, not while cloning).
                .WithHttpHealthCheck("/health", endpointName: PatroniNodeResource.RestEndpointName)
                .WithInitialState(new CustomResourceSnapshot
                {
                    ResourceType = "PatroniNode",
                    Properties = [new(PatroniNodeResource.RolePropertyName, "unknown")],
                });

            if (options.Persistent)
            {
                var volume = $"{options.Name}-{nodeName}-data";
                node.WithVolume(volume, "/var/lib/postgresql/data")
                    // Named in the entrypoint's refusal when the volume holds another major version's data.
                    .WithEnvironment("HASTACK_DATA_VOLUME", volume);
            }

            foreach (var member in etcd.Resource.Members)
            {
                node.WaitFor(member);
            }

            cluster.Resource.Add(node);

            // The node's role at a glance: a row under the node whose state is the role and timeline.
            builder.AddResource(new PatroniRoleResource(PatroniRoleResource.NameFor(nodeName), node.Resource))
                .WithParentRelationship(node)
                .ExcludeFromManifest()
                .WithInitialState(new CustomResourceSnapshot
                {
                    ResourceType = PatroniRoleResource.ResourceTypeName,
                    State = new ResourceStateSnapshot("unknown", KnownResourceStateStyles.Info),
                    Properties = [],
                });
        }

        // The cluster has no process of its own: when Aspire initialises it, start following Patroni (roles, timing,
        // the cluster's state), for as long as the AppHost runs. Resources that wait for the cluster rely on it.
        // With fencing-confirmed failover, a node container's death also releases its leader key at once.
        builder.Eventing.Subscribe<InitializeResourceEvent>(cluster.Resource, (e, ct) =>
        {
            var watcher = ActivatorUtilities.CreateInstance<PatroniRoleWatcher>(e.Services);
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => watcher.RunAsync(stopping), stopping);
            if (options.FencedFailover == FencedFailover.On)
            {
                var fencer = new ContainerFencer(
                    cluster.Resource.Nodes.ToDictionary(n => n.Resource.ContainerName, n => n.Resource.Name),
                    [.. etcd.Resource.Members.Select(m => m.Resource.ContainerName)],
                    PatroniClusterResource.LeaderKey(scope),
                    tls.Enabled,
                    cluster.Resource,
                    e.Notifications,
                    e.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ContainerFencer>());
                _ = Task.Run(() => fencer.RunAsync(stopping), stopping);
            }

            return Task.CompletedTask;
        });
        return cluster;
    }

    /// <summary>Patroni's <c>synchronous_mode</c> value: <c>false</c>, <c>true</c> (strict is a second key) or <c>quorum</c>.</summary>
    private static string PatroniSynchronousMode(SynchronousMode mode) => mode switch
    {
        SynchronousMode.Off => "false",
        SynchronousMode.Quorum => "quorum",
        _ => "true",
    };
}
