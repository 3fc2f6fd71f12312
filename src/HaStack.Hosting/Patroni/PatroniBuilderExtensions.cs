using System.Globalization;
using HaStack.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Adds a Patroni-managed PostgreSQL cluster to an AppHost and configures it.</summary>
public static class PatroniBuilderExtensions
{
    /// <summary>The most replicas a cluster can have.</summary>
    public const int MaxReplicas = 8;

    /// <summary>The configuration key of the Debian base image pattern every HaStack image builds on.</summary>
    public const string BaseImageConfigurationKey = "HaStack:BaseImage";

    /// <summary>
    /// Adds the Patroni cluster <paramref name="name"/> with one replica: nodes <c>{name}-1</c> and <c>{name}-2</c>
    /// (children of the cluster in the dashboard), each a container in which Patroni supervises PostgreSQL, with
    /// <paramref name="etcd"/> holding the leader lock. Defaults: PostgreSQL 18 under Patroni 4.1, synchronous mode on,
    /// Patroni's default timing, fencing-confirmed failover, TLS from the stack's CA; the <c>With…</c> methods change
    /// them. Its connection string is the direct multi-host one; it is healthy while a primary answers. Passwords are
    /// generated parameters named <c>{name}-…-password</c>.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource name (lowercase letters, digits and '-', starting with a letter).</param>
    /// <param name="etcd">The etcd cluster (see <see cref="EtcdBuilderExtensions.AddEtcdCluster"/>).</param>
    /// <param name="scope">Patroni's scope, the prefix of container and volume names; <paramref name="name"/> when null.</param>
    /// <exception cref="ArgumentException">A name is not allowed.</exception>
    public static IResourceBuilder<PatroniClusterResource> AddPatroniCluster(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, IResourceBuilder<EtcdClusterResource> etcd, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(etcd);
        Names.ThrowIfInvalid(name, nameof(name));
        scope ??= name;
        Names.ThrowIfInvalid(scope, nameof(scope));
        if (etcd.Resource.Cluster is not null)
        {
            throw new ArgumentException($"The etcd cluster '{etcd.Resource.Name}' already holds the Patroni cluster '{etcd.Resource.Cluster.Name}'; give each Patroni cluster its own.", nameof(etcd));
        }

        ParameterResource Secret(string suffix, string description) =>
            builder.AddParameter($"{name}-{suffix}", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
                .WithDescription(description).Resource;

        var secrets = new PatroniClusterSecrets(
            Secret("superuser-password", "PostgreSQL superuser (postgres) password."),
            Secret("replication-password", "Streaming replication user (replicator) password."),
            Secret("rewind-password", "pg_rewind user (rewind_user) password."),
            Secret("app-password", "Application user (app) password."),
            Secret("pgbouncer-auth-password", "PgBouncer auth_query user (pgbouncer_auth) password."),
            Secret("monitor-password", "Monitoring role (hastack_monitor, pg_monitor) password."),
            Secret("rest-password", "Patroni REST API password for changing operations (switchover, restart)."));

        var resource = new PatroniClusterResource(name, scope, etcd.Resource, secrets)
        {
            BaseImage = builder.Configuration[BaseImageConfigurationKey] is { Length: > 0 } image ? image : "debian:{release}-slim",
        };
        if (!resource.BaseImage.Contains("{release}", StringComparison.Ordinal))
        {
            throw new HaStackConfigurationException([$"{BaseImageConfigurationKey} is '{resource.BaseImage}'; allowed: an image name containing {{release}} (e.g. debian:{{release}}-slim), because each platform builds on its own Debian release."]);
        }

        resource.UseTls(StackTls.For(builder));
        var cluster = builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PatroniCluster",
                State = KnownResourceStates.Starting,
                Properties = [new(PatroniClusterResource.LeaderPropertyName, "")],
            });
        etcd.Resource.Cluster = resource;
        EtcdBuilderExtensions.Refresh(etcd);

