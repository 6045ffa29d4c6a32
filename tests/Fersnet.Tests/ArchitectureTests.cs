using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Fersnet.Tests;

/// <summary>The shape of the house: the library stands alone, and its folders depend one way.</summary>
public class ArchitectureTests
{
    private static string Library => Path.Combine(TestPaths.RepoRoot, "src", "Fersnet");

    /// <summary>
    /// Folder (namespace under Fersnet.) → the Fersnet namespaces its files use: by a using directive, or by a name
    /// qualified with a sibling folder (<c>Synthesis.ExpressionSynthesizer</c> in code or in a doc comment's cref).
    /// </summary>
    private static Dictionary<string, HashSet<string>> FolderDependencies(string project, string prefix)
    {
        var graph = new Dictionary<string, HashSet<string>>();
        var folders = Directory.GetDirectories(project).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).ToArray();
        var usingLine = new Regex(@"^using (?:static )?(Fersnet(?:\.\w+)+)", RegexOptions.Multiline);
        var qualified = new Regex($@"(?<![\w.])({string.Join('|', folders)})\.[A-Z]\w*");
        foreach (var folder in folders)
        {
            string name = prefix + folder;
            var uses = graph[name] = [];
            foreach (var file in Directory.EnumerateFiles(Path.Combine(project, folder!), "*.cs", SearchOption.AllDirectories))
            {
                string text = File.ReadAllText(file);
                uses.UnionWith(usingLine.Matches(text).Select(m => m.Groups[1].Value));
                uses.UnionWith(qualified.Matches(text).Select(m => prefix + m.Groups[1].Value));
            }
            uses.Remove(name);
        }
        return graph;
    }

    private static IReadOnlyList<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>();   // 1: on the path, 2: done
        var path = new List<string>();
        IReadOnlyList<string>? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 1) return [.. path.SkipWhile(n => n != node), node];
            if (state.GetValueOrDefault(node) == 2 || !graph.ContainsKey(node)) return null;
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph[node].Order())
                if (Visit(next) is { } cycle) return cycle;
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        return graph.Keys.Order().Select(Visit).FirstOrDefault(c => c is not null);
    }

    [Fact]
    public void Library_folders_depend_on_each_other_without_a_cycle()
    {
        var graph = FolderDependencies(Library, "Fersnet.");
        Assert.Contains("Fersnet.Training", graph.Keys);
        Assert.Contains("Fersnet.Models", graph["Fersnet.Training"]);                     // the scan sees real edges
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, "folders in a cycle: " + string.Join(" → ", cycle ?? []));
    }

    [Fact]
    public void Lab_folders_depend_on_each_other_without_a_cycle()
    {
        var graph = FolderDependencies(Path.Combine(TestPaths.RepoRoot, "src", "Fersnet.Lab"), "Fersnet.Lab.");
        Assert.Contains("Fersnet.Lab.Reporting", graph["Fersnet.Lab.Experiments"]);
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, "folders in a cycle: " + string.Join(" → ", cycle ?? []));
    }

    [Fact]
    public void A_name_qualified_with_a_sibling_folder_is_a_dependency()
    {
        string project = Directory.CreateTempSubdirectory("fersnet-arch-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(project, "Inference"));
            Directory.CreateDirectory(Path.Combine(project, "Synthesis"));
            Directory.CreateDirectory(Path.Combine(project, "Data"));
            File.WriteAllText(Path.Combine(project, "Inference", "A.cs"), "namespace Fersnet.Inference;\nclass A { object M() => Synthesis.B.Draw(this.Data.Count); }\n");
            File.WriteAllText(Path.Combine(project, "Synthesis", "B.cs"), "using Fersnet.Inference;\nnamespace Fersnet.Synthesis;\nclass B { }\n");
            var graph = FolderDependencies(project, "Fersnet.");
            Assert.Equal(["Fersnet.Synthesis"], graph["Fersnet.Inference"]);       // qualified name; `this.Data` is a member, not a folder
            Assert.Equal(["Fersnet.Inference"], graph["Fersnet.Synthesis"]);       // using directive
            Assert.NotNull(FindCycle(graph));
        }
        finally { Directory.Delete(project, recursive: true); }
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle()
    {
        var graph = new Dictionary<string, HashSet<string>> { ["a"] = ["b"], ["b"] = ["c"], ["c"] = ["a"], ["d"] = ["a"] };
        Assert.Equal(["a", "b", "c", "a"], FindCycle(graph));
        Assert.Null(FindCycle(new Dictionary<string, HashSet<string>> { ["a"] = ["b"], ["b"] = [] }));
    }

    [Fact]
    public void The_library_references_neither_the_lab_nor_ScottPlot()
    {
        var project = XDocument.Load(Path.Combine(Library, "Fersnet.csproj"));
        var references = project.Descendants().Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference")
            .Select(e => (string?)e.Attribute("Include") ?? "").ToArray();
        Assert.Contains(references, r => r.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.Contains("ScottPlot", StringComparison.OrdinalIgnoreCase) || r.Contains("Fersnet.Lab", StringComparison.Ordinal));
        var labUses = Directory.EnumerateFiles(Library, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Where(f => File.ReadAllText(f).Contains("Fersnet.Lab", StringComparison.Ordinal) || File.ReadAllText(f).Contains("ScottPlot", StringComparison.Ordinal))
            .ToArray();
        Assert.Empty(labUses);
    }

    private static string[] References(string project) =>
        XDocument.Load(project).Descendants().Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference" or "FrameworkReference")
            .Select(e => (string?)e.Attribute("Include") ?? "").ToArray();

    private static IEnumerable<string> Sources(string folder) =>
        Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    [Fact]
    public void The_server_depends_on_the_library_and_nothing_depends_on_the_server_but_the_command()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "src");
        var server = References(Path.Combine(src, "Fersnet.Server", "Fersnet.Server.csproj"));
        Assert.Contains(server, r => r.EndsWith("Fersnet.csproj", StringComparison.Ordinal));
        Assert.Contains("Microsoft.AspNetCore.App", server);
        Assert.DoesNotContain(server, r => r.Contains("Fersnet.Lab", StringComparison.Ordinal) || r.Contains("Fersnet.Cli", StringComparison.Ordinal));
        // Neither the library nor the lab knows the server or ASP.NET Core; the command line only hosts it.
        foreach (var project in new[] { "Fersnet", "Fersnet.Lab" })
        {
            Assert.DoesNotContain(References(Path.Combine(src, project, project + ".csproj")),
                r => r.Contains("Fersnet.Server", StringComparison.Ordinal) || r.Contains("AspNetCore", StringComparison.Ordinal));
            Assert.DoesNotContain(Sources(Path.Combine(src, project)), f =>
                File.ReadAllText(f) is var text && (text.Contains("Fersnet.Server", StringComparison.Ordinal) || text.Contains("Microsoft.AspNetCore", StringComparison.Ordinal)));
        }
        Assert.Contains(References(Path.Combine(src, "Fersnet.Cli", "Fersnet.Cli.csproj")), r => r.Contains("Fersnet.Server", StringComparison.Ordinal));
    }
}
