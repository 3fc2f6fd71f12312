using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>A logical failover slot on one node, as <c>pg_replication_slots</c> there says.</summary>
/// <param name="Slot">The slot's name.</param>
/// <param name="Synced">
/// Whether it is a sync-ready copy of the primary's: made by a standby's slot sync worker (<c>synced</c>) and no
/// longer temporary. A copy stays temporary until the primary's slot has moved past the oldest WAL the standby has
/// (its consumer confirming); PostgreSQL drops temporary copies at promotion.
/// </param>
/// <param name="ConfirmedFlushLsn">How far its consumer has confirmed, e.g. <c>0/3000060</c>.</param>
public sealed record SlotState(string Slot, bool Synced, string? ConfirmedFlushLsn);

/// <summary>
/// What a failover did to a logical failover slot: whether the node that was promoted held a synchronized copy just
/// before the fault, and whether the new leader has it afterwards.
/// </summary>
/// <param name="Slot">The slot's name.</param>
/// <param name="LeaderLsnBefore">The old leader's <c>confirmed_flush_lsn</c> just before the fault.</param>
/// <param name="SyncedOnNewLeaderBefore">Whether the node that became leader held a sync-ready copy just before the fault.</param>
/// <param name="NewLeaderLsnBefore">That copy's <c>confirmed_flush_lsn</c>.</param>
/// <param name="OnNewLeaderAfter">Whether the new leader has the slot after the drill (a consumer can continue).</param>
/// <param name="NewLeaderLsnAfter">Its <c>confirmed_flush_lsn</c> then.</param>
public sealed record FailoverSlotReport(string Slot, string? LeaderLsnBefore, bool SyncedOnNewLeaderBefore, string? NewLeaderLsnBefore, bool OnNewLeaderAfter, string? NewLeaderLsnAfter)
{
    /// <summary>One line for the report, e.g. <c>cdc: synced on pg-2 before the fault (0/30000D8; leader 0/3000110), there after: yes</c>.</summary>
    public string Describe(string? newLeader) =>
        $"{Slot}: {(SyncedOnNewLeaderBefore ? $"synced on {newLeader} before the fault ({NewLeaderLsnBefore}; leader {LeaderLsnBefore})" : $"no sync-ready copy on {newLeader ?? "the new leader"} before the fault")}, " +
        $"on the new leader after: {(OnNewLeaderAfter ? $"yes ({NewLeaderLsnAfter})" : "NO")}";
}

/// <summary>
/// Reads the logical failover slots (PostgreSQL 17 and later: <c>failover = true</c>) on every node through the
/// drill's own direct connections, before the fault and after; a node that does not answer, or a PostgreSQL without
/// failover slots, contributes none.
/// </summary>
internal static class FailoverSlots
{
    /// <summary>Each answering node's failover slots.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<SlotState>>> ReadAsync(IReadOnlyList<(string Node, string ConnectionString)> nodes, CancellationToken ct)
    {
        var read = await Task.WhenAll(nodes.Select(async n => (n.Node, Slots: await ReadNodeAsync(n.ConnectionString, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        return read.Where(r => r.Slots is not null).ToDictionary(r => r.Node, r => r.Slots!);
    }

    /// <summary>
    /// One report per slot the old leader had before the fault, when the leader changed; none when it did not (the
    /// slot never had to move) or no slot was declared.
    /// </summary>
    public static IReadOnlyList<FailoverSlotReport> Compare(IReadOnlyDictionary<string, IReadOnlyList<SlotState>> before, string? oldLeader, string? newLeader,
        IReadOnlyDictionary<string, IReadOnlyList<SlotState>> after)
    {
        if (oldLeader is null || newLeader is null || oldLeader == newLeader || !before.TryGetValue(oldLeader, out var leaderSlots))
        {
            return [];
        }

        var candidate = before.GetValueOrDefault(newLeader) ?? [];
        var now = after.GetValueOrDefault(newLeader) ?? [];
        return [.. leaderSlots.Select(slot =>
        {
            var copy = candidate.FirstOrDefault(s => s.Slot == slot.Slot);
            var kept = now.FirstOrDefault(s => s.Slot == slot.Slot);
            return new FailoverSlotReport(slot.Slot, slot.ConfirmedFlushLsn, copy?.Synced == true, copy?.ConfirmedFlushLsn, kept is not null, kept?.ConfirmedFlushLsn);
        })];
    }

    private static async Task<IReadOnlyList<SlotState>?> ReadNodeAsync(string connectionString, CancellationToken ct)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3, CommandTimeout = 3, TargetSessionAttributes = "any" };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            if (connection.PostgreSqlVersion.Major < 17)
            {
                return null;
            }

            await using var command = new NpgsqlCommand(
                "SELECT slot_name, synced AND NOT temporary, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_type = 'logical' AND failover ORDER BY slot_name", connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var slots = new List<SlotState>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                slots.Add(new SlotState(reader.GetString(0), reader.GetBoolean(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }

            return slots;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }
}
