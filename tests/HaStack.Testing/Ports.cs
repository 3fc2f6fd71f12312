using System.Net;
using System.Net.Sockets;

namespace HaStack.Testing;

/// <summary>Ports of this machine for tests.</summary>
public static class Ports
{
    /// <summary>A loopback port that nothing listens on: one the system just handed out and took back.</summary>
    public static int Unused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
