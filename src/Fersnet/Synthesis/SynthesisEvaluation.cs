using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Synthesis;

/// <summary>How often the independent classifier sees the target expression in re-drawn faces, for one target (or all).</summary>
/// <param name="Target">expression name, or "all"</param>
/// <param name="Drawn">re-drawn faces scored (faces of another expression re-drawn with the target)</param>
/// <param name="Score">share the classifier labels as the target</param>
/// <param name="RealAccuracy">the classifier's recall on real test faces of that expression (all: its accuracy)</param>
/// <param name="RealCount">real test faces of that expression</param>
public sealed record ExpressionScore(string Target, int Drawn, double Score, double? RealAccuracy, int RealCount);

/// <summary>
/// Distance of a face of subject S re-drawn with expression t to S's real faces with t, beside the two baselines: the
/// unchanged input and the mean face of class t over the training subjects. Pixel values on the [0,1] scale.
/// </summary>
/// <param name="Target">expression name, or "all"</param>
/// <param name="Pairs">(re-drawn face, real face of the same subject with the target) pairs</param>
public sealed record TruthDistance(string Target, int Pairs,
    double RedrawnL1, double InputL1, double MeanFaceL1,
    double RedrawnSsim, double InputSsim, double MeanFaceSsim)
{
    /// <summary>Closer to the real target face than both baselines by both measures (lower L1, higher SSIM).</summary>
    public bool BeatsBaselines => RedrawnL1 < InputL1 && RedrawnL1 < MeanFaceL1 && RedrawnSsim > InputSsim && RedrawnSsim > MeanFaceSsim;
}

/// <summary>Test faces re-drawn with other expressions (<see cref="SynthesisEvaluation.Redraw"/>).</summary>
/// <param name="Pairs">per re-drawn face: the index of its real face in the dataset and the target class</param>
/// <param name="Drawn">(P,1,H,W) the re-drawn faces in [-1,1], in the order of <paramref name="Pairs"/></param>
public sealed record RedrawnFaces(IReadOnlyList<(int Face, int Target)> Pairs, Tensor Drawn) : IDisposable
{
    public void Dispose() => Drawn.Dispose();
}

/// <summary>Everything <see cref="SynthesisEvaluation.Run(MultiTaskModel, MultiTaskModel, LabelSet, FaceTensorSet, IReadOnlyList{int}, IReadOnlyList{int}, int)"/> measures.</summary>
/// <param name="TestSubjects">subjects whose faces were re-drawn (the generator never trained on them)</param>
/// <param name="TestFaces">their real faces</param>
/// <param name="Scores">per target, then "all" last</param>
/// <param name="Truth">per target that has pairs, then "all" last</param>
/// <param name="FrechetRedrawn">Fréchet distance between real test faces and re-drawn ones in the classifier's penultimate features</param>
/// <param name="FrechetRealTrain">the same distance between real test faces and real training faces: what two real sets differ by</param>
/// <param name="FeatureDimension">size of that feature space</param>
public sealed record SynthesisMetrics(
    int TestSubjects, int TestFaces,
    IReadOnlyList<ExpressionScore> Scores,
    IReadOnlyList<TruthDistance> Truth,
    double FrechetRedrawn, double FrechetRealTrain, int FeatureDimension)
{
    /// <summary>The goals: ≥ 85% overall, ≥ 70% per target, closer than both baselines for every target.</summary>
    public bool ScoreGoalMet => Scores[^1].Score >= 0.85 && Scores.SkipLast(1).All(s => s.Score >= 0.70);

    public bool TruthGoalMet => Truth.SkipLast(1).All(t => t.BeatsBaselines);
}

/// <summary>
/// Measures a synthesis model on held-out subjects: each test face is re-drawn with every other expression; an
/// independently trained classifier says which expression it sees; where the subject has a real face with the target,
/// the re-drawn face is compared with it (L1, SSIM) beside the unchanged input and the class's mean face; and the
/// re-drawn faces' distribution is compared with real faces' (Fréchet distance in the classifier's features).
/// Runs under no_grad() and eval().
/// </summary>
public static class SynthesisEvaluation
{
    /// <param name="generator">a model with a synthesis branch; its classes are the faces' label set</param>
    /// <param name="classifier">the independent judge; its expressions are matched to the generator's by name, and
    /// targets it does not know are not scored</param>
    /// <param name="faces">the dataset, labelled in the generator's label set</param>
    /// <param name="test">indices of the held-out subjects' faces</param>
    /// <param name="train">indices of the training subjects' faces (mean faces, the real-vs-real Fréchet reference)</param>
    public static SynthesisMetrics Run(MultiTaskModel generator, MultiTaskModel classifier, LabelSet classifierLabels,
        FaceTensorSet faces, IReadOnlyList<int> test, IReadOnlyList<int> train, int batchSize = 128)
    {
        using var redrawn = Redraw(generator, faces, test, batchSize);
        return Run(redrawn, classifier, classifierLabels, faces, test, train, batchSize);
    }

