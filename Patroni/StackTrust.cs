using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace HaStack.Patroni;

/// <summary>
/// HTTPS to the stack's services (Patroni REST, etcd) verified against the stack's own root certificate: the chain
/// must end at that root and the name must match, as for any public CA. Without a root file, the system's trust
/// store alone decides (plain HTTP needs none).
/// </summary>
public static class StackTrust
{
    /// <summary>The configuration key (and, as <c>HaStack__RootCertificate</c>, the environment variable) the AppHost sets.</summary>
    public const string ConfigurationKey = "HaStack:RootCertificate";

    /// <summary>A handler trusting <paramref name="rootCertificatePath"/> (PEM) besides the system's roots.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or holds no certificate.</exception>
    public static SocketsHttpHandler CreateHandler(string? rootCertificatePath, TimeSpan? connectTimeout = null)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (!string.IsNullOrEmpty(rootCertificatePath))
        {
            var root = Load(rootCertificatePath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Validate(root, certificate, errors);
        }

        return handler;
    }

    /// <summary>Reads a PEM root certificate, with an error that names the file.</summary>
    public static X509Certificate2 Load(string path)
    {
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"The stack's root certificate '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Accepts a certificate the system trusts, or one whose chain ends at <paramref name="root"/>; never a wrong name.</summary>
    public static bool Validate(X509Certificate2 root, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
