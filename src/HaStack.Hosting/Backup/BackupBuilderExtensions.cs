using System.Globalization;
using HaStack.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>pgBackRest backups and point-in-time recovery for a Patroni cluster.</summary>
public static class BackupBuilderExtensions
{
    /// <summary>
    /// Adds the cluster's pgBackRest repository <paramref name="name"/> (a child of the cluster): a volume mounted into
    /// every node, into which the leader archives its WAL and the AppHost takes backups on the leader: one as soon as
    /// the cluster has a leader, then an incremental every <paramref name="schedule"/> and a full one daily, and on the
    /// dashboard commands "Backup now" and "Full backup now". Backups follow a failover.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="schedule">How often to take an incremental backup, from 1 minute to 31 days; null: only at start and by command.</param>
    /// <param name="name">The repository's resource name.</param>
    public static IResourceBuilder<PatroniClusterResource> WithBackups(this IResourceBuilder<PatroniClusterResource> cluster, TimeSpan? schedule, [ResourceName] string name = "backups")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Names.ThrowIfInvalid(name, nameof(name));
        if (schedule is { } every && (every < TimeSpan.FromMinutes(1) || every > TimeSpan.FromDays(31)))
        {
            throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Allowed: from 1 minute to 31 days, or null for no schedule.");
        }

        if (cluster.Resource.Backups is { } existing)
        {
            existing.Schedule = schedule;
            return cluster;
        }

