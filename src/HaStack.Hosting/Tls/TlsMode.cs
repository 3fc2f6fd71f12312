namespace Aspire.Hosting.ApplicationModel;

/// <summary>Which connections of a HaStack cluster use TLS (certificates from the stack's own CA).</summary>
public enum TlsMode
{
    /// <summary>Plaintext everywhere (for comparison benchmarks).</summary>
    Off,

    /// <summary>
    /// TLS offered everywhere and verified by every HaStack client: PostgreSQL <c>ssl=on</c>, replication and
    /// pg_rewind with <c>verify-full</c>, PgBouncer to clients and servers, Patroni REST and etcd over HTTPS.
    /// Plaintext clients are still accepted.
    /// </summary>
    On,

    /// <summary>Like <see cref="On"/>, and plaintext clients are refused (<c>hostssl</c> only, PgBouncer requires TLS).</summary>
    Required,
}
