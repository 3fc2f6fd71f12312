namespace Aspire.Hosting.ApplicationModel;

/// <summary>Patroni's synchronous replication mode.</summary>
public enum SynchronousMode
{
    /// <summary>Asynchronous streaming: a crash may lose the last acknowledged commits.</summary>
    Off,

    /// <summary>Patroni keeps one synchronous standby; commits wait for it while one exists.</summary>
    On,

    /// <summary>Like <see cref="On"/>, but writes stop rather than continue without a synchronous standby.</summary>
    Strict,

    /// <summary>
    /// Patroni 4's quorum commit (<c>synchronous_mode: quorum</c>): a commit waits for any one of the standbys
    /// (<c>ANY 1 (…)</c>), and Patroni promotes only a member that the quorum proves has every commit.
    /// </summary>
    Quorum,
}
