namespace HaStack.AppHost.Backup;

/// <summary>
/// The stack's pgBackRest repository: a volume mounted into every node at <see cref="MountPath"/>, holding the WAL
/// archive and the backups of the stanza <see cref="Stanza"/> (the Patroni scope). A child of the Patroni cluster in the
/// dashboard; its state is the last backup's outcome, its commands take a backup now (<see cref="BackupScheduler"/>).
/// </summary>
public sealed class BackupRepositoryResource(string name, string stanza, string volumeName, bool persistent, TimeSpan? schedule)
    : Resource(name)
{
    public const string ResourceTypeName = "BackupRepository";
    public const string MountPath = "/var/lib/pgbackrest";

    /// <summary>Where a restoring stack mounts its source's repository, read-only.</summary>
    public const string SourceMountPath = "/var/lib/pgbackrest-source";

    public const string LastBackupPropertyName = "backup.last";
    public const string LastBackupTimePropertyName = "backup.last_time";
    public const string VolumePropertyName = "backup.volume";
    public const string SchedulePropertyName = "backup.schedule";

    /// <summary>The label every repository volume carries: the stack whose repository it is.</summary>
    public const string StackLabel = "hastack.backup-of";

    /// <summary>The label of a volume removed with its (non-persistent) stack.</summary>
    public const string EphemeralLabel = "hastack.ephemeral";

    /// <summary>pgBackRest's stanza: the stack's Patroni scope.</summary>
    public string Stanza { get; } = stanza;

    /// <summary>The volume's name: <c>{stack}-backup</c> when persistent, with the run's suffix otherwise.</summary>
    public string VolumeName { get; } = volumeName;

    /// <summary>Whether the volume outlives the AppHost (<c>HaStack:Persistent</c>).</summary>
    public bool Persistent { get; } = persistent;

    /// <summary>How often an incremental backup is taken; null: only at start and by command.</summary>
    public TimeSpan? Schedule { get; } = schedule;

    /// <summary>The persistent repository volume of <paramref name="stack"/>.</summary>
    public static string PersistentVolumeName(string stack) => $"{stack}-backup";
}
