using HaStack.Patroni;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The stack's certificate authority, one per AppHost: the secret parameter <see cref="AuthorityParameterName"/>
/// (generated on the first run and kept in user secrets like the passwords) issues every server certificate of every
/// HaStack resource at each start. In run mode its root certificate is written to a file of the AppHost's machine for
/// the host's own clients (<see cref="RootCertificatePath"/>); a published manifest names no such file.
/// </summary>
public sealed class StackTls
{
    /// <summary>The secret parameter that holds the CA (certificate and key, PEM).</summary>
    public const string AuthorityParameterName = "hastack-ca";

    /// <summary>Where each container finds its certificate files (<c>ca.crt</c>, <c>server.crt</c>, <c>server.key</c>).</summary>
    public const string ContainerDirectory = "/etc/hastack/tls";

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IDistributedApplicationBuilder, StackTls> s_stacks = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private StackCertificateAuthority? _authority;

    private StackTls(IResourceBuilder<ParameterResource> parameter, string? rootCertificatePath)
    {
        Parameter = parameter;
        RootCertificatePath = rootCertificatePath;
    }

    /// <summary>The CA parameter.</summary>
    public IResourceBuilder<ParameterResource> Parameter { get; }

    /// <summary>The root certificate on the AppHost's machine (PEM), written at start; null when publishing.</summary>
    public string? RootCertificatePath { get; }

    /// <summary>The CA of <paramref name="builder"/>'s stack, declared on first use.</summary>
    public static StackTls For(IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        lock (s_stacks)
        {
            if (s_stacks.TryGetValue(builder, out var existing))
            {
                return existing;
            }

            var parameter = builder.AddParameter(AuthorityParameterName, new CertificateAuthorityDefault(builder.Environment.ApplicationName), secret: true, persist: true)
                .WithDescription("The stack's certificate authority (PEM certificate and key): it issues every TLS certificate of the stack.");
            string? path = null;
            if (builder.ExecutionContext.IsRunMode)
            {
                // Public, one file per run, removed when the AppHost stops.
                var directory = Path.Combine(Path.GetTempPath(), "hastack", $"ca-{Guid.NewGuid().ToString("N")[..8]}");
                path = Path.Combine(directory, "ca.crt");
                // The AppHost's own health checks and Patroni client verify the stack's certificates like any client.
                var file = path;
                builder.Services.ConfigureHttpClientDefaults(http => http.ConfigurePrimaryHttpMessageHandler(() => StackTrust.CreateHandler(File.Exists(file) ? file : null)));
            }

            var tls = new StackTls(parameter, path);
            if (path is not null)
            {
                builder.Eventing.Subscribe<BeforeStartEvent>(async (e, ct) =>
                {
                    var authority = await tls.GetAuthorityAsync(ct).ConfigureAwait(false);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await File.WriteAllTextAsync(path, authority.CertificatePem, ct).ConfigureAwait(false);
                    e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => TryDelete(Path.GetDirectoryName(path)!));
                });
            }

            s_stacks.Add(builder, tls);
            return tls;
        }
    }

    /// <summary>The CA, read from the parameter once.</summary>
    /// <exception cref="HaStackConfigurationException">The kept value is not a usable CA.</exception>
    public async Task<StackCertificateAuthority> GetAuthorityAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _authority ??= StackCertificateAuthority.FromPem(
                await Parameter.Resource.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? "", AuthorityParameterName);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What a connection string ends with in <paramref name="mode"/>: <c>SSL Mode=VerifyFull</c> and, in run mode, the root certificate.</summary>
    public string NpgsqlSuffix(TlsMode mode) => mode == TlsMode.Off
        ? ""
        : ";SSL Mode=VerifyFull" + (RootCertificatePath is { } path ? $";Root Certificate={path}" : "");

    /// <summary>The value of <c>HASTACK_TLS</c> in the containers: <c>off</c>, <c>on</c> or <c>required</c>.</summary>
    public static string ModeName(TlsMode mode) => mode.ToString().ToLowerInvariant();

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
