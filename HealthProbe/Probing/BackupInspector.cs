using System.Diagnostics;
using System.Text.Json;
using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Probing;

/// <summary>Where the backup repository is read: each member's container (the leader's is asked), the stanza, the schedule.</summary>
/// <param name="Containers">Patroni member name → its container in the engine.</param>
/// <param name="Stanza">pgBackRest's stanza (the stack's Patroni scope).</param>
/// <param name="Schedule">How often the stack takes a backup; null: no schedule (no age check).</param>
public sealed record BackupTarget(IReadOnlyDictionary<string, string> Containers, string Stanza, TimeSpan? Schedule);

/// <summary>
/// Reads the stack's pgBackRest repository with <c>docker exec {leader} pgbackrest info --output=json</c>, at most every
/// <see cref="s_refresh"/> (the answer is kept between): the backups, the newest one's time, size and duration.
/// Runs only in the service, which the AppHost tells the containers; the CLI has no target and skips it.
/// </summary>
public sealed class BackupInspector(BackupTarget target, TimeSpan timeout)
{
    private static readonly TimeSpan s_refresh = TimeSpan.FromSeconds(10);
    private BackupStatus? _last;
    private DateTimeOffset? _noBackupSince;

    public async Task<BackupStatus?> InspectAsync(string? leader, DateTimeOffset now, CancellationToken ct)
    {
        if (_last is { } last && now - last.ReadAt < s_refresh && last.Error is null)
        {
            return last;
        }

        if (leader is null || !target.Containers.TryGetValue(leader, out var container))
        {
            // No leader this cycle: keep what was read last.
            return _last;
        }

        _last = await ReadAsync(container, now, ct).ConfigureAwait(false);
        return _last;
    }

    private async Task<BackupStatus> ReadAsync(string container, DateTimeOffset now, CancellationToken ct)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["exec", container, "pgbackrest", "--stanza=" + target.Stanza, "--output=json", "--log-level-console=off", "--log-level-stderr=error", "info"])
        {
            start.ArgumentList.Add(argument);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        string output, error;
        int exitCode;
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("docker exec did not start");
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(limit.Token);
                var stderr = process.StandardError.ReadToEndAsync(limit.Token);
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                (output, error, exitCode) = (await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), process.ExitCode);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return Failed(now, $"pgbackrest info in {container} did not answer within {timeout.TotalSeconds:0.#} s");
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Failed(now, $"docker exec could not run: {ex.Message}");
        }

        if (exitCode != 0)
        {
            return Failed(now, $"pgbackrest info in {container} failed: {(error.Length > 0 ? error : output).Trim().Split('\n')[0]}");
        }

        return Parse(output, target.Schedule, now, ref _noBackupSince);
    }

    /// <summary>The newest backup from <c>pgbackrest info --output=json</c> (an array of stanzas, each with its backups in order).</summary>
    public static BackupStatus Parse(string json, TimeSpan? schedule, DateTimeOffset now, ref DateTimeOffset? noBackupSince)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var stanza = document.RootElement.EnumerateArray().First();
            var backups = stanza.TryGetProperty("backup", out var list) ? list.EnumerateArray().ToList() : [];
            if (stanza.TryGetProperty("status", out var status) && status.TryGetProperty("code", out var code)
                && code.GetInt32() is not (0 or 2) && status.TryGetProperty("message", out var message))
            {
                // 2: no backup yet; anything else (missing stanza, …) is a fault.
                return new BackupStatus(0, null, null, null, null, null, schedule, null, now, $"the repository reports: {message.GetString()}");
            }

            if (backups.Count == 0)
            {
                noBackupSince ??= now;
                return new BackupStatus(0, null, null, null, null, null, schedule, noBackupSince, now, null);
            }

            noBackupSince = null;
            var newest = backups[^1];
            var timestamp = newest.GetProperty("timestamp");
            var startedAt = timestamp.GetProperty("start").GetInt64();
            var stoppedAt = timestamp.GetProperty("stop").GetInt64();
            long? size = newest.TryGetProperty("info", out var info) && info.TryGetProperty("repository", out var repo) && repo.TryGetProperty("delta", out var delta)
                ? delta.GetInt64() : null;
            return new BackupStatus(backups.Count, newest.GetProperty("label").GetString(), newest.GetProperty("type").GetString(),
                DateTimeOffset.FromUnixTimeSeconds(stoppedAt), size, stoppedAt - startedAt, schedule, null, now, null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new BackupStatus(0, null, null, null, null, null, schedule, null, now, $"pgbackrest info gave an unreadable answer ({ex.Message})");
        }
    }

    private BackupStatus Failed(DateTimeOffset now, string error) =>
        new(_last?.Count ?? 0, _last?.LastLabel, _last?.LastType, _last?.LastCompletedAt, _last?.LastSizeBytes, _last?.LastDurationSeconds,
            target.Schedule, _noBackupSince, now, error);
}
