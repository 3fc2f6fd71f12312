using HaStack.AppHost;
using HaStack.AppHost.Etcd;
using HaStack.AppHost.Patroni;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class PatroniBuilderExtensions
{
    /// <summary>
    /// Adds <paramref name="options"/>.NodeCount Patroni nodes named <c>{prefix}-1</c> … built from <c>Patroni/Dockerfile</c>,
    /// using <paramref name="etcd"/> as their consensus store. Each node waits for every etcd member.
    /// </summary>
    public static PatroniCluster AddPatroniCluster(
        this IDistributedApplicationBuilder builder, string prefix, HaStackOptions options, EtcdCluster etcd, HaStackSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(etcd);
        ArgumentNullException.ThrowIfNull(secrets);

        var scope = options.Name;
        var timing = options.PatroniTiming;
        var platform = options.Platform;
        // Container names carry a per-run suffix: unique on the engine, yet known to the drill that must kill one.
        var runId = Guid.NewGuid().ToString("N")[..8];

        var nodes = Enumerable.Range(1, options.NodeCount).Select(i =>
        {
            var name = $"{prefix}-{i}";
            var containerName = $"{options.Name}-{runId}-{name}";
            var node = builder.AddResource(new PatroniNodeResource(name, containerName, secrets.Superuser.Resource))
                .WithImage(PatroniContainerImageTags.Image, platform.NodeImageTag)
                .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Patroni"))
                .WithBuildArg("BASE_IMAGE", options.BaseImageFor(platform.NodeRelease))
                .WithBuildArg("PG_MAJOR", platform.Major.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithContainerName(containerName)
                .WithEndpoint(targetPort: PatroniNodeResource.PostgresPort, name: PatroniNodeResource.PostgresEndpointName, scheme: "tcp")
                .WithHttpEndpoint(targetPort: PatroniNodeResource.RestPort, name: PatroniNodeResource.RestEndpointName)
                .WithEnvironment("PATRONI_NAME", name)
                .WithEnvironment("PATRONI_SCOPE", scope)
                .WithEnvironment("PATRONI_ETCD3_HOSTS", etcd.Hosts)
                // Advertise the resource name: the container id ($HOSTNAME) changes on every restart.
                .WithEnvironment("PATRONI_RESTAPI_CONNECT_ADDRESS", name + ":" + PatroniNodeResource.RestPort)
                .WithEnvironment("PATRONI_POSTGRESQL_CONNECT_ADDRESS", name + ":" + PatroniNodeResource.PostgresPort)
                .WithEnvironment("PATRONI_RESTAPI_USERNAME", PatroniCluster.RestUser)
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
                var volume = $"{options.Name}-{name}-data";
                node.WithVolume(volume, "/var/lib/postgresql/data")
                    // Named in the entrypoint's refusal when the volume holds another major version's data.
                    .WithEnvironment("HASTACK_DATA_VOLUME", volume);
            }

            foreach (var member in etcd.Members)
            {
                node.WaitFor(member);
            }

            return node;
        }).ToArray();

        builder.Services.AddHostedService<PatroniRoleWatcher>();
        return new PatroniCluster(scope, nodes, secrets.App.Resource, secrets.PatroniRest.Resource);
    }

    /// <summary>Patroni's <c>synchronous_mode</c> value: <c>false</c>, <c>true</c> (strict is a second key) or <c>quorum</c>.</summary>
    private static string PatroniSynchronousMode(SynchronousMode mode) => mode switch
    {
        SynchronousMode.Off => "false",
        SynchronousMode.Quorum => "quorum",
        _ => "true",
    };

    /// <summary>
    /// A direct multi-host connection string to every node (no proxy): Npgsql finds the leader itself with
    /// <c>Target Session Attributes=primary</c> and re-checks host roles every second after a failover.
    /// </summary>
    public static IResourceBuilder<ConnectionStringResource> AddDirectConnectionString(
        this IDistributedApplicationBuilder builder, string name, PatroniCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster);

        var expression = new ReferenceExpressionBuilder();
        expression.AppendLiteral("Host=");
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            var endpoint = cluster.Nodes[i].Resource.PostgresEndpoint;
            expression.AppendFormatted(endpoint.Property(EndpointProperty.Host));
            expression.AppendLiteral(":");
            expression.AppendFormatted(endpoint.Property(EndpointProperty.Port));
            if (i < cluster.Nodes.Count - 1)
            {
                expression.AppendLiteral(",");
            }
        }

        expression.AppendLiteral($";Database={PatroniCluster.AppDatabase};Username={PatroniCluster.AppUser};Password=");
        expression.AppendFormatted(cluster.AppPassword);
        expression.AppendLiteral(";Target Session Attributes=primary;Host Recheck Seconds=1;Timeout=5");

        var direct = builder.AddConnectionString(name, expression.Build());
        foreach (var node in cluster.Nodes)
        {
            direct.WaitFor(node);
        }

        return direct;
    }
}
