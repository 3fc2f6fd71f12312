using Npgsql;

namespace OrdersApp.Api;

/// <summary>
/// Retries an operation that failed for a reason that passes (a failover, a restarting pooler): Npgsql's
/// <see cref="NpgsqlException.IsTransient"/>, and the errors a moved leader causes (the old one shut down or now
/// read-only). Waits 100 ms, doubling to 2 s, for at most 20 s in all. Off (<c>Orders:Retry=false</c>), every error
/// reaches the client as a 500.
/// </summary>
public sealed class TransientRetry(bool enabled)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(20);

    public bool Enabled { get; } = enabled;

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await operation(ct);
            }
            catch (Exception ex) when (Enabled && IsTransient(ex) && DateTime.UtcNow - started + delay < s_budget && !ct.IsCancellationRequested)
            {
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState is "57P01" or "57P02" or "57P03" or "25006" or "08006" or "08001",
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or IOException => true,
        _ => false,
    };
}
