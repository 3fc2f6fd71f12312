using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace HaStack.Tests.Integration;

/// <summary>A stack with one etcd member (backups need no quorum to lose): the source of the restore test.</summary>
public sealed class BackupCluster : HaStackCluster
{
    /// <summary>A name of its own: a restore from it never finds a developer's "hastack" repository.</summary>
    public const string Name = "backuptest";

    protected override IEnumerable<string> Arguments => [$"--HaStack:Name={Name}", "--HaStack:EtcdMembers=1"];
}

/// <summary>A second stack, bootstrapped from <see cref="BackupCluster"/>'s repository by point-in-time recovery.</summary>
public sealed class RestoredCluster(string source, DateTimeOffset time) : HaStackCluster
{
    public const string Name = "restored";

    protected override IEnumerable<string> Arguments =>
    [
        $"--HaStack:Name={Name}", $"--HaStack:RestoreFrom={source}",
        $"--HaStack:RestoreTime={time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture)}",
        "--HaStack:EtcdMembers=1",
    ];
}

/// <summary>
/// pgBackRest on the real stack: the leader archives into the repository volume, a full backup exists after start,
/// a new leader archives and backs up after a crash, an unwritable repository turns the probe Degraded, and a second
/// stack restores the first one's data to a point in time. Each test leaves the cluster with a leader, a streaming
/// replica and working archiving.
/// </summary>
[Collection(nameof(BackupTests))]
public class BackupTests(BackupCluster cluster) : IClassFixture<BackupCluster>
{
    private const string Stanza = BackupCluster.Name;

    [Fact]
    public async Task TheLeaderArchivesAndAFullBackupExistsAfterStart()
    {
        await WaitForFirstBackupAsync();
        var leader = await LeaderAsync();

        var info = await InfoAsync(leader);
        Assert.Contains(info, b => b.Type == "full");

        // A segment switched now reaches the repository: pg_stat_archiver on the leader names it.
        var segment = await SwitchWalAsync(leader);
        await WaitUntilArchivedAsync(leader, segment);
        var archived = await cluster.ExecAsync(leader, ["sh", "-c", $"ls /var/lib/pgbackrest/archive/{Stanza}/*/*/ | grep -c '^{segment}-'"]);
        Assert.Equal("1", archived.Trim());

        // The replica does not archive (archive_mode on): it has nothing in pg_stat_archiver.
        var replica = cluster.NodeNames.Single(n => n != leader);
        Assert.Equal("0", (await PsqlAsync(replica, "SELECT archived_count FROM pg_stat_archiver")).Trim());

        // Visible: the repository resource shows the backup, the probe's metrics and report carry it.
        Assert.True(cluster.App.ResourceNotifications.TryGetCurrentState("backups", out var state));
        Assert.StartsWith("Backed up", state.Snapshot.State?.Text);
        Assert.Contains(state.Snapshot.Properties, p => p.Name == Aspire.Hosting.ApplicationModel.BackupRepositoryResource.LastBackupPropertyName && $"{p.Value}".Contains('F'));
        await Wait.UntilAsync("the probe reports the backup and the archiving", Timeouts.Scaled(60), async ct =>
        {
            using var status = await StatusAsync(ct);
            var backup = status.RootElement.GetProperty("backup");
            return backup.GetProperty("count").GetInt32() >= 1 && backup.GetProperty("lastType").GetString() is "full" or "incr"
                   && status.RootElement.GetProperty("verdict").GetString() == "Healthy";
        });
        var metrics = await MetricsAsync();
        Assert.Contains("hastack_probe_backup_last_completion_timestamp_seconds", metrics);
        Assert.Contains("hastack_probe_wal_last_archived_timestamp_seconds", metrics);
        Assert.Contains("hastack_probe_backup_age_seconds", metrics);
    }

