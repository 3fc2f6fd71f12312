using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace HaStack.Tests.Integration;

/// <summary>
/// Debian's Chromium driven by Playwright, logged in to a running stack's Aspire dashboard. No browser is downloaded:
/// <c>scripts/prepare.sh</c> installs <c>/usr/bin/chromium</c> for the tests.
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Opens one of the dashboard's pages by its path, e.g. <c>/structuredlogs/resource/healthprobe</c>.</summary>
    public async Task GoToAsync(string path)
    {
        var current = new Uri(Page.Url);
        await Page.GotoAsync(new Uri(current, path).ToString());
    }

    /// <summary>Opens the dashboard's login URL (with its token) and waits until the resource grid shows <paramref name="resource"/>.</summary>
    public static async Task<DashboardBrowser> OpenAsync(DistributedApplication app, string resource, CancellationToken ct)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run scripts/prepare.sh with HASTACK_PREPARE_BROWSER=1 (scripts/test.sh does).");
        }

        var loginUrl = await app.GetDashboardUrlAsync(ct) ?? throw new InvalidOperationException("the dashboard has no URL");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root in a container, without the sandbox; no background traffic to hosts this machine cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
        await page.GotoAsync(loginUrl.ToString());
        await page.GetByText(resource, new() { Exact = true }).First.WaitForAsync(new() { Timeout = 60_000 });
        return new DashboardBrowser(playwright, browser, page);
    }

    /// <summary>Clicks a resource's name in the grid, which opens its details pane.</summary>
    public async Task OpenDetailsAsync(string resource)
    {
        await Page.GetByText(resource, new() { Exact = true }).First.ClickAsync();
        await Page.GetByText($": {resource}").First.WaitForAsync(new() { Timeout = 30_000 });
    }

    /// <summary>A screenshot next to the test results, for a failed check.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, $"{name}-{DateTime.UtcNow:HHmmss}.png");
        await Page.ScreenshotAsync(new() { Path = path });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