        var primaryCheck = $"{name}-primary";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(primaryCheck,
            _ => new NpgsqlQueryHealthCheck(resource.ConnectionStringExpression), failureStatus: null, tags: null));
        cluster.WithHealthCheck(primaryCheck);

        AddNode(cluster);
        AddNode(cluster);

        // The cluster has no process of its own: when Aspire initialises it, start following Patroni (roles, timing,
        // the cluster's state), for as long as the AppHost runs. Resources that wait for the cluster rely on it.
        // With fencing-confirmed failover, a node container's death also releases its leader key at once.
        builder.Eventing.Subscribe<InitializeResourceEvent>(resource, (e, ct) =>
        {
            var watcher = ActivatorUtilities.CreateInstance<PatroniRoleWatcher>(e.Services);
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => watcher.RunAsync(stopping), stopping);
            if (resource.FencedFailover)
            {
                var fencer = new ContainerFencer(
                    resource.Nodes.ToDictionary(n => n.Resource.ContainerName, n => n.Resource.Name),
                    [.. resource.Etcd.Members.Select(m => m.Resource.ContainerName)],
                    PatroniClusterResource.LeaderKey(resource.Scope),
                    resource.TlsMode != TlsMode.Off,
                    resource,
                    e.Notifications,
                    e.Services.GetRequiredService<ContainerEngine>(),
                    e.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ContainerFencer>());
                _ = Task.Run(() => fencer.RunAsync(stopping), stopping);
            }

            return Task.CompletedTask;
        });
        builder.Services.AddContainerEngine();
        return cluster;
    }

    /// <summary>Sets how many replicas run beside the leader: the cluster has <paramref name="replicas"/> + 1 nodes.</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="replicas">From 1 to <see cref="MaxReplicas"/>.</param>
    public static IResourceBuilder<PatroniClusterResource> WithReplicas(this IResourceBuilder<PatroniClusterResource> cluster, int replicas)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicas, MaxReplicas);
        while (cluster.Resource.Nodes.Count < replicas + 1)
        {
            AddNode(cluster);
        }

        while (cluster.Resource.Nodes.Count > replicas + 1)
        {
            var node = cluster.Resource.Nodes[^1].Resource;
            cluster.Resource.RemoveLast();
            var builder = cluster.ApplicationBuilder;
            foreach (var row in builder.Resources.Where(r => r == node || (r is PatroniRoleResource role && role.Node == node)).ToArray())
            {
                builder.Resources.Remove(row);
            }
        }

        return cluster;
    }

    /// <summary>Picks the PostgreSQL major version, and with it the Patroni and Debian release the nodes are built from.</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="major">A major version of <see cref="PostgresPlatform.All"/> (18, 17 or 15).</param>
    /// <exception cref="ArgumentOutOfRangeException">No platform runs <paramref name="major"/>, or it cannot run the chosen synchronous mode.</exception>
    public static IResourceBuilder<PatroniClusterResource> WithPostgresVersion(this IResourceBuilder<PatroniClusterResource> cluster, int major)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var platform = PostgresPlatform.All.FirstOrDefault(p => p.Major == major) ?? throw new ArgumentOutOfRangeException(nameof(major), major,
            $"Allowed: {string.Join(" or ", PostgresPlatform.All.Select(p => $"{p.Major} ({p.Describe()})"))}.");
        ThrowIfIncompatible(platform, cluster.Resource.SynchronousMode, nameof(major));
        if (cluster.Resource.LogicalReplication is not null)
        {
            LogicalReplicationBuilderExtensions.ThrowIfUnsupported(platform, nameof(major));
        }

        cluster.Resource.Platform = platform;
        foreach (var node in cluster.Resource.Nodes)
        {
            ApplyImage(node);
        }

        return cluster;
    }

    /// <summary>Sets Patroni's synchronous replication mode (default <see cref="SynchronousMode.On"/>).</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="mode">The mode; <see cref="SynchronousMode.Quorum"/> needs Patroni 4 (PostgreSQL 18 or 17).</param>
    public static IResourceBuilder<PatroniClusterResource> WithSynchronousMode(this IResourceBuilder<PatroniClusterResource> cluster, SynchronousMode mode)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Allowed: {string.Join(", ", Enum.GetNames<SynchronousMode>())}.");
        }

        ThrowIfIncompatible(cluster.Resource.Platform, mode, nameof(mode));
        cluster.Resource.SynchronousMode = mode;
        return cluster;
    }

    /// <summary>Sets Patroni's timing profile (default <see cref="TimingProfile.Default"/>: ttl 30, loop_wait 10, retry_timeout 10).</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="profile">The profile; <see cref="TimingProfile.Fast"/> is the floor the platform's Patroni accepts.</param>
    public static IResourceBuilder<PatroniClusterResource> WithTiming(this IResourceBuilder<PatroniClusterResource> cluster, TimingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!Enum.IsDefined(profile))
        {
            throw new ArgumentOutOfRangeException(nameof(profile), profile, $"Allowed: {string.Join(", ", Enum.GetNames<TimingProfile>())}.");
        }

        cluster.Resource.TimingProfile = profile;
        return cluster;
    }

    /// <summary>
    /// Turns fencing-confirmed failover on or off (default on): when the container engine reports that the leader's
    /// container died, its leader key is compare-and-deleted in etcd and a replica takes over at once, not after the
    /// ttl. Anything short of a confirmed death (paused, slow, unreachable) waits for the lease.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="enabled">Whether the fencer runs.</param>
    public static IResourceBuilder<PatroniClusterResource> WithFencedFailover(this IResourceBuilder<PatroniClusterResource> cluster, bool enabled = true)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        cluster.Resource.FencedFailover = enabled;
        return cluster;
    }

    /// <summary>
    /// Sets TLS for the cluster, its etcd and everything added to it (default <see cref="TlsMode.On"/>): certificates
    /// from the stack's CA (<see cref="StackTls"/>), connection strings with <c>SSL Mode=VerifyFull</c>.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="mode">The mode.</param>
    public static IResourceBuilder<PatroniClusterResource> WithTls(this IResourceBuilder<PatroniClusterResource> cluster, TlsMode mode)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"Allowed: {string.Join(", ", Enum.GetNames<TlsMode>())}.");
        }

        cluster.Resource.TlsMode = mode;
        foreach (var node in cluster.Resource.Nodes)
        {
            node.WithEndpoint(PatroniNodeResource.RestEndpointName, e => e.UriScheme = mode == TlsMode.Off ? "http" : "https");
        }

        EtcdBuilderExtensions.Refresh(cluster.Resource.Etcd);
        return cluster;
    }

    /// <summary>
    /// Keeps the cluster's data in named volumes (<c>{scope}-{node}-data</c>, and the etcd members'), so it survives
    /// an AppHost restart. Without it, data lives as long as the containers.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    public static IResourceBuilder<PatroniClusterResource> WithDataVolumes(this IResourceBuilder<PatroniClusterResource> cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        cluster.Resource.DataVolumes = true;
        foreach (var node in cluster.Resource.Nodes)
        {
            ApplyDataVolume(node);
            if (cluster.Resource.Backups is { } backups)
            {
                // The repository's volume is now the persistent one.
                BackupBuilderExtensions.MountRepository(node, backups);
            }
        }

        EtcdBuilderExtensions.Refresh(cluster.Resource.Etcd);
        return cluster;
    }

    private static void ThrowIfIncompatible(PostgresPlatform platform, SynchronousMode mode, string argument)
    {
        if (mode == SynchronousMode.Quorum && !platform.SupportsQuorumCommit)
        {
            throw new ArgumentException(
                $"Quorum commit needs Patroni 4, which runs only with PostgreSQL {string.Join(", ", PostgresPlatform.All.Where(p => p.SupportsQuorumCommit).Select(p => p.Major))}; PostgreSQL {platform.Major} runs Patroni {platform.PatroniVersion}. Allowed with it: Off, On, Strict.",
                argument);
        }
    }

    private static void AddNode(IResourceBuilder<PatroniClusterResource> cluster)
    {
        var builder = cluster.ApplicationBuilder;
        var resource = cluster.Resource;
        var secrets = resource.Secrets;
        var nodeName = $"{resource.Name}-{resource.Nodes.Count + 1}";
        var node = builder.AddResource(new PatroniNodeResource(nodeName, resource))
            .WithParentRelationship(cluster)
            .WithEndpoint(targetPort: PatroniNodeResource.PostgresPort, name: PatroniNodeResource.PostgresEndpointName, scheme: "tcp")
            // Patroni's REST API over HTTPS with the node's certificate unless TLS is off.
            .WithEndpoint(targetPort: PatroniNodeResource.RestPort, name: PatroniNodeResource.RestEndpointName, scheme: resource.TlsMode == TlsMode.Off ? "http" : "https")
            // PostgreSQL, Patroni REST and its etcd client: the node's name, and the router's (HAProxy passes
            // PostgreSQL's TLS through, so a client of router:5000 sees the node's certificate).
            .WithServerCertificate(() => resource.TlsMode, () => resource.Router is { } router ? [nodeName, router.Name] : [nodeName])
            .WithEnvironment("PATRONI_NAME", nodeName)
            .WithEnvironment("PATRONI_SCOPE", resource.Scope)
            // Advertise the resource name: the container id ($HOSTNAME) changes on every restart.
            .WithEnvironment("PATRONI_RESTAPI_CONNECT_ADDRESS", nodeName + ":" + PatroniNodeResource.RestPort)
            .WithEnvironment("PATRONI_POSTGRESQL_CONNECT_ADDRESS", nodeName + ":" + PatroniNodeResource.PostgresPort)
            .WithEnvironment("PATRONI_RESTAPI_USERNAME", PatroniClusterResource.RestUser)
            .WithEnvironment("PATRONI_RESTAPI_PASSWORD", secrets.Rest)
            .WithEnvironment("PATRONI_SUPERUSER_PASSWORD", secrets.Superuser)
            .WithEnvironment("PATRONI_REPLICATION_PASSWORD", secrets.Replication)
            .WithEnvironment("PATRONI_REWIND_PASSWORD", secrets.Rewind)
            // A short checkpoint interval keeps the WAL a rewound old leader needs (seen failing otherwise).
            .WithEnvironment("HASTACK_CHECKPOINT_TIMEOUT", "60")
            // Only the bootstrapping node uses these (post_bootstrap.sh creates the roles).
            .WithEnvironment("HASTACK_APP_PASSWORD", secrets.App)
            .WithEnvironment("HASTACK_PGBOUNCER_AUTH_PASSWORD", secrets.PgBouncerAuth)
            .WithEnvironment("HASTACK_MONITOR_PASSWORD", secrets.Monitor)
            // What the fluent settings decide, read when the container starts (or is published).
            .WithEnvironment(context =>
            {
                var timing = resource.Timing;
                var env = context.EnvironmentVariables;
                env["PATRONI_ETCD3_HOSTS"] = resource.Etcd.Hosts;
                env["PATRONI_TTL"] = timing.Ttl.ToString(CultureInfo.InvariantCulture);
                env["PATRONI_LOOP_WAIT"] = timing.LoopWait.ToString(CultureInfo.InvariantCulture);
                env["PATRONI_RETRY_TIMEOUT"] = timing.RetryTimeout.ToString(CultureInfo.InvariantCulture);
                env["HASTACK_SYNCHRONOUS_MODE"] = resource.SynchronousMode switch
                {
                    SynchronousMode.Off => "false",
                    SynchronousMode.Quorum => "quorum",
                    _ => "true",
                };
                env["HASTACK_SYNCHRONOUS_MODE_STRICT"] = resource.SynchronousMode == SynchronousMode.Strict ? "true" : "false";
                env["HASTACK_FAILSAFE_MODE"] = resource.Platform.FailsafeMode ? "true" : "false";
                if (resource.LogicalReplication is { } cdc)
                {
                    // The slots (entrypoint.sh, post_bootstrap.sh, on_role.sh), the consumer role's password
                    // (service_roles.sh), and the other members' physical slots: a consumer is sent a change only
                    // once every standby has it, so no promotion can take back a change it has seen.
                    env["HASTACK_LOGICAL_SLOTS"] = cdc.SlotsVariable;
                    env["HASTACK_CDC_PASSWORD"] = cdc.Password;
                    env["HASTACK_SYNCHRONIZED_STANDBY_SLOTS"] = string.Join(',',
                        resource.Nodes.Select(n => n.Resource.Name).Where(n => n != nodeName).Select(LogicalSlot.MemberSlotName));
                }
            })
            // Patroni's /health is 200 only while PostgreSQL runs (leader or replica, not while cloning).
            .WithHttpHealthCheck("/health", endpointName: PatroniNodeResource.RestEndpointName)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PatroniNode",
                Properties = [new(PatroniNodeResource.RolePropertyName, "unknown")],
            });
        node.WithContainerName(node.Resource.ContainerName);
        ApplyImage(node);
        if (resource.DataVolumes)
        {
            ApplyDataVolume(node);
        }

        foreach (var member in resource.Etcd.Members)
        {
            node.WaitFor(member);
        }

        resource.Add(node);
        if (resource.Backups is { } backups)
        {
            BackupBuilderExtensions.MountRepository(node, backups);
            BackupBuilderExtensions.MountRestoreSource(node, backups);
        }

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

    /// <summary>The image of the cluster's platform, built from the package's <c>patroni</c> context.</summary>
    private static void ApplyImage(IResourceBuilder<PatroniNodeResource> node)
    {
        var platform = node.Resource.Cluster.Platform;
        node.WithImage(PatroniContainerImageTags.Image, platform.NodeImageTag)
            .WithDockerfile(BuildContexts.PathOf(node.ApplicationBuilder, "patroni"))
            .WithBuildArg("BASE_IMAGE", node.Resource.Cluster.BaseImageFor(platform.NodeRelease))
            .WithBuildArg("PG_MAJOR", platform.Major.ToString(CultureInfo.InvariantCulture));
    }

    private static void ApplyDataVolume(IResourceBuilder<PatroniNodeResource> node)
    {
        var volume = node.Resource.DataVolumeName;
        if (node.Resource.Annotations.OfType<ContainerMountAnnotation>().Any(m => m.Source == volume))
        {
            return;
        }

        node.WithVolume(volume, "/var/lib/postgresql/data")
            // Named in the entrypoint's refusal when the volume holds another major version's data.
            .WithEnvironment("HASTACK_DATA_VOLUME", volume);
    }
}

/// <summary>The locally built node image; its tag comes from the platform (<see cref="PostgresPlatform.NodeImageTag"/>).</summary>
internal static class PatroniContainerImageTags
{
    public const string Image = "hastack/patroni";
}
