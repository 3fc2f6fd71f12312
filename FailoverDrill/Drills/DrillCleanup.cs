using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The last phase, run whatever happened before: stop the load, give the victim back if the drill failed after the
/// fault, delete the run's rows and close the client paths. A recovery or delete that fails becomes a note; the two
/// share one 30 s budget.
/// </summary>
internal static class DrillCleanup
{
    public static async Task RunAsync(DrillTarget target, LoadGenerator? load, IFaultInjector injector, bool mustRecover, string oldLeader,
        IReadOnlyList<(string Path, NpgsqlDataSource Source)> paths, string runId, List<string> notes)
    {
        if (load is not null)
        {
            await load.DisposeAsync().ConfigureAwait(false);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (mustRecover)
        {
            await RecoverAfterFailureAsync(target, injector, oldLeader, notes, cts.Token).ConfigureAwait(false);
        }

        await DeleteRowsAsync(paths[0].Source, runId, notes, cts.Token).ConfigureAwait(false);
        // The service's data sources belong to its container (Aspire.Npgsql); only the ones this run made are closed.
        foreach (var (_, source) in paths.Where(p => p.Source != target.PooledDataSource && p.Source != target.DirectDataSource))
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The drill failed after the fault: still give the victim back, so the cluster can heal.</summary>
    private static async Task RecoverAfterFailureAsync(DrillTarget target, IFaultInjector injector, string oldLeader, List<string> notes, CancellationToken ct)
    {
        try
        {
            var recovery = await injector.RecoverAsync(target, oldLeader, ct).ConfigureAwait(false);
            if (recovery is not null)
            {
                notes.Add($"recovered after failure: {recovery}");
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            notes.Add($"could not recover {oldLeader}: {ex.Message}");
        }
    }

    private static async Task DeleteRowsAsync(NpgsqlDataSource source, string runId, List<string> notes, CancellationToken ct)
    {
        try
        {
            await using var command = source.CreateCommand($"DELETE FROM {LoadGenerator.Table} WHERE run_id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = runId });
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await SplitBrainDetector.DeleteRowsAsync(source, runId, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            notes.Add($"the drill's rows were not deleted: {ex.GetBaseException().Message}");
        }
    }
}
