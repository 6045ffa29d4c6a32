using System.Text.Json;

namespace Fersnet.Tests;

/// <summary>
/// The short version of the load test CI runs: <c>fersnet bench-serve</c> starts <c>fersnet serve</c> in a second process on
/// loopback and loads it from this one for a few seconds with photos and junk: no 5xx, no request lost, memory bounded.
/// The 30 s run is the command's output in docs/RESULTS.md and docs/results/serve-load.json.
/// </summary>
public class ServeLoadTests
{
    [Fact]
    public void A_short_load_from_a_second_process_gets_no_5xx_and_loses_nothing()
    {
        using var dir = new TempDir();
        string json = dir.Combine("serve-load.json"), notebook = dir.Combine("RESULTS.md");
        var run = CliRunner.Run("bench-serve", "--clients", "6", "--seconds", "4", "--photos", TestPaths.Photos, "--json", json, "--notebook", notebook);
        Assert.True(run.ExitCode == 0, run.Output);
        var result = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("result");
        Assert.True(result.GetProperty("sent").GetInt64() >= 6, run.Output);
        Assert.Equal(result.GetProperty("sent").GetInt64(), result.GetProperty("answered").GetInt64());
        Assert.Equal(0, result.GetProperty("lost").GetInt64());
        Assert.Equal(0, result.GetProperty("serverErrors").GetInt64());
        Assert.Equal(0, result.GetProperty("unexpected").GetInt64());
        double peak = result.GetProperty("serverRssMiB").GetProperty("peak").GetDouble();
        Assert.InRange(peak, 50, 2048);
        string section = File.ReadAllText(notebook);
        Assert.Contains("<!-- BEGIN generated: serve-load -->", section);
        Assert.Contains("requests/s", section);
    }
}
