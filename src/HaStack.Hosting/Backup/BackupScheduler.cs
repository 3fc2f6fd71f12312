using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using HaStack.Patroni;
using Microsoft.Extensions.Logging;

namespace HaStack.Hosting;

/// <summary>
/// Takes the stack's backups with pgBackRest on the current leader (<c>docker exec … pgbackrest backup</c>): one as soon
/// as the cluster has a leader (a full one on a new repository: pgBackRest turns the first incremental into a full),
/// then an incremental every <see cref="BackupRepositoryResource.Schedule"/> and a full once a day, and whenever the
/// dashboard's "Backup now" asks. The leader is asked of Patroni each time, so backups follow a failover. One backup
/// runs at a time; the repository resource's state and properties show the last outcome, its log every line of
/// pgBackRest's.
/// </summary>
internal sealed partial class BackupScheduler(
    BackupRepositoryResource repository,
    PatroniClusterResource cluster,
    ResourceNotificationService notifications,
    ResourceLoggerService loggers,
    IHttpClientFactory httpClientFactory)
{
    private static readonly TimeSpan s_backupTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan s_fullInterval = TimeSpan.FromDays(1);
    private readonly SemaphoreSlim _one = new(1, 1);
    private DateTimeOffset _lastFull = DateTimeOffset.MinValue;

    /// <summary>The first backup, then the schedule, until <paramref name="stoppingToken"/>.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var log = loggers.GetLogger(repository);
        try
        {
            await notifications.WaitForResourceAsync(cluster.Name, KnownResourceStates.Running, stoppingToken).ConfigureAwait(false);
            await notifications.PublishUpdateAsync(repository, s => s with { State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success) }).ConfigureAwait(false);

            // The first backup, retried while a new cluster's stanza or archiving is still being set up.
            for (var attempt = 1; attempt <= 10 && !(await BackupAsync(BackupType.Incremental, "first backup of this run", stoppingToken).ConfigureAwait(false)).Succeeded; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), stoppingToken).ConfigureAwait(false);
            }

            if (repository.Schedule is not { } every)
            {
                log.LogInformation("No backup schedule: backups only at start and by the dashboard's commands");
                return;
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(every, stoppingToken).ConfigureAwait(false);
                var type = DateTimeOffset.UtcNow - _lastFull >= s_fullInterval ? BackupType.Full : BackupType.Incremental;
                await BackupAsync(type, $"schedule (every {every})", stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            log.LogError(ex, "The backup schedule stopped: no more scheduled backups in this run");
        }
    }

    /// <summary>One backup on the current leader; the outcome as the dashboard command shows it.</summary>
    public async Task<BackupOutcome> BackupAsync(BackupType type, string trigger, CancellationToken ct)
    {
        var log = loggers.GetLogger(repository);
        if (!await _one.WaitAsync(TimeSpan.Zero, ct).ConfigureAwait(false))
        {
            return new BackupOutcome(false, "A backup is already running; try again when it has finished.");
        }

        try
        {
            var leader = await LeaderAsync(ct).ConfigureAwait(false);
            if (leader is null)
            {
                log.LogWarning("No backup ({Trigger}): the cluster has no leader", trigger);
                return new BackupOutcome(false, "No backup taken: the cluster has no leader right now.");
            }

            var kind = type == BackupType.Full ? "full" : "incr";
            log.LogInformation("Backup ({Type}, {Trigger}) on the leader {Leader}", kind, trigger, leader.Name);
            await notifications.PublishUpdateAsync(repository, s => s with
            {
                State = new ResourceStateSnapshot($"Backing up ({kind}) on {leader.Name}", KnownResourceStateStyles.Info),
            }).ConfigureAwait(false);

            var clock = Stopwatch.StartNew();
            // Right after a promotion pg_control still names the old timeline until a checkpoint, and pgBackRest
            // refuses ("WAL timeline 2 does not match pg_control timeline 1"): checkpoint first.
            await ExecAsync(leader.ContainerName, ["psql", "-Atqc", "CHECKPOINT"], TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
            var (exit, output) = await PgBackRestAsync(leader.ContainerName, ["--stanza=" + repository.Stanza, "--type=" + kind, "backup"], s_backupTimeout, ct).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                log.LogInformation("{Line}", line.TrimEnd());
            }

            if (exit != 0)
            {
                var reason = LastError(output) ?? $"pgbackrest exited with {exit}";
                log.LogError("Backup failed after {Seconds:0.0} s on {Leader}: {Reason}", seconds, leader.Name, reason);
                await notifications.PublishUpdateAsync(repository, s => s with
                {
                    State = new ResourceStateSnapshot("Backup failed", KnownResourceStateStyles.Error),
                }).ConfigureAwait(false);
                return new BackupOutcome(false, $"The backup on {leader.Name} failed after {seconds:0.0} s: {reason}");
            }

            var label = NewLabel().Match(output) is { Success: true } m ? m.Groups[1].Value : "?";
            if (label.EndsWith('F'))
            {
                _lastFull = DateTimeOffset.UtcNow;
            }

            var size = await BackupSizeAsync(leader.ContainerName, label, ct).ConfigureAwait(false);
            var description = string.Create(CultureInfo.InvariantCulture,
                $"{label} ({(label.EndsWith('F') ? "full" : label.EndsWith('I') ? "incremental" : "differential")}, {Bytes(size)} in the repository, {seconds:0.0} s, on {leader.Name})");
            log.LogInformation("Backup done: {Backup}", description);
            var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            await notifications.PublishUpdateAsync(repository, s => s with
            {
                State = new ResourceStateSnapshot($"Backed up {now}", KnownResourceStateStyles.Success),
                Properties = Set(Set(s.Properties, BackupRepositoryResource.LastBackupPropertyName, description), BackupRepositoryResource.LastBackupTimePropertyName, now),
            }).ConfigureAwait(false);
            return new BackupOutcome(true, $"Backup {description} completed.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new BackupOutcome(false, $"The backup did not finish within {s_backupTimeout.TotalMinutes:0} min and was stopped.");
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>The leader by Patroni's <c>/cluster</c>, from whichever node answers; null without one.</summary>
    private async Task<PatroniNodeResource?> LeaderAsync(CancellationToken ct)
    {
        var urls = cluster.Nodes.Where(n => n.Resource.RestEndpoint.EndpointAnnotation.AllocatedEndpoint is not null)
            .Select(n => new Uri(n.Resource.RestEndpoint.Url + "/")).ToList();
        if (urls.Count == 0)
        {
            return null;
        }

        try
        {
            var view = await new PatroniClient(httpClientFactory.CreateClient(nameof(BackupScheduler)), urls, requestTimeout: TimeSpan.FromSeconds(2))
                .GetClusterAsync(ct).ConfigureAwait(false);
            return view.Leader is { } leader ? cluster.Nodes.Select(n => n.Resource).FirstOrDefault(n => n.Name == leader.Name) : null;
        }
        catch (PatroniApiException)
        {
            return null;
        }
    }

    /// <summary>The backup's size in the repository (after compression, only what it added), from <c>pgbackrest info</c>.</summary>
    private async Task<long?> BackupSizeAsync(string container, string label, CancellationToken ct)
    {
        var (exit, output) = await PgBackRestAsync(container, ["--stanza=" + repository.Stanza, "--set=" + label, "--output=json", "--log-level-console=off", "info"], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (exit != 0)
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(output);
            foreach (var stanza in json.RootElement.EnumerateArray())
            {
                foreach (var backup in stanza.GetProperty("backup").EnumerateArray())
                {
                    if (backup.GetProperty("label").GetString() == label)
                    {
                        return backup.GetProperty("info").GetProperty("repository").GetProperty("delta").GetInt64();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }

        return null;
    }

    /// <summary><c>docker exec {container} pgbackrest …</c> as the node's postgres user: exit code and stdout with stderr.</summary>
    private static Task<(int ExitCode, string Output)> PgBackRestAsync(string container, string[] arguments, TimeSpan timeout, CancellationToken ct) =>
        ExecAsync(container, ["pgbackrest", .. arguments], timeout, ct);

    /// <summary><c>docker exec {container} …</c> as the node's postgres user: exit code and stdout with stderr.</summary>
    private static async Task<(int ExitCode, string Output)> ExecAsync(string container, string[] command, TimeSpan timeout, CancellationToken ct)
    {
        var result = await ContainerEngine.Shared.RunAsync(["exec", container, .. command], timeout, ct).ConfigureAwait(false);
        return (result.ExitCode, result.Output + result.Error);
    }

    /// <summary>pgBackRest's last <c>ERROR:</c> line, without its prefix.</summary>
    private static string? LastError(string output) =>
        output.Split('\n').LastOrDefault(l => l.Contains("ERROR:", StringComparison.Ordinal)) is { } line
            ? line[(line.IndexOf("ERROR:", StringComparison.Ordinal) + 6)..].Trim()
            : output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim();

    private static string Bytes(long? bytes) => bytes switch
    {
        null => "? bytes",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };

    private static System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> Set(
        System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> properties, string name, string value) =>
        [.. properties.Where(p => p.Name != name), new ResourcePropertySnapshot(name, value) { IsHighlighted = true }];

    [GeneratedRegex(@"new backup label = (\S+)")]
    private static partial Regex NewLabel();
}

/// <summary>What kind of backup to take.</summary>
internal enum BackupType
{
    /// <summary>pgBackRest's <c>incr</c>: what changed since the last backup (a full one when there is none).</summary>
    Incremental,

    /// <summary>pgBackRest's <c>full</c>.</summary>
    Full,
}

/// <summary>A backup's outcome: succeeded, and the sentence the dashboard command shows.</summary>
internal sealed record BackupOutcome(bool Succeeded, string Message);
