namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// PgBouncer's admin console in its container: <c>engine exec container /etc/pgbouncer/console.sh "COMMAND"</c>, over
/// the container's own Unix socket (no TCP login has admin rights). PAUSE, RESUME and where a database points.
/// </summary>
internal sealed class PgBouncerConsole(DrillTarget target, string container)
{
    private const string Script = "/etc/pgbouncer/console.sh";

    public string Container { get; } = container;

    /// <summary>
    /// <c>PAUSE database</c>: returns once every in-flight transaction of it has finished and new ones wait.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not paused within <paramref name="timeout"/> (it may still be pausing: resume it).</exception>
    public async Task PauseAsync(string database, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await RunAsync($"PAUSE {database}", cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"PgBouncer did not pause {database} within {timeout.TotalSeconds:0} s: its in-flight transactions did not finish");
        }
    }

    /// <summary><c>RESUME database</c>; a database that is not paused is fine.</summary>
    public async Task ResumeAsync(string database, CancellationToken ct)
    {
        try
        {
            await RunAsync($"RESUME {database}", ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("not paused", StringComparison.OrdinalIgnoreCase))
        {
        }
    }

    /// <summary>Where <paramref name="database"/> points (<c>SHOW DATABASES</c>: its host), and whether it is paused; null when PgBouncer has no such database.</summary>
    public async Task<(string Host, bool Paused)?> DatabaseAsync(string database, CancellationToken ct)
    {
        var output = await RunAsync("SHOW DATABASES", ct).ConfigureAwait(false);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split('|')).ToList();
        // -At prints no header: the column order is PgBouncer's (name, host, port, …, paused, disabled).
        var row = rows.FirstOrDefault(r => r.Length > 2 && r[0] == database);
        return row is null ? null : (row[1], row.Length > 2 && row[^2] == "1");
    }

    private Task<string> RunAsync(string command, CancellationToken ct) =>
        HookCommand.RunAsync([target.Engine, "exec", Container, Script, command], ct);
}
