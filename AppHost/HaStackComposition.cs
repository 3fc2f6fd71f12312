namespace HaStack.AppHost;

/// <summary>
/// The one place where the <c>HaStack:</c> settings (<see cref="HaStackOptions"/>) become HaStack.Hosting's fluent
/// calls: what a consumer of the package writes in code, this AppHost reads from its configuration.
/// </summary>
internal static class HaStackComposition
{
    public static IResourceBuilder<EtcdClusterResource> WithSettings(this IResourceBuilder<EtcdClusterResource> etcd, HaStackOptions options)
    {
        etcd.WithMembers(options.EtcdMembers);
        return options.PublishEtcdClient ? etcd.WithClientPortOnHost() : etcd;
    }

    /// <exception cref="HaStackConfigurationException">A restore source cannot recover to the requested time.</exception>
    public static IResourceBuilder<PatroniClusterResource> WithSettings(this IResourceBuilder<PatroniClusterResource> cluster, HaStackOptions options)
    {
        cluster.WithPostgresVersion(options.PostgresVersion)
            .WithReplicas(options.Replicas)
            .WithSynchronousMode(options.SynchronousMode)
            .WithTiming(options.Timing)
            .WithFencedFailover(options.FencedFailover == FencedFailover.On)
            .WithTls(options.Tls)
            .WithBackups(options.BackupSchedule);
        if (options.Persistent)
        {
            cluster.WithDataVolumes();
        }

        if (options.RestoreFrom is { } source && options.RestoreTime is { } time)
        {
            cluster.WithPointInTimeRestore(source, time,
                $"{HaStackOptions.SectionName}:{nameof(HaStackOptions.RestoreFrom)}", $"{HaStackOptions.SectionName}:{nameof(HaStackOptions.RestoreTime)}");
        }

        return cluster;
    }
}
