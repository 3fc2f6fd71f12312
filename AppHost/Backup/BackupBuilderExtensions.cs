using HaStack.AppHost;
using HaStack.AppHost.Backup;
using HaStack.AppHost.Patroni;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

public static class BackupBuilderExtensions
{
    /// <summary>
    /// Adds the cluster's pgBackRest repository <paramref name="name"/> (a child of the cluster): a volume mounted into
    /// every node, into which the leader archives its WAL and <see cref="BackupScheduler"/> takes backups, with the
    /// dashboard commands "Backup now" and "Full backup now". With <c>HaStack:RestoreFrom</c>, the nodes also mount
    /// that stack's repository read-only and the cluster bootstraps from it by point-in-time recovery; the source is
    /// checked first (<see cref="RestoreSource"/>).
    /// </summary>
    /// <exception cref="HaStackConfigurationException">The restore source cannot recover to the requested time.</exception>
    public static IResourceBuilder<BackupRepositoryResource> AddBackupRepository(
        this IResourceBuilder<PatroniClusterResource> cluster, string name, HaStackOptions options)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        var builder = cluster.ApplicationBuilder;

        // The node containers' run suffix ("<stack>-<run>-pg-1") names a non-persistent stack's volume too.
        var run = cluster.Resource.Nodes[0].Resource.ContainerName[(options.Name.Length + 1)..].Split('-')[0];
        var volume = options.Persistent ? BackupRepositoryResource.PersistentVolumeName(options.Name) : $"{options.Name}-{run}-backup";
        var sourceVolume = options.RestoreFrom is null ? null : RestoreSource.Check(options);

        var repository = builder.AddResource(new BackupRepositoryResource(name, cluster.Resource.Scope, volume, options.Persistent, options.BackupSchedule))
            .WithParentRelationship(cluster)
            .ExcludeFromManifest()
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = BackupRepositoryResource.ResourceTypeName,
                State = KnownResourceStates.Starting,
                Properties =
                [
                    new(BackupRepositoryResource.VolumePropertyName, volume),
                    new(BackupRepositoryResource.SchedulePropertyName, options.BackupSchedule is { } every ? $"incremental every {every}, full daily" : "off"),
                    new(BackupRepositoryResource.LastBackupPropertyName, "none yet"),
                ],
            });

        foreach (var node in cluster.Resource.Nodes)
        {
            node.WithVolume(volume, BackupRepositoryResource.MountPath);
            if (sourceVolume is not null)
            {
                node.WithVolume(sourceVolume, BackupRepositoryResource.SourceMountPath, isReadOnly: true)
                    .WithEnvironment("HASTACK_RESTORE_FROM", options.RestoreFrom!)
                    .WithEnvironment("HASTACK_RESTORE_TIME", RestoreSource.RecoveryTargetTime(options.RestoreTime!.Value))
                    .WithEnvironment("HASTACK_RESTORE_EPOCH", (options.RestoreTime!.Value.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        BackupScheduler? scheduler = null;
        // The volume exists, labelled, before any node mounts it; a non-persistent one goes when the AppHost stops.
        if (!builder.ExecutionContext.IsPublishMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
            {
                BackupVolumes.Prepare(repository.Resource, options.Name);
                return Task.CompletedTask;
            });
        }
        builder.Eventing.Subscribe<InitializeResourceEvent>(repository.Resource, (e, ct) =>
        {
            var started = ActivatorUtilities.CreateInstance<BackupScheduler>(e.Services, repository.Resource, cluster.Resource);
            scheduler = started;
            var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = lifetime.ApplicationStopping;
            _ = Task.Run(() => started.RunAsync(stopping), stopping);
            lifetime.ApplicationStopped.Register(() => BackupVolumes.RemoveAsync(repository.Resource).GetAwaiter().GetResult());
            return Task.CompletedTask;
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

        return repository;
    }
}
