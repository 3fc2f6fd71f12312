using System.Diagnostics;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>A value of the primary's <c>synchronous_standby_names</c> from a moment of the drill on.</summary>
/// <param name="FromSeconds">Seconds since the fault was injected (negative: before it).</param>
/// <param name="Value">The setting; empty means commits no longer wait for any standby.</param>
public sealed record SyncSpan(double FromSeconds, string Value);

/// <summary>What the primary's commits waited for through the drill.</summary>
/// <param name="WentAsynchronous">The primary acknowledged commits without waiting for a standby at some point.</param>
/// <param name="AsynchronousSeconds">How long <c>synchronous_standby_names</c> was empty.</param>
/// <param name="Timeline">Each change of the setting.</param>
public sealed record SynchronousReport(bool WentAsynchronous, double AsynchronousSeconds, IReadOnlyList<SyncSpan> Timeline);

/// <summary>
/// Reads the primary's <c>synchronous_standby_names</c> through the drill's primary-following path several times a
/// second. Patroni empties it when it gives up waiting for a standby (<c>on</c>); in <c>strict</c> mode it must never
/// become empty, whatever fails.
/// </summary>
public sealed class SyncStandbySampler(NpgsqlDataSource source, Stopwatch clock, TimeSpan interval)
{
    private readonly List<(TimeSpan At, string Value)> _changes = [];
    private readonly Lock _lock = new();
    private TimeSpan _emptySince = TimeSpan.MinValue;
    private TimeSpan _empty;
    private TimeSpan _last;

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(1));
                await using var command = source.CreateCommand("SELECT current_setting('synchronous_standby_names'), pg_is_in_recovery()");
                await using var reader = await command.ExecuteReaderAsync(timeout.Token).ConfigureAwait(false);
                if (await reader.ReadAsync(timeout.Token).ConfigureAwait(false) && !reader.GetBoolean(1))
                {
                    Observe(clock.Elapsed, reader.GetString(0));
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException
                                       || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // No primary answers for a moment: nothing to learn from this round.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public SynchronousReport Report(TimeSpan injectedAt)
    {
        lock (_lock)
        {
            var empty = _empty + (_emptySince != TimeSpan.MinValue ? _last - _emptySince : TimeSpan.Zero);
            return new SynchronousReport(
                _changes.Any(c => c.Value.Length == 0),
                Math.Round(empty.TotalSeconds, 3),
                [.. _changes.Select(c => new SyncSpan(Math.Round((c.At - injectedAt).TotalSeconds, 3), c.Value))]);
        }
    }

    private void Observe(TimeSpan at, string value)
    {
        lock (_lock)
        {
            if (_changes.Count == 0 || _changes[^1].Value != value)
            {
                _changes.Add((at, value));
            }

            if (value.Length == 0 && _emptySince == TimeSpan.MinValue)
            {
                _emptySince = at;
            }
            else if (value.Length > 0 && _emptySince != TimeSpan.MinValue)
            {
                _empty += at - _emptySince;
                _emptySince = TimeSpan.MinValue;
            }

            _last = at;
        }
    }

    /// <summary>The timeline in one line: <c>-2.0 s "pg-2", 3.1 s "" (asynchronous)</c>.</summary>
    public static string Describe(IReadOnlyList<SyncSpan> timeline) =>
        timeline.Count == 0 ? "never read" : string.Join(", ", timeline.Select(s => $"{s.FromSeconds:0.0} s \"{s.Value}\"{(s.Value.Length == 0 ? " (asynchronous)" : "")}"));
}
