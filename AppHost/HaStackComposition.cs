using Microsoft.Extensions.Configuration;

namespace HaStack.AppHost;

/// <summary>
/// The one place where the <c>HaStack:</c> settings (<see cref="HaStackOptions"/>) become HaStack.Hosting's fluent
/// calls: what a consumer of the package writes in code, this AppHost reads from its configuration.
/// </summary>
public static class HaStackComposition
{
    /// <summary>Earlier parameter name → the name HaStack.Hosting gives it for the cluster <c>{0}</c>.</summary>
    private static readonly (string Earlier, string Current)[] s_renamedParameters =
    [
        ("app-password", "{0}-app-password"),
        ("patroni-rest-password", "{0}-rest-password"),
        ("pgbouncer-auth-password", "{0}-pgbouncer-auth-password"),
        ("alert-webhook-secret", "healthprobe-webhook-secret"),
        ("drill-control-secret", "failoverdrill-control-secret"),
    ];

    /// <summary>
    /// A stack made before HaStack.Hosting kept five secrets under other names (in user secrets, and in its data
    /// volumes as roles' passwords). Where only the earlier name has a value, it is used for the current one, so such
    /// a stack still logs in to its own data instead of generating new passwords.
    /// </summary>
    public static void KeepEarlierParameterNames(IConfiguration configuration, string clusterName)
    {
        foreach (var (earlier, current) in s_renamedParameters)
        {
            var name = string.Format(System.Globalization.CultureInfo.InvariantCulture, current, clusterName);
            if (configuration[$"Parameters:{earlier}"] is { Length: > 0 } value && configuration[$"Parameters:{name}"] is not { Length: > 0 })
            {
                configuration[$"Parameters:{name}"] = value;
            }
        }
    }

    /// <summary>The etcd settings: members, and whether the client port is published.</summary>
    public static IResourceBuilder<EtcdClusterResource> WithSettings(this IResourceBuilder<EtcdClusterResource> etcd, HaStackOptions options)
    {
        etcd.WithMembers(options.EtcdMembers);
        return options.PublishEtcdClient ? etcd.WithClientPortOnHost() : etcd;
    }

    /// <summary>Every cluster setting, as the fluent calls a consumer of the package writes.</summary>
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

        foreach (var slot in options.LogicalSlots)
        {
            cluster.WithLogicalFailoverSlot(slot.Name, slot.Plugin);
        }

        if (options.RestoreFrom is { } source && options.RestoreTime is { } time)
        {
            cluster.WithPointInTimeRestore(source, time,
                $"{HaStackOptions.SectionName}:{nameof(HaStackOptions.RestoreFrom)}", $"{HaStackOptions.SectionName}:{nameof(HaStackOptions.RestoreTime)}");
        }

        return cluster;
    }
}
