using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>Who was writable from when, as the split-brain detector sampled it.</summary>
/// <param name="FromSeconds">Run clock, seconds since the fault was injected (negative: before it).</param>
/// <param name="Primaries">The nodes that committed the detector's write, <c>+</c>-separated; <c>none</c> when no node did.</param>
public sealed record PrimarySpan(double FromSeconds, string Primaries);

/// <summary>The split-brain detector's result for one drill.</summary>
/// <param name="LongestSeconds">The longest stretch in which more than one node committed a write: must be 0.</param>
/// <param name="Samples">Sampling rounds over every node.</param>
/// <param name="Timeline">Each change of who committed writes.</param>
public sealed record SplitBrainReport(double LongestSeconds, int Samples, IReadOnlyList<PrimarySpan> Timeline);

/// <summary>
/// Samples every node directly, bypassing Patroni, the router and PgBouncer, about ten times a second for the whole
/// drill: a node that is out of recovery must also commit a one-row write (within a second) to count. The longest
/// stretch with two such nodes is the split-brain time, and each change of who committed goes into the timeline.
/// </summary>
public sealed class SplitBrainDetector : IAsyncDisposable
{
    /// <summary>The table the detector writes to (created on the leader in the drill's setup, replicated everywhere).</summary>
    public const string Table = "hastack_drill_split_brain";

    private readonly IReadOnlyList<(string Node, NpgsqlDataSource Source)> _nodes;
    private readonly string _runId;
    private readonly Stopwatch _clock;
    private readonly TimeSpan _interval;
    private readonly List<PrimarySpan> _timeline = [];
    private TimeSpan? _overlapStart;
    private TimeSpan _longest;
    private int _samples;

    /// <param name="nodes">Each node's name and its own connection string (one host, any session).</param>
    /// <param name="runId">The drill's run id, on every row written.</param>
    /// <param name="clock">The run clock.</param>
    /// <param name="interval">Time between sampling rounds.</param>
    public SplitBrainDetector(IReadOnlyList<(string Node, string ConnectionString)> nodes, string runId, Stopwatch clock, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        _nodes = nodes.Select(n => (n.Node, NpgsqlDataSource.Create(SingleNode(n.ConnectionString)))).ToList();
        _runId = runId;
        _clock = clock;
        _interval = interval;
    }

    /// <summary>
    /// One data source per host of a multi-host connection string (the drill's direct path), named after the Patroni
    /// members in the same order when there are as many, else by host.
    /// </summary>
    public static IReadOnlyList<(string Node, string ConnectionString)> NodesOf(string directConnectionString, IReadOnlyList<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var hosts = (new NpgsqlConnectionStringBuilder(directConnectionString).Host ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return hosts.Select((host, i) => (hosts.Length == members.Count ? members[i] : host,
            new NpgsqlConnectionStringBuilder(directConnectionString) { Host = host }.ConnectionString)).ToList();
    }

    /// <summary>One node as it is, whatever its role: no target session, short timeouts, a small pool.</summary>
    private static string SingleNode(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = 1,
            CommandTimeout = 1,
            MaxPoolSize = 2,
            ApplicationName = "hastack-failoverdrill-split-brain",
        };
        builder.Remove("Target Session Attributes");
        builder.Remove("Host Recheck Seconds");
        return builder.ConnectionString;
    }

    /// <summary>Samples until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var started = _clock.Elapsed;
            var committed = await Task.WhenAll(_nodes.Select(n => CommitsAsync(n.Node, n.Source, ct))).ConfigureAwait(false);
            Record(started, _nodes.Where((_, i) => committed[i]).Select(n => n.Node).ToList());
            try
            {
                await Task.Delay(_interval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>The result, with times relative to <paramref name="injectedAt"/>.</summary>
    public SplitBrainReport Report(TimeSpan injectedAt)
    {
        var longest = _overlapStart is { } open && _clock.Elapsed - open > _longest ? _clock.Elapsed - open : _longest;
        return new SplitBrainReport(Math.Round(longest.TotalSeconds, 3), _samples,
            _timeline.Select(s => s with { FromSeconds = Math.Round(s.FromSeconds - injectedAt.TotalSeconds, 3) }).ToList());
    }

    internal void Record(TimeSpan at, List<string> primaries)
    {
        _samples++;
        var text = primaries.Count == 0 ? "none" : string.Join('+', primaries);
        if (_timeline.Count == 0 || _timeline[^1].Primaries != text)
        {
            _timeline.Add(new PrimarySpan(at.TotalSeconds, text));
        }

        if (primaries.Count > 1)
        {
            _overlapStart ??= at;
        }
        else if (_overlapStart is { } start)
        {
            // The overlap lasted at least from its first sample to this one, which saw it over.
            _longest = at - start > _longest ? at - start : _longest;
            _overlapStart = null;
        }
    }

    private async Task<bool> CommitsAsync(string node, NpgsqlDataSource source, CancellationToken ct)
    {
        try
        {
            await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            // A replica is asked only whether it is one: an INSERT there would be an error in its log ten times a second.
            await using (var role = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
            {
                if (await role.ExecuteScalarAsync(ct).ConfigureAwait(false) is not false)
                {
                    return false;
                }
            }

            await using var command = new NpgsqlCommand($"INSERT INTO {Table} (run_id, node) VALUES ($1, $2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _runId });
            command.Parameters.Add(new NpgsqlParameter { Value = node });
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // Down, unreachable, demoted mid-sample, not committing within a second, or the drill is over: not a
            // primary taking writes in this round.
            return false;
        }
    }

    /// <summary>Creates the detector's table (through the leader) if it is missing.</summary>
    public static async Task EnsureTableAsync(NpgsqlDataSource leader, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(leader);
        await using var command = leader.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS {Table} (run_id text NOT NULL, node text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())");
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Removes this run's rows (through the leader).</summary>
    public static async Task DeleteRowsAsync(NpgsqlDataSource leader, string runId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(leader);
        await using var command = leader.CreateCommand($"DELETE FROM {Table} WHERE run_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, source) in _nodes)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The timeline as one line for the table: <c>-1.2 s pg-1, 5.4 s none, 6.0 s pg-2</c>.</summary>
    public static string Describe(IReadOnlyList<PrimarySpan> timeline) =>
        string.Join(", ", timeline.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.FromSeconds:0.0} s {s.Primaries}")));
}
