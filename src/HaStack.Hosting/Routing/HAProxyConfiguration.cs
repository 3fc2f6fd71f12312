using System.Text;

namespace HaStack.Hosting;

/// <summary>
/// HAProxy's backends, rendered once from the model when the container starts: the read-write backend sends to the
/// node whose Patroni answers <c>GET /primary</c>, the read-only one round-robin to those answering <c>GET /replica</c>.
/// With TLS the checks ask Patroni over HTTPS and verify its certificate (the stack's CA, the node's name);
/// PostgreSQL traffic itself passes through untouched.
/// </summary>
internal static class HAProxyConfiguration
{
    /// <summary>Where the container finds the rendered file.</summary>
    public const string Directory = "/etc/hastack/haproxy";

    public static string Backends(IEnumerable<string> nodes, bool tls)
    {
        var text = new StringBuilder("# Rendered by the AppHost from the model (HaStack.Hosting HAProxyConfiguration).\n");
        foreach (var (backend, check) in new[] { ("primary", "/primary"), ("replicas", "/replica") })
        {
            text.Append('\n').Append("backend ").Append(backend).Append('\n')
                .Append("    option httpchk\n")
                .Append("    http-check send meth GET uri ").Append(check).Append('\n')
                .Append("    http-check expect status 200\n");
            if (backend == "replicas")
            {
                text.Append("    balance roundrobin\n");
            }

            foreach (var node in nodes)
            {
                text.Append("    server ").Append(node).Append(' ').Append(node).Append(":5432 check port 8008");
                if (tls)
                {
                    text.Append(" check-ssl verify required ca-file ").Append(StackTls.ContainerDirectory).Append("/ca.crt verifyhost ").Append(node).Append(" check-sni ").Append(node);
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }
}
