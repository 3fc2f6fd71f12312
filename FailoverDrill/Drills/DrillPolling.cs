using System.Diagnostics;

namespace HaStack.FailoverDrill.Drills;

/// <summary>The one way a drill waits for something: poll a condition until it holds or a deadline passes.</summary>
internal static class DrillPolling
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms; throws <see cref="TimeoutException"/> naming <paramref name="what"/>.</summary>
    public static async Task WaitForAsync(string what, TimeSpan timeout, Func<Task<bool>> condition, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"not true after {timeout.TotalSeconds:0} s: {what}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }
}