    /// <summary>Every test face re-drawn with every expression but its own (under no_grad() and eval()).</summary>
    /// <param name="generator">a model with a synthesis branch; its classes are the faces' label set</param>
    public static RedrawnFaces Redraw(MultiTaskModel generator, FaceTensorSet faces, IReadOnlyList<int> test, int batchSize = 128)
    {
        if (generator.Config.Classes != faces.LabelSet.Count) throw new ArgumentException("the faces are not labelled in the generator's label set");
        using var scope = NewDisposeScope();
        var faceLabels = faces.Labels.data<long>().ToArray();
        var pairs = test.SelectMany(i => Enumerable.Range(0, faces.LabelSet.Count).Where(t => t != faceLabels[i]).Select(t => (Face: i, Target: t))).ToArray();
        var sourceIndex = tensor(pairs.Select(p => (long)p.Face).ToArray(), ScalarType.Int64);
        var targetIndex = tensor(pairs.Select(p => (long)p.Target).ToArray(), ScalarType.Int64);
        var drawn = SyntheticFaces.Redraw(generator, faces.Images.index_select(0, sourceIndex), targetIndex, batchSize);   // (P,1,H,W)
        return new RedrawnFaces(pairs, drawn.MoveToOuterDisposeScope());
    }

    /// <summary>The measures of <see cref="Run(MultiTaskModel, MultiTaskModel, LabelSet, FaceTensorSet, IReadOnlyList{int}, IReadOnlyList{int}, int)"/>
    /// on faces already re-drawn by <see cref="Redraw"/>.</summary>
    public static SynthesisMetrics Run(RedrawnFaces redrawn, MultiTaskModel classifier, LabelSet classifierLabels,
        FaceTensorSet faces, IReadOnlyList<int> test, IReadOnlyList<int> train, int batchSize = 128)
    {
        var labels = faces.LabelSet;
        if (test.Count == 0 || train.Count == 0) throw new ArgumentException("no test or no training faces");
        using var scope = NewDisposeScope();
        var faceLabels = faces.Labels.data<long>().ToArray();
        var subjects = faces.Samples.Select(Splits.GroupOf).ToArray();
        // Generator class → classifier class (-1: the classifier does not know it).
        int[] judgeOf = labels.Classes.Select(e => classifierLabels.Classes.Contains(e) ? classifierLabels.IndexOf(e) : -1).ToArray();
        var pairs = redrawn.Pairs;
        var drawn = redrawn.Drawn;                                                                        // (P,1,H,W)

        // Expression score, and the classifier on real test faces.
        var testImages = faces.Images.index_select(0, tensor(test.Select(i => (long)i).ToArray(), ScalarType.Int64));       // (N,1,H,W)
        var drawnJudged = Judge(classifier, drawn, batchSize);
        var realJudged = Judge(classifier, testImages, batchSize);
        var scores = new List<ExpressionScore>();
        int hitsAll = 0, drawnAll = 0, realHitsAll = 0, realAll = 0;
        for (int t = 0; t < labels.Count; t++)
        {
            if (judgeOf[t] < 0) continue;
            var mine = Enumerable.Range(0, pairs.Count).Where(p => pairs[p].Target == t).ToArray();
            int hits = mine.Count(p => drawnJudged[p] == judgeOf[t]);
            var real = Enumerable.Range(0, test.Count).Where(k => faceLabels[test[k]] == t).ToArray();
            int realHits = real.Count(k => realJudged[k] == judgeOf[t]);
            scores.Add(new ExpressionScore(labels.Classes[t].Name(), mine.Length, Share(hits, mine.Length), real.Length == 0 ? null : Share(realHits, real.Length), real.Length));
            (hitsAll, drawnAll, realHitsAll, realAll) = (hitsAll + hits, drawnAll + mine.Length, realHitsAll + realHits, realAll + real.Length);
        }
        scores.Add(new ExpressionScore("all", drawnAll, Share(hitsAll, drawnAll), realAll == 0 ? null : Share(realHitsAll, realAll), realAll));

        // Against the truth: the subject's own real faces with the target.
        var meanFaces = Enumerable.Range(0, labels.Count).Select(c =>
        {
            var ofClass = train.Where(i => faceLabels[i] == c).Select(i => (long)i).ToArray();
            return ofClass.Length == 0 ? null : faces.Images.index_select(0, tensor(ofClass, ScalarType.Int64)).mean([0], keepdim: true);   // (1,1,H,W)
        }).ToArray();
        var truthRows = new List<(int Target, double[] Values)>();
        for (int p = 0; p < pairs.Count; p++)
        {
            var (face, target) = pairs[p];
            var references = test.Where(j => subjects[j] == subjects[face] && faceLabels[j] == target).Select(j => (long)j).ToArray();
            if (references.Length == 0 || meanFaces[target] is null) continue;
            var truth = faces.Images.index_select(0, tensor(references, ScalarType.Int64));                  // (R,1,H,W)
            var candidates = new[] { drawn.narrow(0, p, 1), faces.Images.narrow(0, face, 1), meanFaces[target]! };
            var values = new double[6];
            for (int c = 0; c < 3; c++)
            {
                var expanded = candidates[c].expand_as(truth);                                               // (R,1,H,W)
                values[c] = ((expanded - truth).abs() / 2).mean().item<float>();
                values[3 + c] = ImageSimilarity.Ssim(expanded, truth).mean().item<float>();
            }
            truthRows.Add((target, values));
        }
        var truthDistances = Enumerable.Range(0, labels.Count)
            .Select(t => Distance(labels.Classes[t].Name(), truthRows.Where(r => r.Target == t).Select(r => r.Values).ToArray()))
            .Where(d => d is not null).Select(d => d!).ToList();
        if (truthRows.Count > 0) truthDistances.Add(Distance("all", truthRows.Select(r => r.Values).ToArray())!);

        // Distributions: Fréchet distance in the classifier's penultimate features.
        var realFeatures = Features(classifier, testImages, batchSize);
        var drawnFeatures = Features(classifier, drawn, batchSize);
        var trainFeatures = Features(classifier, faces.Images.index_select(0, tensor(train.Select(i => (long)i).ToArray(), ScalarType.Int64)), batchSize);
        return new SynthesisMetrics(test.Select(i => subjects[i]).Distinct().Count(), test.Count, scores, truthDistances,
            Frechet(realFeatures, drawnFeatures), Frechet(realFeatures, trainFeatures), (int)realFeatures.shape[1]);
    }