    [Fact]
    public async Task AfterACrashFailoverTheNewLeaderArchivesAndABackupTakenNowSucceeds()
    {
        await WaitForFirstBackupAsync();
        var oldLeader = await LeaderAsync();
        var crashedAt = DateTimeOffset.UtcNow;
        await Docker.RunAsync("kill", cluster.Containers[oldLeader]);
        try
        {
            var newLeader = await Wait.ForAsync("a new leader after the crash", Timeouts.Scaled(60),
                async ct => await cluster.LeaderAsync(ct) is { } l && l != oldLeader ? l : null);
            await Wait.UntilAsync($"{newLeader} is out of recovery", Timeouts.Scaled(30),
                async _ => (await PsqlAsync(newLeader, "SELECT NOT pg_is_in_recovery()")).Trim() == "t");

            // The new leader archives into the same repository without any manual step.
            var segment = await SwitchWalAsync(newLeader);
            await WaitUntilArchivedAsync(newLeader, segment);

            // "Backup now" runs on the new leader and succeeds.
            using var cts = new CancellationTokenSource(Timeouts.Scaled(180));
            var result = await cluster.App.ResourceCommands.ExecuteCommandAsync("backups", "backup-now", cts.Token);
            Assert.True(result.Success, result.Message);
            Assert.Contains($"on {newLeader}", result.Message);
            var newest = (await InfoAsync(newLeader))[^1];
            Assert.True(newest.Stop >= crashedAt.AddSeconds(-1), $"the newest backup {newest.Label} stopped at {newest.Stop:O}, before the crash at {crashedAt:O}");
        }
        finally
        {
            await Docker.RunAsync("start", cluster.Containers[oldLeader]);
            await Wait.UntilAsync("the old leader streams again", Timeouts.Rejoin,
                async ct => await cluster.StreamingReplicaCountAsync(ct) == cluster.NodeNames.Count - 1, TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task AReinitialisedReplicaIsRestoredFromTheRepositoryAndStreamsAgain()
    {
        await WaitForFirstBackupAsync();
        var leader = await LeaderAsync();
        var replica = cluster.NodeNames.Single(n => n != leader);
        var since = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        // What a failed pg_rewind leads to as well: Patroni wipes the data directory and runs create_replica_methods.
        await cluster.ExecAsync(replica, ["patronictl", "-c", "/tmp/patroni.yml", "reinit", Stanza, replica, "--force"]);
        await Wait.UntilAsync($"{replica} is recreated from the repository and streams", Timeouts.Rejoin, async ct =>
        {
            var (_, stdout, stderr) = await Docker.TryRunAsync("logs", "--since", since, cluster.Containers[replica]);
            return (stdout + stderr).Contains("replica has been created using pgbackrest", StringComparison.Ordinal)
                   && await cluster.StreamingReplicaCountAsync(ct) == cluster.NodeNames.Count - 1;
        }, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AnUnwritableRepositoryTurnsTheProbeDegradedWithTheReason()
    {
        await WaitForFirstBackupAsync();
        var leader = await LeaderAsync();
        await cluster.ExecAsync(leader, ["chmod", "-R", "a-w", $"/var/lib/pgbackrest/archive/{Stanza}"], user: "root");
        try
        {
            await SwitchWalAsync(leader);
            string? reasons = null;
            await Wait.UntilAsync("the probe turns Degraded over the archive failure", Timeouts.Scaled(60), async ct =>
            {
                using var status = await StatusAsync(ct);
                reasons = string.Join("; ", status.RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
                return status.RootElement.GetProperty("verdict").GetString() == "Degraded" && reasons.Contains($"WAL archiving fails on {leader}", StringComparison.Ordinal);
            });
            Assert.Matches("failed at .* \\(\\d+ failures\\)", reasons!);
            Assert.Matches($"hastack_probe_wal_archive_failing{{[^}}]*member=\"{leader}\"[^}}]*}} 1", await MetricsAsync());
        }
        finally
        {
            await cluster.ExecAsync(leader, ["chmod", "-R", "u+w", $"/var/lib/pgbackrest/archive/{Stanza}"], user: "root");
        }

        // Repaired: PostgreSQL retries the failed segment (after up to 60 s); new segments keep it busy until an
        // archive succeeds after the last failure, and the verdict is Healthy again.
        await Wait.UntilAsync($"archiving works again on {leader}", Timeouts.Scaled(180), async _ =>
        {
            await SwitchWalAsync(leader);
            return (await PsqlAsync(leader, "SELECT last_archived_time > last_failed_time FROM pg_stat_archiver")).Trim() == "t";
        }, TimeSpan.FromSeconds(5));
        await Wait.UntilAsync("the probe is Healthy again", Timeouts.Scaled(60), async ct =>
        {
            using var status = await StatusAsync(ct);
            return status.RootElement.GetProperty("verdict").GetString() == "Healthy";
        });
    }

    [Fact]
    public async Task APointInTimeRestoreIntoANewStackHasTheRowsOfThatTimeAndNotTheLaterChanges()
    {
        await WaitForFirstBackupAsync();
        await using (var app = await OpenAppAsync(cluster))
        {
            await ExecuteAsync(app, "DROP TABLE IF EXISTS pitr; CREATE TABLE pitr (id int PRIMARY KEY, phase text)");
            await ExecuteAsync(app, "INSERT INTO pitr SELECT g, 'before' FROM generate_series(1, 100) g");
        }

        // The noted time is the database's clock after the commit, then a clear second before the later changes.
        var noted = DateTimeOffset.Parse((await PsqlAsync(await LeaderAsync(), "SELECT to_char(clock_timestamp() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")).Trim(), CultureInfo.InvariantCulture);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await using (var app = await OpenAppAsync(cluster))
        {
            await ExecuteAsync(app, "DELETE FROM pitr WHERE id > 50");
            await ExecuteAsync(app, "INSERT INTO pitr SELECT g, 'after' FROM generate_series(1001, 1010) g");
        }

        var leader = await LeaderAsync();
        await WaitUntilArchivedAsync(leader, await SwitchWalAsync(leader));

        await using var restored = new RestoredCluster(Stanza, noted);
        await restored.InitializeAsync();
        await using (var app = await OpenAppAsync(restored))
        {
            await using var command = new NpgsqlCommand("SELECT phase, count(*)::int FROM pitr GROUP BY phase ORDER BY phase", app);
            await using var reader = await command.ExecuteReaderAsync();
            var phases = new Dictionary<string, int>();
            while (await reader.ReadAsync())
            {
                phases[reader.GetString(0)] = reader.GetInt32(1);
            }

            Assert.Equal(new Dictionary<string, int> { ["before"] = 100 }, phases);
        }

        // The restored stack is a cluster of its own: its leader archives into its own repository, on a new timeline.
        var restoredLeader = await restored.LeaderAsync(default) ?? throw new InvalidOperationException("the restored stack has no leader");
        Assert.True(long.Parse((await restored.ExecAsync(restoredLeader, ["psql", "-Atc", "SELECT timeline_id FROM pg_control_checkpoint()"])).Trim(), CultureInfo.InvariantCulture) >= 2);
        Assert.NotEqual(cluster.BackupRepository.VolumeName, restored.BackupRepository.VolumeName);

        // The source was only read: its rows are as they were.
        Assert.Equal(60L, await cluster.QueryAsync<long>("app", "SELECT count(*) FROM pitr"));
    }

    [Fact]
    public async Task ARestoreTimeBeforeTheFirstBackupOrAfterTheNewestWalIsAClearErrorBeforeAnythingStarts()
    {
        await WaitForFirstBackupAsync();
        foreach (var (time, expected) in new[]
                 {
                     (DateTimeOffset.UtcNow.AddHours(-1), $"before the first backup of '{Stanza}'"),
                     (DateTimeOffset.UtcNow.AddHours(1), $"after the newest WAL '{Stanza}' has archived"),
                 })
        {
            var result = await CommandRunner.RunAsync("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "AppHost.dll"), "--HaStack:Name=restored", $"--HaStack:RestoreFrom={Stanza}",
                 $"--HaStack:RestoreTime={time.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}"], Timeouts.Scaled(60));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains(expected, result.Stderr);
            Assert.DoesNotContain("   at ", result.Stderr + result.Stdout);
        }

        Assert.Empty((await Docker.RunAsync("ps", "-aq", "--filter", $"name={RestoredCluster.Name}-")).Trim());
    }

    private async Task<string> LeaderAsync() => await cluster.LeaderAsync(default) ?? throw new InvalidOperationException("no leader");

    /// <summary>The AppHost's first backup of this run (a full one on the new repository) has completed.</summary>
    private async Task WaitForFirstBackupAsync()
    {
        using var cts = new CancellationTokenSource(Timeouts.Scaled(180));
        await cluster.App.ResourceNotifications.WaitForResourceAsync("backups",
            e => e.Snapshot.State?.Text is { } text && (text.StartsWith("Backed up", StringComparison.Ordinal) || text == "Backup failed")
                 || e.Snapshot.Properties.Any(p => p.Name == Aspire.Hosting.ApplicationModel.BackupRepositoryResource.LastBackupTimePropertyName), cts.Token);
        Assert.NotEmpty(await InfoAsync(await LeaderAsync()));
    }

    private sealed record BackupInfo(string Label, string Type, DateTimeOffset Stop);

    /// <summary><c>pgbackrest info</c> on a node: every backup, oldest first.</summary>
    private async Task<List<BackupInfo>> InfoAsync(string node)
    {
        using var json = JsonDocument.Parse(await cluster.ExecAsync(node, ["pgbackrest", $"--stanza={Stanza}", "--output=json", "--log-level-console=off", "info"]));
        return json.RootElement[0].GetProperty("backup").EnumerateArray()
            .Select(b => new BackupInfo(b.GetProperty("label").GetString()!, b.GetProperty("type").GetString()!,
                DateTimeOffset.FromUnixTimeSeconds(b.GetProperty("timestamp").GetProperty("stop").GetInt64())))
            .ToList();
    }

    private Task<string> PsqlAsync(string node, string sql) => cluster.ExecAsync(node, ["psql", "-Atc", sql]);

    /// <summary>
    /// Commits a transaction (WAL in the current segment, so the switch is never a no-op), switches to a new WAL
    /// segment and returns the name of the one just completed.
    /// </summary>
    private async Task<string> SwitchWalAsync(string node) =>
        (await cluster.ExecAsync(node, ["psql", "-Atq", "-c", "SELECT txid_current()", "-c", "SELECT pg_walfile_name(pg_switch_wal())"]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim();

    private async Task WaitUntilArchivedAsync(string node, string segment, TimeSpan? timeout = null) =>
        await Wait.UntilAsync($"{segment} is archived on {node}", timeout ?? Timeouts.Scaled(90), async _ =>
            string.CompareOrdinal((await PsqlAsync(node, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")).Trim(), segment) >= 0,
            TimeSpan.FromSeconds(1));

    private async Task<JsonDocument> StatusAsync(CancellationToken ct)
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(await http.GetStringAsync(new Uri(cluster.GetEndpoint("healthprobe", "http"), "/status"), ct));
    }

    private async Task<string> MetricsAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(cluster.GetEndpoint("healthprobe", "metrics"), "/metrics"));
    }

    private static async Task<NpgsqlConnection> OpenAppAsync(HaStackCluster stack)
    {
        var connection = new NpgsqlConnection(await stack.GetConnectionStringAsync("app"));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A crash, a restore into a second stack and the probe's verdicts: runs alone, never beside another cluster.</summary>
[CollectionDefinition(nameof(BackupTests), DisableParallelization = true)]
public sealed class BackupTestsCollection;
