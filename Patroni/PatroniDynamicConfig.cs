namespace HaStack.Patroni;

/// <summary>
/// The dynamic configuration in the DCS (<c>GET /config</c>); null where Patroni's document leaves a key out.
/// <see cref="SynchronousModeName"/> is <c>off</c>, <c>on</c>, <c>strict</c> or <c>quorum</c> (Patroni 4 stores quorum
/// as a string, the rest as booleans).
/// </summary>
public sealed record PatroniDynamicConfig(
    int? Ttl,
    int? LoopWait,
    int? RetryTimeout,
    long? MaximumLagOnFailover,
    string SynchronousModeName,
    bool FailsafeMode)
{
    /// <summary>Commits wait for a standby (on, strict or quorum).</summary>
    public bool SynchronousMode => SynchronousModeName != "off";
}
