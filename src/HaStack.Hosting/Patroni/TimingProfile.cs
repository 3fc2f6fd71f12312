namespace Aspire.Hosting.ApplicationModel;

/// <summary>How fast Patroni notices a lost leader. See <see cref="PatroniTiming"/>.</summary>
public enum TimingProfile
{
    /// <summary>Patroni's own defaults: ttl 30 s, loop_wait 10 s, retry_timeout 10 s.</summary>
    Default,

    /// <summary>Short lease for drills and tests: the floor the running Patroni accepts (<see cref="PostgresPlatform.FastTiming"/>).</summary>
    Fast,
}
