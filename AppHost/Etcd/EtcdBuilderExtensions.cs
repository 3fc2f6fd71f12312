using HaStack.AppHost;
using HaStack.AppHost.Etcd;
using HaStack.AppHost.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

public static class EtcdBuilderExtensions
{
    /// <summary>
    /// Adds the etcd cluster <paramref name="prefix"/> and its <c>options.EtcdMembers</c> members named
    /// <c>{prefix}-1</c> … <c>{prefix}-n</c> (children of the cluster in the dashboard), built from
    /// <c>Etcd/Dockerfile</c>. Members advertise their resource names, which stay valid across container restarts.
    /// Each member publishes only its read-only metrics port (<c>/health</c>, <c>/metrics</c>) to the host, and its
    /// client port too when <c>HaStack:PublishEtcdClient</c> asks.
    /// </summary>
    public static IResourceBuilder<EtcdClusterResource> AddEtcdCluster(this IDistributedApplicationBuilder builder, string prefix, HaStackOptions options, StackTls tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(options);

        var names = Enumerable.Range(1, options.EtcdMembers).Select(i => $"{prefix}-{i}").ToArray();
        // A grouping without a process of its own: each member below shows its own state and health.
        var cluster = builder.AddResource(new EtcdClusterResource(prefix))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "EtcdCluster",
                Properties = [new("etcd.hosts", string.Join(',', names.Select(n => $"{n}:{EtcdMemberResource.ClientPort}")))],
            });
        // Client (2379) and peer (2380) traffic over HTTPS with the stack's certificates unless HaStack:Tls is off;
        // the metrics listener (2381: /health, /metrics, read-only) stays plain HTTP.
        var scheme = tls.Enabled ? "https" : "http";
        var initialCluster = string.Join(',', names.Select(n => $"{n}={scheme}://{n}:{EtcdMemberResource.PeerPort}"));
        // Container names carry a per-run suffix, as the Patroni nodes' do: unique on the engine, known to the drill.
        var runId = Guid.NewGuid().ToString("N")[..8];

        foreach (var name in names)
        {
            string clientUrl = $"{scheme}://{name}:{EtcdMemberResource.ClientPort}", peerUrl = $"{scheme}://{name}:{EtcdMemberResource.PeerPort}";
            var containerName = $"{options.Name}-{runId}-{name}";
            var member = builder.AddResource(new EtcdMemberResource(name, containerName))
                .WithParentRelationship(cluster)
                .WithContainerName(containerName)
                .WithImage(EtcdContainerImageTags.Image, EtcdContainerImageTags.Tag)
                .WithDockerfile(Path.Combine(builder.AppHostDirectory, "Etcd"))
                .WithBuildArg("BASE_IMAGE", options.SharedBaseImage)
                .WithHttpEndpoint(targetPort: EtcdMemberResource.MetricsPort, name: EtcdMemberResource.MetricsEndpointName)
                .WithEnvironment("ETCD_NAME", name)
                .WithEnvironment("ETCD_DATA_DIR", "/var/lib/etcd/data")
                .WithEnvironment("ETCD_LISTEN_CLIENT_URLS", scheme + "://0.0.0.0:" + EtcdMemberResource.ClientPort)
                .WithEnvironment("ETCD_ADVERTISE_CLIENT_URLS", clientUrl)
                .WithEnvironment("ETCD_LISTEN_METRICS_URLS", "http://0.0.0.0:" + EtcdMemberResource.MetricsPort)
                .WithEnvironment("ETCD_LISTEN_PEER_URLS", scheme + "://0.0.0.0:" + EtcdMemberResource.PeerPort)
                .WithEnvironment("ETCD_INITIAL_ADVERTISE_PEER_URLS", peerUrl)
                .WithEnvironment("ETCD_INITIAL_CLUSTER", initialCluster)
                .WithEnvironment("ETCD_INITIAL_CLUSTER_STATE", "new")
                .WithEnvironment("ETCD_INITIAL_CLUSTER_TOKEN", options.Name)
                .WithEnvironment("ETCD_LOGGER", "zap")
                // /health answers 200 only when the member sees a leader, i.e. the cluster has quorum.
                .WithHttpHealthCheck("/health", endpointName: EtcdMemberResource.MetricsEndpointName)
                .WithServerCertificate(tls, name);
            if (tls.Enabled)
            {
                // etcd runs as root in its container: it reads the files where Aspire put them. No client CA: that
                // would demand client certificates; peers do present theirs.
                const string dir = StackTls.ContainerDirectory;
                member.WithEnvironment("ETCD_CERT_FILE", $"{dir}/server.crt")
                    .WithEnvironment("ETCD_KEY_FILE", $"{dir}/server.key")
                    .WithEnvironment("ETCD_PEER_CERT_FILE", $"{dir}/server.crt")
                    .WithEnvironment("ETCD_PEER_KEY_FILE", $"{dir}/server.key")
                    .WithEnvironment("ETCD_PEER_TRUSTED_CA_FILE", $"{dir}/ca.crt")
                    .WithEnvironment("ETCD_PEER_CLIENT_CERT_AUTH", "true");
            }

            if (options.PublishEtcdClient)
            {
                member.WithEndpoint(targetPort: EtcdMemberResource.ClientPort, name: EtcdMemberResource.ClientEndpointName, scheme: scheme);
            }

            if (options.Persistent)
            {
                member.WithVolume($"{options.Name}-{name}-data", "/var/lib/etcd");
            }

            cluster.Resource.Add(member);
        }

        // The cluster has no process of its own: its state is its members' quorum, as their health checks see it.
        builder.Eventing.Subscribe<InitializeResourceEvent>(cluster.Resource, (e, ct) =>
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => FollowQuorumAsync(cluster.Resource, e.Notifications, stopping), stopping);
            return Task.CompletedTask;
        });
        return cluster;
    }

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
                await notifications.PublishUpdateAsync(cluster, s => s with { State = new ResourceStateSnapshot(text, style) }).ConfigureAwait(false);
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