        var builder = cluster.ApplicationBuilder;
        var repository = builder.AddResource(new BackupRepositoryResource(name, cluster.Resource) { Schedule = schedule })
            .WithParentRelationship(cluster)
            .ExcludeFromManifest()
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = BackupRepositoryResource.ResourceTypeName,
                State = KnownResourceStates.Starting,
                Properties = [new(BackupRepositoryResource.LastBackupPropertyName, "none yet")],
            });
        cluster.Resource.Backups = repository.Resource;
        foreach (var node in cluster.Resource.Nodes)
        {
            MountRepository(node, repository.Resource);
        }

        BackupScheduler? scheduler = null;
        // The volume exists, labelled, before any node mounts it; a non-persistent one goes when the AppHost stops.
        if (!builder.ExecutionContext.IsPublishMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
            {
                BackupVolumes.Prepare(repository.Resource, cluster.Resource.Scope);
                return Task.CompletedTask;
            });
        }

        builder.Eventing.Subscribe<InitializeResourceEvent>(repository.Resource, async (e, ct) =>
        {
            var resource = repository.Resource;
            await e.Notifications.PublishUpdateAsync(resource, s => s with
            {
                Properties = [.. s.Properties.Where(p => p.Name is not (BackupRepositoryResource.VolumePropertyName or BackupRepositoryResource.SchedulePropertyName)),
                    new(BackupRepositoryResource.VolumePropertyName, resource.VolumeName),
                    new(BackupRepositoryResource.SchedulePropertyName, resource.Schedule is { } every ? $"incremental every {every}, full daily" : "off")],
            }).ConfigureAwait(false);
            var started = ActivatorUtilities.CreateInstance<BackupScheduler>(e.Services, resource, cluster.Resource);
            scheduler = started;
            var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = lifetime.ApplicationStopping;
            _ = Task.Run(() => started.RunAsync(stopping), stopping);
            lifetime.ApplicationStopped.Register(() => BackupVolumes.RemoveAsync(resource).GetAwaiter().GetResult());
        });

        foreach (var (command, display, type, description) in new[]
                 {
                     ("backup-now", "Backup now", BackupType.Incremental, "Takes an incremental backup on the leader now (a full one if the repository has none)."),
                     ("full-backup-now", "Full backup now", BackupType.Full, "Takes a full backup on the leader now."),
                 })
        {
            repository.WithCommand(command, display, async context =>
                {
                    if (scheduler is null)
                    {
                        return CommandResults.Failure("The backup repository is not initialised yet.");
                    }

                    var outcome = await scheduler.BackupAsync(type, "dashboard command", context.CancellationToken).ConfigureAwait(false);
                    return outcome.Succeeded ? CommandResults.Success(outcome.Message) : CommandResults.Failure(outcome.Message);
                },
                new CommandOptions
                {
                    Description = description,
                    IconName = type == BackupType.Full ? "SaveMultiple" : "Save",
                    IsHighlighted = type == BackupType.Incremental,
                    UpdateState = c => c.ResourceSnapshot.State?.Text == KnownResourceStates.Starting ? ResourceCommandState.Disabled : ResourceCommandState.Enabled,
                });
        }

        return cluster;
    }

    /// <summary>
    /// Bootstraps the cluster from another stack's backup repository by point-in-time recovery to
    /// <paramref name="time"/>, instead of <c>initdb</c>. The source's repository is mounted read-only. When the
    /// AppHost runs, the source is checked here, before anything starts: it exists, holds a backup completed at or
    /// before <paramref name="time"/>, and has archived WAL up to it; otherwise a <see cref="HaStackConfigurationException"/>
    /// says what can be restored instead. Call it after <see cref="WithBackups"/>.
    /// </summary>
    /// <param name="cluster">The cluster (its scope must differ from <paramref name="stack"/>).</param>
    /// <param name="stack">The scope of the stack whose repository to restore.</param>
    /// <param name="time">The point in time to recover to.</param>
    /// <exception cref="HaStackConfigurationException">The source cannot recover to <paramref name="time"/>.</exception>
    public static IResourceBuilder<PatroniClusterResource> WithPointInTimeRestore(this IResourceBuilder<PatroniClusterResource> cluster, string stack, DateTimeOffset time) =>
        WithPointInTimeRestore(cluster, stack, time, nameof(stack), nameof(time));

    /// <summary>
    /// <see cref="WithPointInTimeRestore(IResourceBuilder{PatroniClusterResource}, string, DateTimeOffset)"/>, with
    /// the names the user gave the source and the time (e.g. configuration keys) in its messages.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="stack">The scope of the stack whose repository to restore.</param>
    /// <param name="time">The point in time to recover to.</param>
    /// <param name="stackSetting">What the user called <paramref name="stack"/>.</param>
    /// <param name="timeSetting">What the user called <paramref name="time"/>.</param>
    public static IResourceBuilder<PatroniClusterResource> WithPointInTimeRestore(
        this IResourceBuilder<PatroniClusterResource> cluster, string stack, DateTimeOffset time, string stackSetting, string timeSetting)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Names.ThrowIfInvalid(stack, nameof(stack));
        if (stack == cluster.Resource.Scope)
        {
            throw new ArgumentException($"'{stack}' is this cluster's own scope; a restore goes into a new stack with another scope.", nameof(stack));
        }

        var repository = cluster.Resource.Backups ?? throw new InvalidOperationException("Call WithBackups before WithPointInTimeRestore: the restored cluster archives into its own repository.");
        var builder = cluster.ApplicationBuilder;
        var sourceVolume = builder.ExecutionContext.IsRunMode
            ? RestoreSource.Check(stack, time, EtcdBuilderExtensions.SharedBaseImage(builder), stackSetting, timeSetting)
            : BackupRepositoryResource.PersistentVolumeName(stack);
        repository.RestoreFrom = stack;
        repository.RestoreTime = time;
        repository.RestoreSourceVolume = sourceVolume;
        foreach (var node in cluster.Resource.Nodes)
        {
            MountRestoreSource(node, repository);
        }

        return cluster;
    }

    /// <summary>Mounts the restore source's repository read-only and tells the node what to recover.</summary>
    internal static void MountRestoreSource(IResourceBuilder<PatroniNodeResource> node, BackupRepositoryResource repository)
    {
        if (repository is not { RestoreFrom: { } stack, RestoreTime: { } time, RestoreSourceVolume: { } volume })
        {
            return;
        }

        node.WithVolume(volume, BackupRepositoryResource.SourceMountPath, isReadOnly: true)
            .WithEnvironment("HASTACK_RESTORE_FROM", stack)
            .WithEnvironment("HASTACK_RESTORE_TIME", RestoreSource.RecoveryTargetTime(time))
            .WithEnvironment("HASTACK_RESTORE_EPOCH", (time.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture));
    }

    /// <summary>Mounts the repository's current volume into <paramref name="node"/> (replacing an earlier mount).</summary>
    internal static void MountRepository(IResourceBuilder<PatroniNodeResource> node, BackupRepositoryResource repository)
    {
        foreach (var old in node.Resource.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Target == BackupRepositoryResource.MountPath).ToArray())
        {
            node.Resource.Annotations.Remove(old);
        }

        node.WithVolume(repository.VolumeName, BackupRepositoryResource.MountPath);
    }
}
