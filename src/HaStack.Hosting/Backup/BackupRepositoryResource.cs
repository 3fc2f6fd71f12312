namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Patroni cluster's pgBackRest repository: a volume mounted into every node at <see cref="MountPath"/>, holding the
/// WAL archive and the backups of the stanza <see cref="Stanza"/> (the Patroni scope). A child of the cluster in the
/// dashboard; its state is the last backup's outcome, its commands take a backup now.
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="cluster">The cluster whose repository it is.</param>
public sealed class BackupRepositoryResource(string name, PatroniClusterResource cluster) : Resource(name)
{
    /// <summary>The dashboard's resource type.</summary>
    public const string ResourceTypeName = "BackupRepository";

    /// <summary>Where the repository is mounted in each node.</summary>
    public const string MountPath = "/var/lib/pgbackrest";

    /// <summary>Where a restoring stack mounts its source's repository, read-only.</summary>
    public const string SourceMountPath = "/var/lib/pgbackrest-source";

    /// <summary>The property with the last backup's outcome.</summary>
    public const string LastBackupPropertyName = "backup.last";

    /// <summary>The property with the last backup's time.</summary>
    public const string LastBackupTimePropertyName = "backup.last_time";

    /// <summary>The property with the volume's name.</summary>
    public const string VolumePropertyName = "backup.volume";

    /// <summary>The property with the schedule.</summary>
    public const string SchedulePropertyName = "backup.schedule";

    /// <summary>The label every repository volume carries: the stack whose repository it is.</summary>
    public const string StackLabel = "hastack.backup-of";

    /// <summary>The label of a volume removed with its (non-persistent) stack.</summary>
    public const string EphemeralLabel = "hastack.ephemeral";

    /// <summary>The cluster whose repository it is.</summary>
    public PatroniClusterResource Cluster { get; } = cluster ?? throw new ArgumentNullException(nameof(cluster));

    /// <summary>pgBackRest's stanza: the cluster's Patroni scope.</summary>
    public string Stanza => Cluster.Scope;

    /// <summary>The volume's name: <c>{scope}-backup</c> when the cluster keeps its data, with the run's suffix otherwise.</summary>
    public string VolumeName => Persistent ? PersistentVolumeName(Cluster.Scope) : $"{Cluster.Scope}-{Cluster.RunId}-backup";

    /// <summary>Whether the volume outlives the AppHost (the cluster's data volumes).</summary>
    public bool Persistent => Cluster.DataVolumes;

    /// <summary>How often an incremental backup is taken; null: only at start and by command.</summary>
    public TimeSpan? Schedule { get; internal set; }

    /// <summary>The stack whose repository this cluster bootstraps from by point-in-time recovery; null for a new cluster.</summary>
    public string? RestoreFrom { get; internal set; }

    /// <summary>The point in time <see cref="RestoreFrom"/> is recovered to.</summary>
    public DateTimeOffset? RestoreTime { get; internal set; }

    /// <summary>The volume holding <see cref="RestoreFrom"/>'s repository.</summary>
    internal string? RestoreSourceVolume { get; set; }

    /// <summary>The persistent repository volume of <paramref name="stack"/>.</summary>
    /// <param name="stack">A Patroni scope.</param>
    public static string PersistentVolumeName(string stack) => $"{stack}-backup";
}
