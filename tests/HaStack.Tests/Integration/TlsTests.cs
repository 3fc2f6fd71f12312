using Npgsql;

namespace HaStack.Tests.Integration;

/// <summary>A stack with <c>HaStack:Tls=required</c> (one etcd member: TLS needs no quorum to lose).</summary>
public sealed class TlsRequiredCluster : HaStackCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:Name=tlstest", "--HaStack:Tls=required", "--HaStack:EtcdMembers=1"];
}

/// <summary>
/// TLS on the real stack with <c>required</c>: the application connection strings verify the server (chain and
/// name) and work, replication runs over TLS, plaintext is refused, and a certificate for another name is rejected.
/// (Every other test runs with the default <c>on</c>: Patroni REST and etcd over HTTPS, verified.)
/// </summary>
public class TlsTests(TlsRequiredCluster cluster) : IClassFixture<TlsRequiredCluster>
{
    [Theory]
    [InlineData("app")]
    [InlineData("pg")]
    public async Task TheApplicationConnectionStringsVerifyTheServerAndRunOverTls(string resource)
    {
        // "pg" is what a project gets as app-direct (multi-host, straight to the leader); "app" goes through PgBouncer.
        var connectionString = new NpgsqlConnectionStringBuilder(await cluster.GetConnectionStringAsync(resource));
        Assert.Equal(SslMode.VerifyFull, connectionString.SslMode);
        Assert.True(File.Exists(connectionString.RootCertificate), $"the root certificate {connectionString.RootCertificate} exists");
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(connectionString.RootCertificate!));

        await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
        await connection.OpenAsync();
        // The server side of the session (PgBouncer's server connection for "app") is TLS too.
        await using var command = new NpgsqlCommand("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.GetBoolean(0));
        Assert.StartsWith("TLSv1.", reader.GetString(1));
    }

    [Fact]
    public async Task ReplicationRunsOverTls()
    {
        var leader = await cluster.LeaderAsync(default) ?? throw new InvalidOperationException("no leader");
        var rows = (await cluster.ExecAsync(leader, ["psql", "-h", "/var/run/postgresql", "-U", "postgres", "-AtX", "-c",
            "SELECT r.application_name, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)"]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(cluster.NodeNames.Count - 1, rows.Length);
        Assert.All(rows, row => Assert.EndsWith("|t", row));
    }

    [Theory]
    [InlineData("app")]
    [InlineData("pg-1")]
    public async Task APlaintextConnectionIsRefused(string resource)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await cluster.GetConnectionStringAsync(resource))
        {
            SslMode = SslMode.Disable,
            RootCertificate = null,
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => connection.OpenAsync());
        // PostgreSQL: no pg_hba.conf entry ... no encryption; PgBouncer: SSL required.
        Assert.Matches("no encryption|SSL required|ssl required", error.Message);
    }

    [Fact]
    public async Task ACertificateForAnotherNameIsRejected()
    {
        // From pg-2, reach pg-1 by its container name, a name its certificate does not carry: verify-full refuses it,
        // while the same connection by its resource name (in the certificate) succeeds.
        var target = cluster.NodeNames[0];
        var other = cluster.NodeNames[1];
        var password = await cluster.GetParameterAsync("pg-app-password");
        string Dsn(string host) => $"host={host} port=5432 dbname=app user=app password={password} sslmode=verify-full sslrootcert=/tmp/tls/ca.crt connect_timeout=5";

        var good = await Docker.TryRunAsync("exec", cluster.Containers[other], "psql", Dsn(target), "-AtXc", "SELECT 1");
        Assert.True(good.ExitCode == 0, good.Stderr);

        var bad = await Docker.TryRunAsync("exec", cluster.Containers[other], "psql", Dsn(cluster.Containers[target]), "-AtXc", "SELECT 1");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("does not match host name", bad.Stderr);

        // Patroni's REST API likewise: curl verifies the name.
        var rest = await Docker.TryRunAsync("exec", cluster.Containers[other], "curl", "-sS", "--cacert", "/tmp/tls/ca.crt", "-o", "/dev/null",
            $"https://{cluster.Containers[target]}:8008/health");
        Assert.NotEqual(0, rest.ExitCode);
        Assert.Matches("certificate|SSL", rest.Stderr);
        var restByName = await Docker.TryRunAsync("exec", cluster.Containers[other], "curl", "-sS", "--cacert", "/tmp/tls/ca.crt", "-o", "/dev/null",
            "-w", "%{http_code}", $"https://{target}:8008/health");
        Assert.Equal("200", restByName.Stdout.Trim());
    }
}
