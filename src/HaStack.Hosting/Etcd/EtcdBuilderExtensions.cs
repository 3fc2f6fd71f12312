using HaStack.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>Adds the etcd cluster that holds a Patroni cluster's leader lock.</summary>
public static class EtcdBuilderExtensions
{
    /// <summary>
    /// Adds the etcd cluster <paramref name="name"/> with three members named <c>{name}-1</c> … <c>{name}-3</c>
    /// (children of the cluster in the dashboard; quorum survives one member's loss). Members advertise their
    /// resource names, which stay valid across container restarts, and publish only their read-only metrics port
    /// (<c>/health</c>, <c>/metrics</c>) to the host. Give it to <see cref="PatroniBuilderExtensions.AddPatroniCluster"/>:
    /// the Patroni cluster's scope, TLS mode and data volumes then apply to it too.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource name (lowercase letters, digits and '-', starting with a letter).</param>
    public static IResourceBuilder<EtcdClusterResource> AddEtcdCluster(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Names.ThrowIfInvalid(name, nameof(name));

        // A grouping without a process of its own: each member below shows its own state and health.
        var cluster = builder.AddResource(new EtcdClusterResource(name))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "EtcdCluster",
                Properties = [],
            });
        cluster.WithMembers(3);

        // Its state is its members' quorum, as their health checks see it.
        builder.Eventing.Subscribe<InitializeResourceEvent>(cluster.Resource, (e, ct) =>
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => FollowQuorumAsync(cluster.Resource, e.Notifications, stopping), stopping);
            return Task.CompletedTask;
        });
        return cluster;
    }

    /// <summary>Sets the number of members: 1 (no quorum to lose) or 3 (survives one loss).</summary>
    /// <param name="etcd">The etcd cluster.</param>
    /// <param name="members">1 or 3; two members have no more fault tolerance than one.</param>
    public static IResourceBuilder<EtcdClusterResource> WithMembers(this IResourceBuilder<EtcdClusterResource> etcd, int members)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        if (members is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(members), members, "Allowed: 1 or 3 (two members have no more fault tolerance than one).");
        }

        var builder = etcd.ApplicationBuilder;
        while (etcd.Resource.Members.Count > members)
        {
            var member = etcd.Resource.Members[^1].Resource;
            etcd.Resource.RemoveLast();
            builder.Resources.Remove(member);
        }

        while (etcd.Resource.Members.Count < members)
        {
            AddMember(etcd);
        }

        Refresh(etcd);
        return etcd;
    }

    /// <summary>
    /// Publishes every member's client port (2379: the v3 API, read-write, no authentication) to the host's loopback,
    /// e.g. for <c>etcdctl</c>. Off by default: only the stack's containers reach it.
    /// </summary>
    /// <param name="etcd">The etcd cluster.</param>
    public static IResourceBuilder<EtcdClusterResource> WithClientPortOnHost(this IResourceBuilder<EtcdClusterResource> etcd)
    {
        ArgumentNullException.ThrowIfNull(etcd);
        etcd.Resource.ClientPortOnHost = true;
        Refresh(etcd);
        return etcd;
    }

    private static void AddMember(IResourceBuilder<EtcdClusterResource> etcd)
    {
        var builder = etcd.ApplicationBuilder;
        var cluster = etcd.Resource;
        var name = $"{cluster.Name}-{cluster.Members.Count + 1}";
        var member = builder.AddResource(new EtcdMemberResource(name, cluster))
            .WithParentRelationship(etcd)
            .WithHaStackImage("etcd", EtcdContainerImageTags.Image, EtcdContainerImageTags.Tag)
            .WithHttpEndpoint(targetPort: EtcdMemberResource.MetricsPort, name: EtcdMemberResource.MetricsEndpointName)
            .WithEnvironment("ETCD_NAME", name)
            .WithEnvironment("ETCD_DATA_DIR", "/var/lib/etcd/data")
            .WithEnvironment("ETCD_LISTEN_METRICS_URLS", "http://0.0.0.0:" + EtcdMemberResource.MetricsPort)
            .WithEnvironment("ETCD_INITIAL_CLUSTER_STATE", "new")
            .WithEnvironment("ETCD_LOGGER", "zap")
            // Client (2379) and peer (2380) traffic over HTTPS with the stack's certificates unless TLS is off; the
            // metrics listener (2381: /health, /metrics, read-only) stays plain HTTP. Decided when the member starts.
            .WithEnvironment(context =>
            {
                var scheme = cluster.TlsEnabled ? "https" : "http";
                var env = context.EnvironmentVariables;
                env["ETCD_LISTEN_CLIENT_URLS"] = $"{scheme}://0.0.0.0:{EtcdMemberResource.ClientPort}";
                env["ETCD_ADVERTISE_CLIENT_URLS"] = $"{scheme}://{name}:{EtcdMemberResource.ClientPort}";
                env["ETCD_LISTEN_PEER_URLS"] = $"{scheme}://0.0.0.0:{EtcdMemberResource.PeerPort}";
                env["ETCD_INITIAL_ADVERTISE_PEER_URLS"] = $"{scheme}://{name}:{EtcdMemberResource.PeerPort}";
                env["ETCD_INITIAL_CLUSTER"] = string.Join(',', cluster.Members.Select(m => $"{m.Resource.Name}={scheme}://{m.Resource.Name}:{EtcdMemberResource.PeerPort}"));
                env["ETCD_INITIAL_CLUSTER_TOKEN"] = cluster.Stack;
                if (cluster.TlsEnabled)
                {
                    // etcd runs as root in its container: it reads the files where Aspire put them. No client CA:
                    // that would demand client certificates; peers do present theirs.
                    const string dir = StackTls.ContainerDirectory;
                    env["ETCD_CERT_FILE"] = $"{dir}/server.crt";
                    env["ETCD_KEY_FILE"] = $"{dir}/server.key";
                    env["ETCD_PEER_CERT_FILE"] = $"{dir}/server.crt";
                    env["ETCD_PEER_KEY_FILE"] = $"{dir}/server.key";
                    env["ETCD_PEER_TRUSTED_CA_FILE"] = $"{dir}/ca.crt";
                    env["ETCD_PEER_CLIENT_CERT_AUTH"] = "true";
                }
            })
            // /health answers 200 only when the member sees a leader, i.e. the cluster has quorum.
            .WithHttpHealthCheck("/health", endpointName: EtcdMemberResource.MetricsEndpointName)
            .WithServerCertificate(() => cluster.Cluster?.TlsMode ?? TlsMode.Off, name);
        cluster.Add(member);
    }

    /// <summary>Re-applies what depends on the Patroni cluster's settings: container names, volumes, the client port.</summary>
    internal static void Refresh(IResourceBuilder<EtcdClusterResource> etcd) => Refresh(etcd.Resource);

    internal static void Refresh(EtcdClusterResource etcd)
    {
        foreach (var member in etcd.Members)
        {
            member.WithContainerName(member.Resource.ContainerName);
            if (etcd.Cluster is { DataVolumes: true }
                && !member.Resource.Annotations.OfType<ContainerMountAnnotation>().Any(m => m.Source == member.Resource.DataVolumeName))
            {
                member.WithVolume(member.Resource.DataVolumeName, "/var/lib/etcd");
            }

            var scheme = etcd.TlsEnabled ? "https" : "http";
            if (etcd.ClientPortOnHost)
            {
                member.WithEndpoint(EtcdMemberResource.ClientEndpointName, e => e.UriScheme = scheme, createIfNotExists: false);
                if (!member.Resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == EtcdMemberResource.ClientEndpointName))
                {
                    member.WithEndpoint(targetPort: EtcdMemberResource.ClientPort, name: EtcdMemberResource.ClientEndpointName, scheme: scheme);
                }
            }
        }
    }

    internal static string SharedBaseImage(IDistributedApplicationBuilder builder) =>
        (builder.Configuration[PatroniBuilderExtensions.BaseImageConfigurationKey] is { Length: > 0 } image ? image : "debian:{release}-slim")
        .Replace("{release}", PostgresPlatform.SharedRelease, StringComparison.Ordinal);

    /// <summary>Publishes <c>Running</c> while more than half the members are healthy, else <c>No quorum</c>.</summary>
    private static async Task FollowQuorumAsync(EtcdClusterResource cluster, ResourceNotificationService notifications, CancellationToken ct)
    {
        string? published = null;
        var hadQuorum = false;
        while (!ct.IsCancellationRequested)
        {
            var healthy = cluster.Members.Count(m => notifications.TryGetCurrentState(m.Resource.Name, out var state)
                                                     && state.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy);
            hadQuorum |= healthy * 2 > cluster.Members.Count;
            var (text, style) = healthy * 2 > cluster.Members.Count
                ? (KnownResourceStates.Running, KnownResourceStateStyles.Success)
                : (hadQuorum ? "No quorum" : KnownResourceStates.Starting, KnownResourceStateStyles.Warn);
            if (text != published)
            {
                published = text;
                await notifications.PublishUpdateAsync(cluster, s => s with
                {
                    State = new ResourceStateSnapshot(text, style),
                    Properties = [.. s.Properties.Where(p => p.Name != "etcd.hosts"), new("etcd.hosts", cluster.Hosts)],
                }).ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
