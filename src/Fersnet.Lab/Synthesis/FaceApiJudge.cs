using System.Diagnostics;
using System.Text.Json;
using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Synthesis;
using OpenCvSharp;

namespace Fersnet.Lab.Synthesis;

/// <summary>What face-api.js's nets say of one target expression (or of all).</summary>
/// <param name="Target">expression name, or "all"</param>
/// <param name="Drawn">re-drawn faces with this target whose expression was judged (targets the expression net knows)</param>
/// <param name="ExpressionSeen">share of them whose most probable expression is the target</param>
/// <param name="Real">real test faces of this expression</param>
/// <param name="RealExpressionSeen">the same share on them: what the net sees in real faces</param>
/// <param name="IdentityPairs">re-drawn faces of subject S with t where S has a real face with t</param>
/// <param name="PersonRecognised">share of (re-drawn face, S's real face with t) pairs the recognition net calls the same person</param>
/// <param name="InputRecognised">the same share for the unchanged input against those real faces: a real photo of S with
/// another expression against S's real face with t</param>
/// <param name="OthersMatched">share of (re-drawn face, another test subject's real face with t) pairs called the same
/// person: the false matches, which say how much "recognised" means at this size</param>
/// <param name="InputOthersMatched">the same share for the unchanged input</param>
/// <param name="Identified">share of re-drawn faces whose nearest real face with t, among every test subject's, is S's</param>
/// <param name="InputIdentified">the same share for the unchanged input</param>
public sealed record FaceJudgeScore(string Target, int Drawn, double? ExpressionSeen, int Real, double? RealExpressionSeen,
    int IdentityPairs, double? PersonRecognised, double? InputRecognised,
    double? OthersMatched, double? InputOthersMatched, double? Identified, double? InputIdentified);

/// <summary>face-api.js's verdict on re-drawn held-out faces (<see cref="FaceApiJudge"/>).</summary>
/// <param name="Judge">the nets and their package</param>
/// <param name="SamePersonDistance">descriptor distance below which two faces are called the same person</param>
/// <param name="Scores">per target, then "all" last</param>
public sealed record FaceJudgement(string Judge, double SamePersonDistance, IReadOnlyList<FaceJudgeScore> Scores)
{
    /// <summary>The aims for independent face models: the person recognised in ≥ 60 %, the target seen in ≥ 70 %.</summary>
    public bool PersonGoalMet => Scores[^1].PersonRecognised >= 0.60;

    public bool ExpressionGoalMet => Scores[^1].ExpressionSeen >= 0.70;
}

/// <summary>One image as the judge saw it: its face descriptor and its expression probabilities.</summary>
public sealed record JudgedFace(float[] Descriptor, IReadOnlyDictionary<string, double> Expressions)
{
    public string MostProbable => Expressions.MaxBy(e => e.Value).Key;

    public double DistanceTo(JudgedFace other) =>
        Math.Sqrt(Descriptor.Zip(other.Descriptor, (a, b) => (double)(a - b) * (a - b)).Sum());
}

/// <summary>
/// Independent face models judge re-drawn faces: face-api.js's face recognition net (128-d descriptors; two faces closer
/// than 0.6 are one person, the library's own threshold) and its expression net (seven expressions, no contempt), run by
/// Node.js from <c>tools/face-judge</c> (TensorFlow.js, WebAssembly backend). Neither was trained by this project nor on
/// CK+. Real and re-drawn faces go through the same steps: written as 48x48 PNGs, given to the nets as whole crops.
/// </summary>
public static class FaceApiJudge
{
    public const string Judge = "face-api.js nets (@vladmandic/face-api 1.7.15): face recognition (128-d descriptor) and expression";

    /// <summary>face-api.js's threshold for the same person (its FaceMatcher's default).</summary>
    public const double SamePersonDistance = 0.6;

    /// <summary>Our expressions under the expression net's names; contempt has none.</summary>
    public static readonly IReadOnlyDictionary<Expression, string> NetNames = new Dictionary<Expression, string>
    {
        [Expression.Neutral] = "neutral", [Expression.Anger] = "angry", [Expression.Disgust] = "disgusted", [Expression.Fear] = "fearful",
        [Expression.Happiness] = "happy", [Expression.Sadness] = "sad", [Expression.Surprise] = "surprised",
    };

