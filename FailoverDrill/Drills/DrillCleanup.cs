using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The last phase, run whatever happened before: stop the load, delete the run's rows and close the client paths. A
/// delete that fails becomes a note. (A fault left unhealed by a failed drill is healed by <see cref="FaultStep"/>.)
/// </summary>
internal static class DrillCleanup
{
    public static async Task RunAsync(DrillTarget target, LoadGenerator? load,
        IReadOnlyList<(string Path, NpgsqlDataSource Source)> paths, string runId, List<string> notes)
    {
        if (load is not null)
        {
            await load.DisposeAsync().ConfigureAwait(false);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await DeleteRowsAsync(paths[0].Source, runId, notes, cts.Token).ConfigureAwait(false);
        // The service's data sources belong to its container (Aspire.Npgsql); only the ones this run made are closed.
        foreach (var (_, source) in paths.Where(p => p.Source != target.PooledDataSource && p.Source != target.DirectDataSource))
        {
            await source.DisposeAsync().ConfigureAwait(false);
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
