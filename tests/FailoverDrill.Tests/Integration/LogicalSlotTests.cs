using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using HaStack.FailoverDrill.Drills;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.TestDecoding;
using NpgsqlTypes;

namespace FailoverDrill.Tests.Integration;

/// <summary>
/// A change-data-capture consumer on the cluster's logical failover slot (<see cref="DrillCluster.CdcSlot"/>), through
/// the <c>pg-cdc</c> connection (the router's read-write port, always the leader), while a writer inserts rows through
/// <c>app</c> and a crash and then a paused switchover move the leader. It reconnects after each and continues from its
/// own last confirmed position. The decoded stream is then compared with the table as the new leader stores it.
/// </summary>
[Collection(DrillCollection.Name)]
public partial class LogicalSlotTests(DrillCluster cluster)
{
    private const string Table = "hastack_cdc_orders";

    [Fact]
    public async Task ACdcConsumerContinuesAfterACrashAndASwitchoverWithNoChangeSkippedOrRepeatedByLsn()
    {
        await cluster.WaitUntilReadyForDrillAsync();
        await using (var app = NpgsqlDataSource.Create(await cluster.GetConnectionStringAsync("app")))
        {
            await app.CreateCommand($"DROP TABLE IF EXISTS {Table}; CREATE TABLE {Table} (id bigint PRIMARY KEY, note text NOT NULL)").ExecuteNonQueryAsync();
        }

        using var stopConsuming = new CancellationTokenSource();
        using var stopWriting = new CancellationTokenSource();
        var consumer = new Consumer(await cluster.GetConnectionStringAsync("pg-cdc"), DrillCluster.CdcSlot);
        var consuming = Task.Run(() => consumer.RunAsync(stopConsuming.Token));
        var writer = new Writer(await cluster.GetConnectionStringAsync("app"));
        var writing = Task.Run(() => writer.RunAsync(stopWriting.Token));
        var reports = new List<DrillReport>();
        try
        {
            await consumer.WaitUntilAsync("the consumer decodes the writer's first rows", () => consumer.Rows.Count > 10);
            foreach (var kind in new[] { "crash", "switchover" })
            {
                await cluster.WaitUntilSlotSyncReadyAsync(consume: false);
                var reconnectsBefore = consumer.Connections;
                var (_, report) = await cluster.RunDrillAsync(kind);
                reports.Add(report);
                Assert.True(report.Outcome == DrillOutcome.Passed, $"{kind} drill {report.Outcome}: {report.Reason}\n{report.ToTable()}");

                // The slot was synced on the node that was promoted, and is on it now (the drill's own account) ...
                var slot = Assert.Single(report.FailoverSlots, s => s.Slot == DrillCluster.CdcSlot);
                Assert.True(slot.SyncedOnNewLeaderBefore, $"{kind}: {slot.Describe(report.NewLeader)}");
                Assert.True(slot.OnNewLeaderAfter, $"{kind}: {slot.Describe(report.NewLeader)}");

                // ... and the consumer, reconnected through pg-cdc, decodes rows written after the drill (its own account).
                var after = writer.LastAcknowledged;
                await consumer.WaitUntilAsync($"the consumer reconnects after the {kind} and decodes row {after}",
                    () => consumer.Connections > reconnectsBefore && consumer.Rows.ContainsKey(after));
            }
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writing;
            if (reports.Count < 2)
            {
                await stopConsuming.CancelAsync();
                await consuming;
            }
        }

        // Every row the table holds on the new leader (read there directly), against what the consumer decoded.
        var leader = await cluster.LeaderAsync(default) ?? throw new InvalidOperationException("no leader");
        var stored = await StoredIdsAsync(leader);
        await consumer.WaitUntilAsync("the consumer has decoded every stored row", () => stored.All(consumer.Rows.ContainsKey));
        await stopConsuming.CancelAsync();
        await consuming;

        var decoded = consumer.Rows.Keys.ToHashSet();
        AssertNone("acknowledged by the writer but not stored", writer.Acknowledged.Where(id => !stored.Contains(id)));
        AssertNone("stored but never decoded (skipped)", stored.Where(id => !decoded.Contains(id)));
        AssertNone("decoded but not stored on the new leader", decoded.Where(id => !stored.Contains(id)));
        Assert.True(consumer.Problems.IsEmpty, string.Join("\n", consumer.Problems.Take(20)));  // each row once, commits in LSN order
        Assert.True(consumer.Connections >= 3, $"the consumer connected {consumer.Connections} times: it did not follow both leader changes");
        Console.WriteLine($"CDC: {decoded.Count} rows decoded over {consumer.Connections} connections, {consumer.Resent} resent transactions skipped by LSN; " +
                          string.Join("; ", reports.Select(r => $"{DrillKinds.Name(r.Kind)} {r.OldLeader}->{r.NewLeader}: {string.Join(", ", r.FailoverSlots.Select(s => s.Describe(r.NewLeader)))}")));
    }

