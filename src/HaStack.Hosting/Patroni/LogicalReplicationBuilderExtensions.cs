namespace Aspire.Hosting;

/// <summary>Logical replication (change data capture) on a Patroni cluster, with slots that follow a failover.</summary>
public static class LogicalReplicationBuilderExtensions
{
    /// <summary>
    /// Declares a logical replication slot that survives failover: created with <c>failover = true</c> in the
    /// application database when the cluster bootstraps, and kept in sync on every standby by PostgreSQL (17 and
    /// later: <c>sync_replication_slots</c>), so a consumer continues from its position on whichever node leads.
    /// The cluster then runs with <c>wal_level = logical</c>; each node lists the other members' physical slots in
    /// <c>synchronized_standby_slots</c>, so a consumer is never sent a change a standby has not received (it waits
    /// while a standby is down). The first slot adds the <c>{cluster}-cdc</c> resource: the connection a consumer
    /// uses, as the <c>cdc</c> role (LOGIN REPLICATION), with a generated password <c>{cluster}-cdc-password</c>.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="name">The slot's name: lowercase letters, digits and '_', at most 63.</param>
    /// <param name="plugin">The output plugin: <c>pgoutput</c> (default) or <c>test_decoding</c>.</param>
    /// <exception cref="ArgumentException">The name or plugin is not allowed, the slot is declared twice, or the platform's PostgreSQL has no failover slots.</exception>
    public static IResourceBuilder<PatroniClusterResource> WithLogicalFailoverSlot(this IResourceBuilder<PatroniClusterResource> cluster, string name, string plugin = "pgoutput")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!LogicalSlot.IsValidName(name))
        {
            throw new ArgumentException($"The slot name '{name}' is not allowed: use lowercase letters, digits and '_', at most 63 characters.", nameof(name));
        }

        if (!LogicalSlot.Plugins.Contains(plugin))
        {
            throw new ArgumentException($"The output plugin '{plugin}' is not in the node image; allowed: {string.Join(", ", LogicalSlot.Plugins)}.", nameof(plugin));
        }

        var resource = cluster.Resource;
        ThrowIfUnsupported(resource.Platform, nameof(cluster));
        if (resource.LogicalReplication?.Slots.Any(s => s.Name == name) == true)
        {
            throw new ArgumentException($"The logical slot '{name}' is declared twice.", nameof(name));
        }

        if (resource.LogicalReplication is null)
        {
            var builder = cluster.ApplicationBuilder;
            var password = builder.AddParameter($"{resource.Name}-cdc-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
                .WithDescription("Logical replication consumer role (cdc: LOGIN REPLICATION) password.");
            resource.LogicalReplication = new LogicalReplicationResource($"{resource.Name}-cdc", resource, password.Resource);
            builder.AddResource(resource.LogicalReplication).WithParentRelationship(cluster).ExcludeFromManifest();
        }

        // The dashboard lists the slots on the resource (the snapshot is replaced with each slot declared).
        resource.LogicalReplication.Add(new LogicalSlot(name, plugin));
        cluster.ApplicationBuilder.CreateResourceBuilder(resource.LogicalReplication).WithInitialState(new CustomResourceSnapshot
        {
            ResourceType = "LogicalReplication",
            State = KnownResourceStates.Running,
            Properties = [new("cdc.slots", string.Join(", ", resource.LogicalReplication.Slots.Select(s => $"{s.Name} ({s.Plugin}, failover)")))],
        });
        return cluster;
    }

    /// <summary>
    /// The cluster's <c>{cluster}-cdc</c> resource, for <c>WithReference</c> from a consumer: its connection string
    /// reaches the leader as the <c>cdc</c> role.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <exception cref="InvalidOperationException">No slot was declared with <see cref="WithLogicalFailoverSlot"/>.</exception>
    public static IResourceBuilder<LogicalReplicationResource> GetLogicalReplication(this IResourceBuilder<PatroniClusterResource> cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return cluster.Resource.LogicalReplication is { } cdc
            ? cluster.ApplicationBuilder.CreateResourceBuilder(cdc)
            : throw new InvalidOperationException($"The cluster '{cluster.Resource.Name}' has no logical replication: declare a slot with WithLogicalFailoverSlot first.");
    }

    /// <summary>Refuses a platform whose PostgreSQL cannot synchronize logical slots to standbys.</summary>
    internal static void ThrowIfUnsupported(PostgresPlatform platform, string argument)
    {
        if (!platform.SupportsFailoverSlots)
        {
            throw new ArgumentException(
                $"Logical failover slots need PostgreSQL 17 or later (slot synchronization to standbys); the cluster runs PostgreSQL {platform.Major}. Allowed with them: {string.Join(", ", PostgresPlatform.All.Where(p => p.SupportsFailoverSlots).Select(p => p.Major))}.",
                argument);
        }
    }
}
