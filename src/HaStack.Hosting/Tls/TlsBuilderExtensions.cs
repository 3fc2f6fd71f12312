using HaStack.Patroni;

namespace Aspire.Hosting;

/// <summary>Certificates from the stack's CA (<see cref="StackTls"/>) for HaStack's containers and .NET services.</summary>
public static class TlsBuilderExtensions
{
    /// <summary>
    /// Gives <paramref name="resource"/> a server certificate for <paramref name="names"/> (plus localhost) and the
    /// root, as files in <see cref="StackTls.ContainerDirectory"/> (<c>server.crt</c>, <c>server.key</c>,
    /// <c>ca.crt</c>), and <c>HASTACK_TLS</c> = the mode. Both are decided when the container starts, from
    /// <paramref name="mode"/>: with TLS off, only <c>HASTACK_TLS=off</c>.
    /// </summary>
    /// <param name="resource">The container.</param>
    /// <param name="mode">Reads the TLS mode when the container starts.</param>
    /// <param name="names">The names the certificate is issued for; the first is its subject.</param>
    public static IResourceBuilder<T> WithServerCertificate<T>(this IResourceBuilder<T> resource, Func<TlsMode> mode, params string[] names)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(names);
        string[] fixedNames = [.. names];
        return resource.WithServerCertificate(mode, () => fixedNames);
    }

    /// <summary>
    /// Like <see cref="WithServerCertificate{T}(IResourceBuilder{T}, Func{TlsMode}, string[])"/>, with the names read
    /// when the container starts.
    /// </summary>
    /// <param name="resource">The container.</param>
    /// <param name="mode">Reads the TLS mode when the container starts.</param>
    /// <param name="names">Reads the names the certificate is issued for; the first is its subject.</param>
    public static IResourceBuilder<T> WithServerCertificate<T>(this IResourceBuilder<T> resource, Func<TlsMode> mode, Func<string[]> names)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(names);
        var tls = StackTls.For(resource.ApplicationBuilder);
        return resource.WithEnvironment(context => context.EnvironmentVariables["HASTACK_TLS"] = StackTls.ModeName(mode()))
            .WithContainerFiles(StackTls.ContainerDirectory, async (_, ct) =>
            {
                if (mode() == TlsMode.Off)
                {
                    return [];
                }

                var authority = await tls.GetAuthorityAsync(ct).ConfigureAwait(false);
                var issuedFor = names();
                var issued = authority.Issue(issuedFor.Length > 0 ? issuedFor : [resource.Resource.Name]);
                return [
                    CertificateFile("ca.crt", authority.CertificatePem),
                    CertificateFile("server.crt", issued.CertificatePem),
                    // Readable inside the container only; each entrypoint copies it to a private file of its service's user.
                    CertificateFile("server.key", issued.PrivateKeyPem),
                ];
            });
    }

    /// <summary>Gives <paramref name="resource"/> the root certificate only (<c>ca.crt</c>): a client that verifies.</summary>
    /// <param name="resource">The container.</param>
    /// <param name="mode">Reads the TLS mode when the container starts.</param>
    public static IResourceBuilder<T> WithRootCertificate<T>(this IResourceBuilder<T> resource, Func<TlsMode> mode)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(mode);
        var tls = StackTls.For(resource.ApplicationBuilder);
        return resource.WithEnvironment(context => context.EnvironmentVariables["HASTACK_TLS"] = StackTls.ModeName(mode()))
            .WithContainerFiles(StackTls.ContainerDirectory, async (_, ct) => mode() == TlsMode.Off
                ? []
                : [CertificateFile("ca.crt", (await tls.GetAuthorityAsync(ct).ConfigureAwait(false)).CertificatePem)]);
    }

    /// <summary>
    /// Tells a .NET service on the host where the stack's root certificate is (<see cref="StackTrust.ConfigurationKey"/>),
    /// so that it verifies Patroni's HTTPS like the AppHost does. Nothing when publishing: a deployed service trusts
    /// the CA through its system's trust store.
    /// </summary>
    /// <param name="resource">The service.</param>
    public static IResourceBuilder<T> WithStackRootCertificate<T>(this IResourceBuilder<T> resource)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(resource);
        return StackTls.For(resource.ApplicationBuilder).RootCertificatePath is { } path
            ? resource.WithEnvironment(StackTrust.ConfigurationKey.Replace(":", "__", StringComparison.Ordinal), path)
            : resource;
    }

    private static ContainerFile CertificateFile(string name, string contents) => new()
    {
        Name = name,
        Contents = contents,
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
    };
}