    private static double Share(int count, int of) => of == 0 ? double.NaN : (double)count / of;

    private static TruthDistance? Distance(string target, double[][] rows)
    {
        if (rows.Length == 0) return null;
        double Mean(int k) => rows.Average(r => r[k]);
        return new TruthDistance(target, rows.Length, Mean(0), Mean(1), Mean(2), Mean(3), Mean(4), Mean(5));
    }

    /// <summary>The classifier's predicted class of each image.</summary>
    private static long[] Judge(MultiTaskModel classifier, Tensor images, int batchSize) =>
        InBatches(classifier, images, batchSize, (model, x) => model.call(x, null).FerLogits.argmax(1)).data<long>().ToArray();

    /// <summary>(N,C) the classifier's penultimate features.</summary>
    public static Tensor Features(MultiTaskModel classifier, Tensor images, int batchSize = 128) =>
        InBatches(classifier, images, batchSize, (model, x) => model.RecognitionFeatures(x));

    private static Tensor InBatches(MultiTaskModel model, Tensor images, int batchSize, Func<MultiTaskModel, Tensor, Tensor> run)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var device = model.parameters().First().device;
            var parts = new List<Tensor>();
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var x = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)).to(device);
                parts.Add(run(model, x).cpu().MoveToOuterDisposeScope());
            }
            var all = cat(parts, 0);
            foreach (var part in parts) part.Dispose();
            return all;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// Fréchet distance between two feature sets, each as a Gaussian (as FID does):
    /// |μ1 − μ2|² + tr(Σ1 + Σ2 − 2 (Σ1^½ Σ2 Σ1^½)^½), the matrix square roots by symmetric eigen-decomposition.
    /// </summary>
    /// <param name="first">(N1,C)</param>
    /// <param name="second">(N2,C)</param>
    public static double Frechet(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        var a = first.to(ScalarType.Float64);
        var b = second.to(ScalarType.Float64);
        var (muA, muB) = (a.mean([0]), b.mean([0]));
        Tensor Covariance(Tensor x, Tensor mu) { var c = x - mu; return c.t().mm(c) / Math.Max(1, x.shape[0] - 1); }
        var (covA, covB) = (Covariance(a, muA), Covariance(b, muB));
        var rootA = SymmetricSqrt(covA);
        var middle = rootA.mm(covB).mm(rootA);
        var traceRoot = linalg.eigvalsh(0.5 * (middle + middle.t())).clamp_min(0).sqrt().sum();
        var distance = (muA - muB).square().sum() + covA.trace() + covB.trace() - 2 * traceRoot;
        return distance.item<double>();
    }

    private static Tensor SymmetricSqrt(Tensor matrix)
    {
        var (values, vectors) = linalg.eigh(0.5 * (matrix + matrix.t()));
        return vectors.mm(diag(values.clamp_min(0).sqrt())).mm(vectors.t());
    }
}
