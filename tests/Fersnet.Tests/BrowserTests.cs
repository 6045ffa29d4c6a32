using System.Diagnostics;
using OpenCvSharp;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Fersnet.Tests;

/// <summary>
/// fersnet serve's page in headless Chromium (Debian's chromium + chromedriver, driven by Selenium): upload a photo, wait
/// for the boxes and the bars, choose a face with the keyboard, wait for its synthesis strip, save a screenshot into the
/// test output (bin/…/screenshots/). Never skipped: without the browser (and no way to install it) the test fails with one line.
/// </summary>
public class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium", ChromeDriver = "/usr/bin/chromedriver";

    /// <summary>Where the screenshots go: the test output, never the repository (a shared photo must not be committed).</summary>
    private static string Screenshots => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    private static void EnsureBrowser()
    {
        if (File.Exists(Chromium) && File.Exists(ChromeDriver)) return;
        var start = new ProcessStartInfo("bash", [Path.Combine(TestPaths.RepoRoot, "scripts", "install-browser.sh")])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (!File.Exists(Chromium) || !File.Exists(ChromeDriver))
            Assert.Fail($"headless Chromium is needed and could not be installed: {output.Trim().Split('\n').LastOrDefault()}");
    }

    private static ChromeDriver StartBrowser(int width, int height)
    {
        EnsureBrowser();
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", $"--window-size={width},{height}",
            "--hide-scrollbars", "--force-device-scale-factor=1");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static bool Script(IWebDriver driver, string script) => ((IJavaScriptExecutor)driver).ExecuteScript(script) is true;

    private static T Wait<T>(IWebDriver driver, Func<IWebDriver, T> condition, string what)
    {
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60)) { Message = $"waiting for {what}" };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    /// <summary>Uploads the photo, checks boxes and bars, re-draws face <paramref name="face"/> from the keyboard; returns the driver on the finished page.</summary>
    private static async Task<string> UploadAndRedraw(ChromeDriver driver, ServerHost host, string photo, int expectedFaces, int face, string screenshot)
    {
        driver.Navigate().GoToUrl(host.BaseAddress);
        driver.FindElement(By.Id("file")).SendKeys(photo);
        var boxes = Wait(driver, d => d.FindElements(By.CssSelector("#boxes .face-box")) is { Count: > 0 } b ? b : null, "the face boxes")!;
        Assert.Equal(expectedFaces, boxes.Count);
        var bars = driver.FindElements(By.CssSelector("#faces .bars"));
        Assert.Equal(expectedFaces, bars.Count);
        int expressions = host.Models.Recognizer.Expressions.Count;
        Assert.All(bars, b => Assert.Equal(expressions, b.FindElements(By.CssSelector(".bar > span")).Count));
        Assert.True(Wait(driver, d => Script(d, "return document.getElementById('photo').complete && document.getElementById('photo').naturalWidth > 0"), "the photo"));

        // Keyboard alone: the face's box is a button; focus it and press Enter.
        var chosen = boxes[face - 1];
        ((IJavaScriptExecutor)driver).ExecuteScript("arguments[0].focus()", chosen);
        Assert.Equal(chosen, driver.SwitchTo().ActiveElement());
        driver.SwitchTo().ActiveElement().SendKeys(Keys.Enter);
        int strip = host.Models.Synthesizer.Labels.Count + 1;
        Wait(driver, d => Script(d,
            $"const imgs = document.querySelectorAll('#strip img'); return imgs.length === {strip} && [...imgs].every(i => i.complete && i.naturalWidth > 0)"),
            "the synthesis strip");
        Assert.Equal("true", chosen.GetAttribute("aria-pressed"));
        Assert.Contains($"Face {face} re-drawn", driver.FindElement(By.Id("synthesis-title")).Text ?? "");
        string path = Path.Combine(Screenshots, screenshot);
        driver.GetScreenshot().SaveAsFile(path);
        await Task.CompletedTask;
        return path;
    }

    [Fact]
    public async Task The_page_shows_boxes_and_bars_and_redraws_a_chosen_face()
    {
        await using var host = await ServerHost.Start();
        using var driver = StartBrowser(1280, 1800);
        string shot = await UploadAndRedraw(driver, host, Path.Combine(TestPaths.Photos, "sample1.jpg"), 3, 2, "serve-sample1.png");
        Assert.True(new FileInfo(shot).Length > 10_000);

        // A phone-sized window: everything still fits across (no sideways scrolling).
        driver.Manage().Window.Size = new System.Drawing.Size(390, 844);
        Assert.True(Wait(driver, d => Script(d,
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "the page to fit a phone's width"));
        driver.GetScreenshot().SaveAsFile(Path.Combine(Screenshots, "serve-sample1-phone.png"));

        // A refused upload shows the problem's one line.
        string junk = Path.Combine(Path.GetTempPath(), $"fersnet-junk-{Guid.NewGuid():N}.jpg");
        await File.WriteAllTextAsync(junk, "not an image");
        try
        {
            driver.FindElement(By.Id("file")).SendKeys(junk);
            Wait(driver, d => (d.FindElement(By.Id("status")).Text ?? "").Contains("Not an image"), "the error line");
        }
        finally
        {
            File.Delete(junk);
        }
    }

    /// <summary>
    /// The same on a drawn portrait (no real face): its screenshot may be committed. With FERSNET_UPDATE_DOCS=1 it is also
    /// written to docs/images/serve.png, the README's picture.
    /// </summary>
    [Fact]
    public async Task The_page_on_a_drawn_portrait()
    {
        await using var host = await ServerHost.Start();
        using var temp = new TempDir();
        string portrait = temp.Combine("portrait.png");
        using (var image = DrawnPortrait.Draw()) Assert.True(Cv2.ImWrite(portrait, image));
        using var driver = StartBrowser(1100, 1480);
        string shot = await UploadAndRedraw(driver, host, portrait, 3, 1, "serve-drawn.png");
        if (Environment.GetEnvironmentVariable("FERSNET_UPDATE_DOCS") == "1")
        {
            string docs = Path.Combine(TestPaths.RepoRoot, "docs", "images", "serve.png");
            Directory.CreateDirectory(Path.GetDirectoryName(docs)!);
            File.Copy(shot, docs, overwrite: true);
        }
    }
}
