using System.Globalization;
using System.Text.Json;
using Fersnet.Lab.Reporting;
using Fersnet.Serialization;
using Fersnet.Synthesis;

namespace Fersnet.Lab.Synthesis;

/// <summary>
/// What <c>fersnet evaluate-synthesis</c> measured, with where it came from: the JSON document (docs/results/synthesis.json)
/// and its generated notebook section.
/// </summary>
/// <param name="Name">the notebook section's name</param>
/// <param name="Command">the command as typed</param>
/// <param name="Generator">the synthesis checkpoint measured</param>
/// <param name="Classifier">the independent classifier that judged the expressions</param>
/// <param name="Data">the dataset</param>
/// <param name="Holdout">share of the subjects held out as test subjects</param>
/// <param name="SplitSeed">seed of that subject-grouped hold-out</param>
/// <param name="Grids">grid images of held-out faces (paths relative to the notebook's folder where possible)</param>
/// <param name="FaceJudge">independent face models' verdict (<see cref="FaceApiJudge"/>), when asked for</param>
public sealed record SynthesisReport(string Name, string Command, string Generator, string Classifier, string Data,
    double Holdout, int SplitSeed, SynthesisMetrics Metrics, IReadOnlyList<(string Caption, string Path)> Grids, Provenance Provenance,
    FaceJudgement? FaceJudge = null)
{
    public bool ScoreGoalMet => Metrics.ScoreGoalMet;
    public bool TruthGoalMet => Metrics.TruthGoalMet;

    public void WriteJson(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var document = new
        {
            Name, Command, Generator, Classifier, Data, Holdout, SplitSeed, Metrics, FaceJudge,
            Goals = new
            {
                ExpressionScore = ScoreGoalMet, CloserThanBaselines = TruthGoalMet,
                FaceJudgePersonRecognised = FaceJudge?.PersonGoalMet, FaceJudgeExpressionSeen = FaceJudge?.ExpressionGoalMet,
            },
            Grids = Grids.Select(g => new { g.Caption, g.Path }),
            Provenance,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, new JsonSerializerOptions(FersnetJson.Options) { WriteIndented = true }) + "\n");
    }

    /// <summary>Per target: re-drawn faces, the share the classifier labels as the target, its recall on real faces.</summary>
    public static TextTable ScoreTable(SynthesisMetrics m) => new(
        ["target", "re-drawn faces", "expression score", "classifier on real faces (n)"],
        m.Scores.Select(s => (IReadOnlyList<string>)
            [s.Target, s.Drawn.ToString(Inv), Pct(s.Score), $"{(s.RealAccuracy is { } r ? Pct(r) : "–")} ({s.RealCount.ToString(Inv)})"]).ToArray());

    /// <summary>Per target: L1 and SSIM of the re-drawn face, the unchanged input and the class's mean face to the real target face.</summary>
    public static TextTable TruthTable(SynthesisMetrics m) => new(
        ["target", "pairs", "L1 re-drawn", "L1 input", "L1 mean face", "SSIM re-drawn", "SSIM input", "SSIM mean face", "closer than both"],
        m.Truth.Select(t => (IReadOnlyList<string>)
            [t.Target, t.Pairs.ToString(Inv), F(t.RedrawnL1), F(t.InputL1), F(t.MeanFaceL1), F(t.RedrawnSsim), F(t.InputSsim), F(t.MeanFaceSsim), t.BeatsBaselines ? "yes" : "no"]).ToArray());

    /// <summary>Per target: what the independent face models saw, each beside the real faces or the unchanged input.</summary>
    public static TextTable FaceJudgeTable(FaceJudgement judge) => new(
        ["target", "seen: re-drawn (n)", "seen: real (n)", "same person: re-drawn (pairs)", "same person: input", "false matches: re-drawn", "false matches: input", "identified: re-drawn", "identified: input"],
        judge.Scores.Select(s => (IReadOnlyList<string>)
            [s.Target, $"{Pct(s.ExpressionSeen)} ({s.Drawn.ToString(Inv)})", $"{Pct(s.RealExpressionSeen)} ({s.Real.ToString(Inv)})",
             $"{Pct(s.PersonRecognised)} ({s.IdentityPairs.ToString(Inv)})", Pct(s.InputRecognised), Pct(s.OthersMatched), Pct(s.InputOthersMatched),
             Pct(s.Identified), Pct(s.InputIdentified)]).ToArray());

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static string Pct(double? v) => v is { } x && !double.IsNaN(x) ? (x * 100).ToString("F1", Inv) + "%" : "–";
    private static string F(double v) => Markdown.Number(v, 3);

    public string NotebookSection()
    {
        var m = Metrics;
        var section = Notebook.Section($"Expression synthesis: {Name}", Command, Provenance);
        section.AppendLine($"- Generator `{Generator}`, judged by the independently trained classifier `{Classifier}` (not the generator's own recognition branch)");
        section.AppendLine(string.Create(Inv, $"- Test: {m.TestFaces} faces of {m.TestSubjects} subjects held out of `{Data}` ({Holdout * 100:F0} % of the subjects, subject-grouped, seed {SplitSeed}); neither model trained on them. Each face re-drawn with every other expression."));
        section.AppendLine();
        section.AppendLine("Expression score: the share of re-drawn faces the classifier labels as the target (goal: ≥ 85 % overall, ≥ 70 % per target), beside its recall on the real test faces of that expression:");
        section.AppendLine();
        section.Append(ScoreTable(m).ToMarkdown());
        section.AppendLine();
        section.AppendLine("Against the truth: a face of subject S re-drawn with t against S's real faces with t (pixels on a 0-1 scale; lower L1 and higher SSIM are closer), beside the unchanged input and the mean face of t over the training subjects (goal: closer than both, for every target):");
        section.AppendLine();
        section.Append(TruthTable(m).ToMarkdown());
        section.AppendLine();
        section.AppendLine(string.Create(Inv, $"Fréchet distance in the classifier's penultimate features ({m.FeatureDimension} dimensions) between the real test faces and the re-drawn ones: {m.FrechetRedrawn:F2}; between the real test faces and the real training faces, for scale: {m.FrechetRealTrain:F2}."));
        section.AppendLine();
        section.AppendLine($"Goals: expression score {(ScoreGoalMet ? "**met**" : "**not met**")}; closer to the real target face than both baselines for every target {(TruthGoalMet ? "**met**" : "**not met**")}.");
        if (FaceJudge is { } judge) AppendFaceJudge(section, judge);
        foreach (var (caption, path) in Grids)
        {
            section.AppendLine();
            section.AppendLine($"{caption}:");
            section.AppendLine();
            section.AppendLine(Markdown.Image("synthesis", path));
        }
        return section.ToString();
    }

    private static void AppendFaceJudge(System.Text.StringBuilder section, FaceJudgement judge)
    {
        section.AppendLine();
        section.AppendLine(string.Create(Inv, $"Judged by independent face models, {judge.Judge} (not trained here, nor on CK+; real and re-drawn faces alike as 48x48 crops). Expression: the net's most probable expression is the target (it knows no contempt). Person: the re-drawn face of S against S's real faces with the target, called the same person (descriptor distance < {judge.SamePersonDistance:0.0#}); other people's real faces with the target called the same person (false matches: what a match means at this size); and S's face the nearest among every test subject's real faces with the target (identified). Each beside the unchanged input (aims: person recognised ≥ 60 %, target seen ≥ 70 %):"));
        section.AppendLine();
        section.Append(FaceJudgeTable(judge).ToMarkdown());
        section.AppendLine();
        section.AppendLine($"Aims: person recognised {(judge.PersonGoalMet ? "**met**" : "**not met**")}; target seen {(judge.ExpressionGoalMet ? "**met**" : "**not met**")}.");
    }
}
