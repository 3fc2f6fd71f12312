using System.Diagnostics;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Polls Patroni's <c>/cluster</c> during a failover and notes when the old leader stopped being the leader
/// (detection) and when another member held the lock and ran (new leader).
/// </summary>
public sealed class FailoverMonitor(HttpClient http, IReadOnlyList<Uri> patroniUrls, string oldLeader, Stopwatch clock, TimeSpan interval)
{
    public TimeSpan? DetectedAt { get; private set; }

    public TimeSpan? NewLeaderAt { get; private set; }

    public string? NewLeader { get; private set; }

    public long? NewLeaderTimeline { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        // Short timeouts: a killed node must not hold up the clock.
        var patroni = new PatroniClient(http, patroniUrls, requestTimeout: TimeSpan.FromMilliseconds(700));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var cluster = await patroni.GetClusterAsync(ct).ConfigureAwait(false);
                var leader = cluster.Leader;
                var now = clock.Elapsed;
                if (leader?.Name != oldLeader)
                {
                    DetectedAt ??= now;
                }

                if (leader is not null && leader.Name != oldLeader && leader.IsRunning)
                {
                    NewLeaderAt ??= now;
                    NewLeader ??= leader.Name;
                    if (leader.Name == NewLeader && leader.Timeline is { } timeline)
                    {
                        NewLeaderTimeline = timeline;
                    }
                }
            }
            catch (PatroniApiException)
            {
                // Every node busy or down for a moment: keep polling.
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
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
}
