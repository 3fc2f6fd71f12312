
namespace HaStack.Hosting;

/// <summary>
/// The repository volumes in the container engine (<c>docker volume</c>): each carries the label
/// <see cref="BackupRepositoryResource.StackLabel"/>; a non-persistent stack's is also
/// <see cref="BackupRepositoryResource.EphemeralLabel"/> and is removed when its stack stops, or by the next AppHost
/// if that did not happen. A volume still mounted is never removed (the engine refuses).
/// </summary>
internal static class BackupVolumes
{
    private static readonly TimeSpan s_startingGrace = TimeSpan.FromMinutes(10);

    /// <summary>Creates <paramref name="repository"/>'s volume with its labels (kept if it exists) and removes unused ephemeral ones.</summary>
    public static void Prepare(BackupRepositoryResource repository, string stack)
    {
        var ephemeral = Run("volume", "ls", "-q", "--filter", $"label={BackupRepositoryResource.EphemeralLabel}=true").Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(v => v != repository.VolumeName).ToArray();
        if (ephemeral.Length > 0)
        {
            foreach (var line in Run(["volume", "inspect", "-f", "{{.Name}} {{.CreatedAt}}", .. ephemeral]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // Left behind by a stack that did not stop cleanly; one made in the last minutes may be a stack still starting.
                var parts = line.Trim().Split(' ', 2);
                if (parts.Length == 2 && DateTimeOffset.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var created)
                    && DateTimeOffset.UtcNow - created > s_startingGrace)
                {
                    // Fails while another stack's containers still mount it: that one is in use.
                    Run("volume", "rm", parts[0]);
                }
            }
        }

        string[] labels = repository.Persistent
            ? ["--label", $"{BackupRepositoryResource.StackLabel}={stack}"]
            : ["--label", $"{BackupRepositoryResource.StackLabel}={stack}", "--label", $"{BackupRepositoryResource.EphemeralLabel}=true"];
        var create = Run(["volume", "create", .. labels, repository.VolumeName]);
        if (create.ExitCode != 0)
        {
            throw new HaStackConfigurationException([$"The backup repository volume '{repository.VolumeName}' could not be created: {create.Error.Trim()}"]);
        }
    }

    /// <summary>Removes a non-persistent stack's volume once its containers are gone (retries while they stop).</summary>
    public static async Task RemoveAsync(BackupRepositoryResource repository)
    {
        if (repository.Persistent)
        {
            return;
        }

        for (var attempt = 0; attempt < 20 && Run("volume", "rm", repository.VolumeName).ExitCode != 0; attempt++)
        {
            if (Run("volume", "inspect", repository.VolumeName).ExitCode != 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The repository volume of the stack <paramref name="stack"/>: its persistent <c>{stack}-backup</c>, else the
    /// volume of its running non-persistent instance (the newest if there are several); null if it has none.
    /// </summary>
    public static string? Find(string stack)
    {
        var persistent = BackupRepositoryResource.PersistentVolumeName(stack);
        if (Run("volume", "inspect", persistent).ExitCode == 0)
        {
            return persistent;
        }

        var labelled = Run("volume", "ls", "-q", "--filter", $"label={BackupRepositoryResource.StackLabel}={stack}").Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return labelled.Length == 0
            ? null
            : labelled.OrderByDescending(v => Run("volume", "inspect", "-f", "{{.CreatedAt}}", v).Output.Trim(), StringComparer.Ordinal).First();
    }

    /// <summary>One container-engine command: its exit code, stdout and stderr (exit code -1 if it could not run).</summary>
    public static EngineResult Run(params string[] arguments) => ContainerEngine.Shared.Run(arguments);
}