    /// <summary>Writes the real test faces and the re-drawn ones into a temporary folder (deleted afterwards: dataset faces
    /// are never left in the output), has the nets judge them and scores.</summary>
    /// <param name="judgeDirectory">tools/face-judge (its <c>install.sh</c> runs first: Node.js and the pinned packages, when missing)</param>
    /// <exception cref="InvalidOperationException">Node.js or the judge cannot run; the message says why in one line.</exception>
    public static FaceJudgement Run(string judgeDirectory, FaceTensorSet faces, IReadOnlyList<int> test, RedrawnFaces redrawn)
    {
        string work = Directory.CreateTempSubdirectory("fersnet-face-judge-").FullName;
        try
        {
            return Run(judgeDirectory, work, faces, test, redrawn);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static FaceJudgement Run(string judgeDirectory, string work, FaceTensorSet faces, IReadOnlyList<int> test, RedrawnFaces redrawn)
    {
        var realFiles = test.Select(i => Path.GetFullPath(Path.Combine(work, $"real-{i}.png"))).ToArray();
        var drawnFiles = Enumerable.Range(0, redrawn.Pairs.Count).Select(p => Path.GetFullPath(Path.Combine(work, $"drawn-{p}.png"))).ToArray();
        for (int k = 0; k < test.Count; k++) WriteFace(faces.Images, test[k], realFiles[k]);
        for (int p = 0; p < drawnFiles.Length; p++) WriteFace(redrawn.Drawn, p, drawnFiles[p]);
        var judged = JudgeFiles(judgeDirectory, work, [.. realFiles, .. drawnFiles]);
        var real = test.Select((face, k) => (face, judged[realFiles[k]])).ToDictionary(x => x.face, x => x.Item2);
        return Score(faces.LabelSet, faces.Labels.data<long>().Select(l => (int)l).ToArray(), faces.Samples.Select(Splits.GroupOf).ToArray(),
            test, redrawn.Pairs, real, drawnFiles.Select(f => judged[f]).ToArray());
    }

    /// <summary>The scores, from what the nets said of each real test face and each re-drawn face.</summary>
    /// <param name="labels">the faces' label set</param>
    /// <param name="faceLabels">class of every face of the dataset</param>
    /// <param name="subjects">subject of every face of the dataset</param>
    /// <param name="test">the real test faces (indices into the dataset)</param>
    /// <param name="pairs">per re-drawn face: its real face and target class</param>
    /// <param name="real">the judged real test faces, by dataset index</param>
    /// <param name="drawn">the judged re-drawn faces, in the order of <paramref name="pairs"/></param>
    public static FaceJudgement Score(LabelSet labels, IReadOnlyList<int> faceLabels, IReadOnlyList<string> subjects, IReadOnlyList<int> test,
        IReadOnlyList<(int Face, int Target)> pairs, IReadOnlyDictionary<int, JudgedFace> real, IReadOnlyList<JudgedFace> drawn)
    {
        // Per re-drawn face: expression seen (null: a target the net does not know), and, where the subject has real faces
        // with the target, how the re-drawn face and its input each fare against the real faces with the target.
        var rows = pairs.Select((pair, p) =>
        {
            string? name = NetNames.GetValueOrDefault(labels.Classes[pair.Target]);
            bool? seen = name is null ? null : drawn[p].MostProbable == name;
            var withTarget = test.Where(j => faceLabels[j] == pair.Target).ToArray();
            if (!withTarget.Any(j => subjects[j] == subjects[pair.Face])) return new Row(pair.Target, seen, null, null);
            Identity Of(JudgedFace face)
            {
                var faces = withTarget.Select(j => (Own: subjects[j] == subjects[pair.Face], Distance: face.DistanceTo(real[j]))).ToArray();
                var others = faces.Where(f => !f.Own).ToArray();
                static double Matched(IEnumerable<(bool Own, double Distance)> set) => set.Average(f => f.Distance < SamePersonDistance ? 1.0 : 0.0);
                return new(Matched(faces.Where(f => f.Own)), others.Length == 0 ? null : Matched(others), faces.MinBy(f => f.Distance).Own ? 1.0 : 0.0);
            }
            return new Row(pair.Target, seen, Of(drawn[p]), Of(real[pair.Face]));
        }).ToArray();
        var realRows = test.Select(j => (Target: faceLabels[j], Seen: NetNames.TryGetValue(labels.Classes[faceLabels[j]], out var n) ? real[j].MostProbable == n : (bool?)null)).ToArray();

        FaceJudgeScore Summary(string target, Func<int, bool> include)
        {
            var mine = rows.Where(r => include(r.Target)).ToArray();
            var judged = mine.Where(r => r.Seen is not null).ToArray();
            var realJudged = realRows.Where(r => include(r.Target) && r.Seen is not null).ToArray();
            var identity = mine.Where(r => r.Drawn is not null).Select(r => (Drawn: r.Drawn!.Value, Input: r.Input!.Value)).ToArray();
            double? Mean(Func<(Identity Drawn, Identity Input), double?> value)
            {
                var values = identity.Select(value).Where(v => v is not null).ToArray();
                return values.Length == 0 ? null : values.Average(v => v!.Value);
            }
            return new FaceJudgeScore(target,
                judged.Length, judged.Length == 0 ? null : judged.Average(r => r.Seen!.Value ? 1.0 : 0.0),
                realJudged.Length, realJudged.Length == 0 ? null : realJudged.Average(r => r.Seen!.Value ? 1.0 : 0.0),
                identity.Length, Mean(i => i.Drawn.Same), Mean(i => i.Input.Same),
                Mean(i => i.Drawn.Others), Mean(i => i.Input.Others), Mean(i => i.Drawn.Nearest), Mean(i => i.Input.Nearest));
        }
        var scores = Enumerable.Range(0, labels.Count).Where(t => rows.Any(r => r.Target == t))
            .Select(t => Summary(labels.Classes[t].Name(), c => c == t)).ToList();
        scores.Add(Summary("all", _ => true));
        return new FaceJudgement(Judge, SamePersonDistance, scores);
    }

    /// <summary>One face against the real faces with its target: the share of its subject's called the same person, of
    /// other subjects' (null: none), and whether the nearest is its subject's (1 or 0).</summary>
    private readonly record struct Identity(double Same, double? Others, double Nearest);

    /// <summary>One re-drawn face: its target, whether the expression net saw it (null: a target it does not know), and
    /// its identity and its input's (null: its subject has no real face with the target).</summary>
    private readonly record struct Row(int Target, bool? Seen, Identity? Drawn, Identity? Input);

    /// <param name="images">(N,1,H,W) in [-1,1]</param>
    private static void WriteFace(TorchSharp.torch.Tensor images, int index, string path)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var face = images[index].contiguous().cpu();                                                     // (1,H,W)
        using var image = FaceImage.FromUnitRange(face.data<float>().ToArray(), (int)face.shape[^1]);
        Cv2.ImWrite(path, image);
    }

    private static Dictionary<string, JudgedFace> JudgeFiles(string judgeDirectory, string work, IReadOnlyList<string> files)
    {
        string script = Path.GetFullPath(Path.Combine(judgeDirectory, "judge.js"));
        if (!File.Exists(script)) throw new InvalidOperationException($"{script} not found: give --face-judge the tools/face-judge folder");
        RunProcess("bash", [Path.GetFullPath(Path.Combine(judgeDirectory, "install.sh"))], "installing the face judge");
        string list = Path.Combine(work, "faces.json"), output = Path.Combine(work, "judged.jsonl");
        File.WriteAllText(list, JsonSerializer.Serialize(files));
        RunProcess("node", [script, list, output], "the face judge");
        var judged = new Dictionary<string, JudgedFace>();
        foreach (string line in File.ReadLines(output))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            string image = root.GetProperty("image").GetString()!;
            if (root.TryGetProperty("error", out var error)) throw new InvalidOperationException($"the face judge could not read {image}: {error.GetString()}");
            judged[image] = new JudgedFace(root.GetProperty("descriptor").EnumerateArray().Select(v => v.GetSingle()).ToArray(),
                root.GetProperty("expressions").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetDouble()));
        }
        var missing = files.FirstOrDefault(f => !judged.ContainsKey(f));
        if (missing is not null) throw new InvalidOperationException($"the face judge said nothing of {missing}");
        return judged;
    }

    private static void RunProcess(string program, IReadOnlyList<string> arguments, string what)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{what}: {program} did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"{what}: {program} not found");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string said = (stderr + "\n" + stdout.Result).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? "";
                throw new InvalidOperationException($"{what} failed (exit {process.ExitCode}): {said}");
            }
        }
    }
}
