namespace HaStack.AppHost.Tls;

/// <summary>
/// The stack's TLS: its mode, its certificate authority (null when <see cref="TlsMode.Off"/>) and where the host's
/// clients find the root certificate (<see cref="RootCertificatePath"/>, named in every connection string).
/// </summary>
public sealed class StackTls(TlsMode mode, StackCertificateAuthority? authority, string? rootCertificatePath)
{
    /// <summary>Where each container finds its certificate files (written by Aspire before it starts).</summary>
    public const string ContainerDirectory = "/etc/hastack/tls";

    public TlsMode Mode { get; } = mode;

    public bool Enabled => Mode != TlsMode.Off;

    public StackCertificateAuthority? Authority { get; } = authority;

    /// <summary>The root certificate on the host (PEM), for the .NET clients; null when TLS is off.</summary>
    public string? RootCertificatePath { get; } = rootCertificatePath;

    /// <summary>The value of <c>HASTACK_TLS</c> in the containers: <c>off</c>, <c>on</c> or <c>required</c>.</summary>
    public string ModeName => Mode.ToString().ToLowerInvariant();

    /// <summary>
    /// What a connection string handed to applications ends with: <c>SSL Mode=VerifyFull</c> and the root certificate,
    /// so Npgsql checks the chain and the host name; nothing when TLS is off.
    /// </summary>
    public string NpgsqlSuffix => Enabled ? $";SSL Mode=VerifyFull;Root Certificate={RootCertificatePath}" : "";
}
