namespace HaStack.Testing;

/// <summary>Bounded waits on real conditions: poll, never sleep as synchronization.</summary>
public static class Wait
{
    /// <summary>
    /// Polls <paramref name="condition"/> until it returns true; throws with <paramref name="what"/> and the last
    /// failure once <paramref name="timeout"/> has passed. Exceptions inside the condition count as "not yet", except
    /// a failed assertion: that is a verdict, and it fails the test at once.
    /// </summary>
    public static async Task UntilAsync(string what, TimeSpan timeout, Func<CancellationToken, Task<bool>> condition, TimeSpan? interval = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? lastError = null;
        while (true)
        {
            try
            {
                if (await condition(cts.Token))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException && (!cts.IsCancellationRequested || ex is OperationCanceledException))
            {
                lastError = ex.Message;
            }

            try
            {
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Not true after {timeout.TotalSeconds:0} s: {what}." + (lastError is null ? "" : $" Last error: {lastError}"));
            }
        }
    }

    /// <summary>Like <see cref="UntilAsync"/> but returns the first non-null value.</summary>
    public static async Task<T> ForAsync<T>(string what, TimeSpan timeout, Func<CancellationToken, Task<T?>> probe, TimeSpan? interval = null)
        where T : class
    {
        T? result = null;
        await UntilAsync(what, timeout, async ct => (result = await probe(ct)) is not null, interval);
        return result!;
    }
}
