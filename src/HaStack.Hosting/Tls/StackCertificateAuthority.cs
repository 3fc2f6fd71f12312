using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>A certificate and its private key, both PEM, as the containers read them.</summary>
public sealed record IssuedCertificate(string CertificatePem, string PrivateKeyPem);

/// <summary>
/// The stack's own certificate authority: a self-signed ECDSA P-256 root made by the AppHost on the first run (kept
/// as the secret parameter <c>hastack-ca</c>, kept in the AppHost's user secrets like the
/// passwords). It issues every server certificate of the stack at each start: the names are the resource names
/// containers reach each other by, plus <c>localhost</c> and <c>127.0.0.1</c> for the host's clients.
/// </summary>
public sealed class StackCertificateAuthority : IDisposable
{
    private const string OidServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string OidClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2 _root;
    private readonly ECDsa _key;

    private StackCertificateAuthority(X509Certificate2 root, ECDsa key)
    {
        _root = root;
        _key = key;
    }

    /// <summary>The root certificate, PEM: what every client trusts.</summary>
    public string CertificatePem => _root.ExportCertificatePem();

    /// <summary>The root's subject.</summary>
    public string Subject => _root.Subject;

    /// <summary>When the root expires.</summary>
    public DateTimeOffset NotAfter => _root.NotAfter;

    /// <summary>A new root for the stack <paramref name="stack"/>, valid ten years.</summary>
    public static StackCertificateAuthority Create(string stack)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=HaStack {stack} CA, O=HaStack", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var root = request.CreateSelfSigned(now.AddHours(-1), now.AddYears(10));
        return new StackCertificateAuthority(X509CertificateLoader.LoadCertificate(root.RawData), key);
    }

    /// <summary>The root and its key as one PEM text (the parameter's value).</summary>
    public string ToPem() => CertificatePem + "\n" + _key.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Reads what <see cref="ToPem"/> wrote.</summary>
    /// <exception cref="HaStackConfigurationException">The text is not a CA certificate with its ECDSA key.</exception>
    public static StackCertificateAuthority FromPem(string pem, string parameterName)
    {
        try
        {
            var root = X509Certificate2.CreateFromPem(pem, pem);
            var key = root.GetECDsaPrivateKey() ?? throw new CryptographicException("the certificate's key is not ECDSA");
            var constraints = root.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is not { CertificateAuthority: true })
            {
                throw new CryptographicException("the certificate is not a CA (basic constraints)");
            }

            if (root.NotAfter < DateTime.Now.AddDays(1))
            {
                throw new CryptographicException($"the CA expired or expires within a day ({root.NotAfter:u})");
            }

            return new StackCertificateAuthority(X509CertificateLoader.LoadCertificate(root.RawData), key);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new HaStackConfigurationException([
                $"Parameters:{parameterName} is not a usable certificate authority ({ex.Message}); allowed: a PEM CA certificate followed by its PKCS#8 ECDSA key, as HaStack generates it. Remove the value (user secrets) to have a new CA generated."]);
        }
    }

    /// <summary>
    /// A server (and client) certificate for <paramref name="dnsNames"/> (the first is the subject), with
    /// <c>localhost</c> and <c>127.0.0.1</c> besides, valid 90 days.
    /// </summary>
    public IssuedCertificate Issue(params string[] dnsNames)
    {
        ArgumentOutOfRangeException.ThrowIfZero(dnsNames.Length);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames[0]}, O=HaStack", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames.Append("localhost").Distinct(StringComparer.Ordinal))
        {
            names.AddDnsName(name);
        }

        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(OidServerAuth), new Oid(OidClientAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));

        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(_root.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddHours(-1), now.AddDays(90), serial);
        return new IssuedCertificate(certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Releases the key.</summary>
    public void Dispose()
    {
        _root.Dispose();
        _key.Dispose();
    }
}
