namespace HaStack.Testing;

/// <summary>
/// Every bounded wait of the test suites, in one place. Scale them all with <c>HASTACK_TIMEOUT_SCALE</c>
/// (e.g. 2 on a slow machine).
/// </summary>
public static class Timeouts
{
    private static readonly double s_scale =
        double.TryParse(Environment.GetEnvironmentVariable("HASTACK_TIMEOUT_SCALE"), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 1;

    /// <summary>AppHost start until every resource is healthy, image builds included.</summary>
    public static TimeSpan ClusterStart => Scaled(600);

    /// <summary>One leader and all replicas streaming after the start.</summary>
    public static TimeSpan ClusterReady => Scaled(120);

    /// <summary>Prometheus has scraped every target at least once.</summary>
    public static TimeSpan ScrapesUp => Scaled(60);

    /// <summary>A planned switchover completes and writes reach the new leader.</summary>
    public static TimeSpan Switchover => Scaled(30);

    /// <summary>An old leader rejoins as a streaming replica (rewind or re-clone).</summary>
    public static TimeSpan Rejoin => Scaled(120);

    /// <summary>A small image (Prometheus, Alertmanager) is built from its Dockerfile, the Debian packages included.</summary>
    public static TimeSpan ImageBuild => Scaled(600);

    /// <summary>The AppHost stops and its containers are gone.</summary>
    public static TimeSpan Shutdown => Scaled(90);

    public static TimeSpan Scaled(double seconds) => TimeSpan.FromSeconds(seconds * s_scale);
}
