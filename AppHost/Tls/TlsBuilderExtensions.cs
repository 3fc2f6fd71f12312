using HaStack.AppHost;
using HaStack.AppHost.Tls;
using HaStack.Patroni;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

public static class TlsBuilderExtensions
{
    /// <summary>The secret parameter that holds the stack's CA (certificate and key, PEM).</summary>
    public const string AuthorityParameterName = "hastack-ca";

    /// <summary>
    /// Sets up the stack's TLS for <c>HaStack:Tls</c>: the CA (generated on the first run, kept in user secrets when
    /// <c>HaStack:Persistent</c> is on), its root certificate written for the host's clients, and the AppHost's own
    /// HTTP clients (health checks, Patroni) trusting it.
    /// </summary>
    /// <exception cref="HaStackConfigurationException">The kept CA is unusable.</exception>
    public static StackTls AddStackTls(this IDistributedApplicationBuilder builder, HaStackOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tls == TlsMode.Off)
        {
            return new StackTls(TlsMode.Off, null, null);
        }

        var parameter = builder.AddParameter(AuthorityParameterName, new CertificateAuthorityDefault(options.Name), secret: true, persist: options.Persistent)
            .WithDescription("The stack's certificate authority (PEM certificate and key): it issues every TLS certificate of the stack.");
#pragma warning disable CS0618 // The value is needed while the model is built: every certificate is issued from it.
        var authority = StackCertificateAuthority.FromPem(parameter.Resource.Value, AuthorityParameterName);
#pragma warning restore CS0618

        // The root certificate for the host's clients (connection strings, the services): public, one file per run.
        var directory = Path.Combine(Path.GetTempPath(), "hastack", $"{options.Name}-{Guid.NewGuid().ToString("N")[..8]}");
        var path = Path.Combine(directory, "ca.crt");
        // Written when the stack starts (not for a model that is only built), removed when it stops.
        builder.Eventing.Subscribe<BeforeStartEvent>(async (e, ct) =>
        {
            if (!builder.ExecutionContext.IsRunMode)
            {
                return;
            }

            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(path, authority.CertificatePem, ct).ConfigureAwait(false);
            e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => TryDelete(directory));
        });

        // Health checks and the Patroni client in this process verify the stack's certificates like any other.
        builder.Services.ConfigureHttpClientDefaults(http => http.ConfigurePrimaryHttpMessageHandler(() => StackTrust.CreateHandler(path)));
        return new StackTls(options.Tls, authority, path);
    }

    /// <summary>
    /// Gives <paramref name="resource"/> a server certificate for <paramref name="names"/> (plus localhost) and the
    /// root, as files in <see cref="StackTls.ContainerDirectory"/> (<c>server.crt</c>, <c>server.key</c>,
    /// <c>ca.crt</c>), and <c>HASTACK_TLS</c> = the mode. With TLS off, only <c>HASTACK_TLS=off</c>.
    /// </summary>
    public static IResourceBuilder<T> WithServerCertificate<T>(this IResourceBuilder<T> resource, StackTls tls, params string[] names)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(tls);
        resource.WithEnvironment("HASTACK_TLS", tls.ModeName);
        if (tls.Authority is not { } authority)
        {
            return resource;
        }

        var issued = authority.Issue(names.Length > 0 ? names : [resource.Resource.Name]);
        return resource.WithContainerFiles(StackTls.ContainerDirectory, [
            CertificateFile("ca.crt", authority.CertificatePem),
            CertificateFile("server.crt", issued.CertificatePem),
            // Readable inside the container only; each entrypoint copies it to a private file of its service's user.
            CertificateFile("server.key", issued.PrivateKeyPem),
        ]);
    }

    /// <summary>Gives <paramref name="resource"/> the root certificate only (<c>ca.crt</c>): a client that verifies.</summary>
    public static IResourceBuilder<T> WithRootCertificate<T>(this IResourceBuilder<T> resource, StackTls tls)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(tls);
        resource.WithEnvironment("HASTACK_TLS", tls.ModeName);
        return tls.Authority is { } authority
            ? resource.WithContainerFiles(StackTls.ContainerDirectory, [CertificateFile("ca.crt", authority.CertificatePem)])
            : resource;
    }

    /// <summary>Tells a .NET service where the root certificate is (<see cref="StackTrust.ConfigurationKey"/>).</summary>
    public static IResourceBuilder<ProjectResource> WithRootCertificate(this IResourceBuilder<ProjectResource> project, StackTls tls)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(tls);
        return tls.RootCertificatePath is { } path
            ? project.WithEnvironment(StackTrust.ConfigurationKey.Replace(":", "__", StringComparison.Ordinal), path)
            : project;
    }

    private static ContainerFile CertificateFile(string name, string contents) => new()
    {
        Name = name,
        Contents = contents,
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
    };

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Generates a new CA the first time the parameter has no value (the same one for every read in this run).</summary>
    private sealed class CertificateAuthorityDefault(string stack) : ParameterDefault
    {
        private readonly Lazy<string> _pem = new(() =>
        {
            using var authority = StackCertificateAuthority.Create(stack);
            return authority.ToPem();
        });

        public override string GetDefaultValue() => _pem.Value;

        public override void WriteToManifest(Aspire.Hosting.Publishing.ManifestPublishingContext context)
        {
            // A deployment brings its own CA: the manifest's default stays empty.
            ArgumentNullException.ThrowIfNull(context);
        }
    }
}