    private static void AssertNone(string what, IEnumerable<long> ids)
    {
        var list = ids.Order().ToList();
        Assert.True(list.Count == 0, $"{list.Count} rows {what}: {string.Join(", ", list.Take(20))}");
    }

    private async Task<HashSet<long>> StoredIdsAsync(string node)
    {
        var builder = new NpgsqlConnectionStringBuilder(await cluster.GetConnectionStringAsync(node)) { Database = "app", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id FROM {Table}", connection);
        var ids = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>Inserts a row every 20 ms through <c>app</c>; an insert acknowledged by COMMIT is a promise.</summary>
    private sealed class Writer(string connectionString)
    {
        private readonly ConcurrentBag<long> _acknowledged = [];
        private long _last;

        public IReadOnlyCollection<long> Acknowledged => _acknowledged;

        public long LastAcknowledged => Interlocked.Read(ref _last);

        public async Task RunAsync(CancellationToken ct)
        {
            await using var source = NpgsqlDataSource.Create(connectionString + ";Timeout=3;Command Timeout=5");
            for (long id = 1; !ct.IsCancellationRequested; id++)
            {
                try
                {
                    await using var command = source.CreateCommand($"INSERT INTO {Table} (id, note) VALUES ($1, 'order ' || $1)");
                    command.Parameters.AddWithValue(id);
                    await command.ExecuteNonQueryAsync(ct);
                    _acknowledged.Add(id);
                    Interlocked.Exchange(ref _last, id);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // Not acknowledged: the row may or may not be stored; the comparison uses the table.
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }

    }

    /// <summary>
    /// Consumes the slot with test_decoding, reconnecting (to the same address, now the new leader) after any error and
    /// starting from the commit LSN it last confirmed. A transaction whose commit LSN is not past the last one it
    /// applied is a resend (PostgreSQL may resend after a reconnect) and is skipped; anything else out of order, or a
    /// row decoded twice, is a problem.
    /// </summary>
    private sealed partial class Consumer(string connectionString, string slot)
    {
        public ConcurrentDictionary<long, NpgsqlLogSequenceNumber> Rows { get; } = new();

        public ConcurrentQueue<string> Problems { get; } = new();

        public int Connections;

        public int Resent;

        private NpgsqlLogSequenceNumber _applied;

        /// <summary>The last error that ended a connection, for a failure message.</summary>
        public string? LastError { get; private set; }

        /// <summary>Waits until <paramref name="condition"/>; on timeout the message names the consumer's last error.</summary>
        public async Task WaitUntilAsync(string what, Func<bool> condition)
        {
            try
            {
                await Wait.UntilAsync(what, Timeouts.Scaled(120), _ => Task.FromResult(condition()));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message} ({Connections} connections, {Rows.Count} rows; last error: {LastError ?? "none"})", ex);
            }
        }

        public async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await ConsumeAsync(ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    LastError = $"{ex.GetType().Name}: {ex.Message}";
                    await Task.Delay(200, CancellationToken.None);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        private async Task ConsumeAsync(CancellationToken ct)
        {
            await using var connection = new LogicalReplicationConnection(connectionString);
            await connection.Open(ct);
            Interlocked.Increment(ref Connections);
            var pending = new List<long>();
            await foreach (var message in connection.StartReplication(new TestDecodingReplicationSlot(slot), ct,
                               new TestDecodingOptions(includeXids: false, skipEmptyXacts: true), _applied == default ? null : _applied))
            {
                var data = message.Data;
                if (data.StartsWith("BEGIN", StringComparison.Ordinal))
                {
                    pending.Clear();
                }
                else if (InsertRow().Match(data) is { Success: true } insert)
                {
                    pending.Add(long.Parse(insert.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                }
                else if (data.StartsWith("COMMIT", StringComparison.Ordinal))
                {
                    var commit = message.WalStart;
                    if (commit <= _applied)
                    {
                        // A resend is a transaction already applied: the same rows at the same commit LSN.
                        Interlocked.Increment(ref Resent);
                        foreach (var id in pending.Where(id => !Rows.TryGetValue(id, out var at) || at != commit))
                        {
                            Problems.Enqueue($"row {id} arrived at commit {commit}, behind the last applied commit {_applied}, and was never applied there");
                        }
                    }
                    else
                    {
                        foreach (var id in pending)
                        {
                            if (!Rows.TryAdd(id, commit))
                            {
                                Problems.Enqueue($"row {id} decoded at {commit} and before at {Rows[id]}");
                            }
                        }

                        _applied = commit;
                    }

                    pending.Clear();
                    connection.SetReplicationStatus(_applied);
                    await connection.SendStatusUpdate(ct);
                }
            }
        }

        [GeneratedRegex(@"^table public\.hastack_cdc_orders: INSERT: id\[bigint\]:(\d+) ")]
        private static partial Regex InsertRow();
    }
}
