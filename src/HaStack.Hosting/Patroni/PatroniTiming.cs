namespace Aspire.Hosting.ApplicationModel;

/// <summary>Patroni's DCS timing in seconds: <c>loop_wait + 2 * retry_timeout &lt;= ttl</c> holds for every profile.</summary>
/// <param name="Ttl">The leader lock's lease.</param>
/// <param name="LoopWait">Seconds between Patroni's HA loops.</param>
/// <param name="RetryTimeout">How long Patroni retries etcd and PostgreSQL before it demotes.</param>
public sealed record PatroniTiming(int Ttl, int LoopWait, int RetryTimeout)
{
    /// <summary>Patroni's own defaults, the same on every platform.</summary>
    public static PatroniTiming Default { get; } = new(Ttl: 30, LoopWait: 10, RetryTimeout: 10);

    /// <summary>How the dashboard shows it, e.g. <c>ttl 20 s, loop_wait 1 s, retry_timeout 3 s</c>.</summary>
    public override string ToString() => $"ttl {Ttl} s, loop_wait {LoopWait} s, retry_timeout {RetryTimeout} s";
}
