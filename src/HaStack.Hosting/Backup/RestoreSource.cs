using System.Globalization;
using System.Text.Json;

namespace HaStack.Hosting;

/// <summary>
/// Checks, before any container starts, that a restore source's repository can recover to the requested time
/// (<see cref="Aspire.Hosting.BackupBuilderExtensions.WithPointInTimeRestore(IResourceBuilder{PatroniClusterResource}, string, DateTimeOffset)"/>): it exists, holds a backup completed at or before that time, and its newest archived WAL
/// was pushed at or after it. It reads the repository through a throw-away container with the volume mounted
/// read-only. Every problem is a <see cref="HaStackConfigurationException"/> naming what is possible instead.
/// </summary>
internal static class RestoreSource
{
    /// <summary>The source's repository volume, once the checks pass.</summary>
    /// <param name="source">The stack to restore from.</param>
    /// <param name="target">The time to recover to.</param>
    /// <param name="image">An image with a shell, to read the repository with.</param>
    /// <param name="from">How the user named the source (a setting or an argument), for the messages.</param>
    /// <param name="at">How the user named the time.</param>
    public static string Check(string source, DateTimeOffset target, string image, string from, string at)
    {

        var volume = BackupVolumes.Find(source) ?? throw Error(
            $"{from} is '{source}', but no stack of that name has a backup repository (volume {BackupRepositoryResource.PersistentVolumeName(source)}, or a running stack's). Start that stack first; its repository outlives it when it keeps its data (WithDataVolumes; HaStack:Persistent=true in the reference AppHost).");

        // backup.info (pgBackRest's INI: one JSON object per backup), then "<mtime> <file>" of the newest archived WAL.
        var script = $"cat /repo/backup/{source}/backup.info 2>/dev/null; echo '#wal'; "
                     + $"find /repo/archive/{source} -type f -name '0*' -printf '%T@ %f\\n' 2>/dev/null | sort -n | tail -1";
        var read = BackupVolumes.Run("run", "--rm", "--network", "none", "-v", $"{volume}:/repo:ro", image, "sh", "-c", script);
        if (read.ExitCode != 0)
        {
            throw Error($"{from} is '{source}', but its repository (volume {volume}) could not be read: {read.Error.Trim()}");
        }

        var (backups, newestWal) = Parse(read.Output);
        if (backups.Count == 0)
        {
            throw Error($"{from} is '{source}', but its repository (volume {volume}) holds no completed backup yet; take one with the dashboard's \"Backup now\" on that stack, or wait for its first backup.");
        }

        var first = backups.Min();
        if (target < first)
        {
            throw Error($"{at} is {Format(target)}, before the first backup of '{source}' (completed {Format(first)}); the earliest time that can be restored is {Format(first)}.");
        }

        if (newestWal is null)
        {
            throw Error($"{at} is {Format(target)}, but '{source}' has no archived WAL: check its archiving (HealthProbe).");
        }

        if (newestWal is { } pushed && target > pushed)
        {
            throw Error($"{at} is {Format(target)}, after the newest WAL '{source}' has archived (pushed {Format(pushed)}); later changes are not in the repository yet. Choose an earlier time, or wait: the leader archives at least every archive_timeout (60 s) while it has writes.");
        }

        return volume;
    }

    /// <summary>The stop times of the completed backups, and when the newest WAL segment was pushed.</summary>
    internal static (List<DateTimeOffset> Backups, DateTimeOffset? NewestWal) Parse(string output)
    {
        var backups = new List<DateTimeOffset>();
        DateTimeOffset? wal = null;
        var inCurrent = false;
        var afterMarker = false;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (line == "#wal")
            {
                afterMarker = true;
                continue;
            }

            if (afterMarker)
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0 && double.TryParse(line[..space], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                {
                    wal = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
                }

                continue;
            }

            if (line.StartsWith('['))
            {
                inCurrent = line == "[backup:current]";
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (!inCurrent || equals < 0)
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(line[(equals + 1)..]);
                if (json.RootElement.TryGetProperty("backup-timestamp-stop", out var stop) && stop.TryGetInt64(out var unix))
                {
                    backups.Add(DateTimeOffset.FromUnixTimeSeconds(unix));
                }
            }
            catch (JsonException)
            {
                // Not a backup line.
            }
        }

        return (backups, wal);
    }

    /// <summary>The target as PostgreSQL's recovery_target_time and pgBackRest's --target read it, in UTC.</summary>
    public static string RecoveryTargetTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static HaStackConfigurationException Error(string message) => new([message]);
}
