using System.Globalization;
using Fersnet.Lab.Reporting;
using Fersnet.Models;
using Fersnet.Training;

namespace Fersnet.Lab.Experiments;

/// <summary>
/// The pieces of an experiment's notebook section, one small renderer each: the budget, the fine-tuning stages, the
/// variant table, the gate statistics, the captions. <see cref="ExperimentReport"/> puts them in order.
/// </summary>
internal static class ExperimentNotebook
{
    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line: what every (variant, fold) training gets.</summary>
    public static string Budget(ExperimentConfig config)
    {
        var t = config.Train;
        string training = Invariant($"{t.Epochs} epochs, batch {t.BatchSize}, AdamW lr {t.LearningRate} cosine, {config.Model.ImageSize}px, width {config.Model.Width}{Depth(config.Model)}, seed {config.Seed}")
            + (t.Seed != config.Seed ? Invariant($" (trainings: seed {t.Seed})") : "");
        string synthesis = Invariant($"synthesis warm-up {t.SynthesisWarmupEpochs} epochs, synthesis weight {t.Losses.Synthesis}, a synthesis step on every {Every(t.SynthesisEvery)}batch, cycle pass on {CyclePass(t.CycleShare)}, synthesis gradients {(t.SynthesisGradientsIntoFer ? "into" : "kept out of")} the recognition features")
            + (config.Model.GateBias is { } bias ? Invariant($", gate bias {bias}") : "");
        return $"- Budget per (variant, fold): {training};{Selection(config)}; {synthesis}{WeightAverage(t)}{WarmStart(t)}";
    }

    /// <summary>", 3 convolutions a block" for a deeper network than the paper's; empty for the paper's block.</summary>
    private static string Depth(ModelConfig model) => model.ConvsPerBlock is { } convs ? $", {convs} convolutions a block" : "";

    /// <summary>" a 2nd " style: empty for every batch, else the ordinal and a space.</summary>
    private static string Every(int k) => k == 1 ? "" : Notebook.Ordinal(k) + " ";

    private static string CyclePass(double? share) => share is { } s ? Invariant($"{s:P0} of it") : "all of it";

    private static string Selection(ExperimentConfig config) =>
        config.ValidationSplit > 0 ? Invariant($" model selection on {config.ValidationSplit:P0} of the training subjects")
        : config.Train.SelectionStart >= 1 ? " no hold-out: every training subject trains and the last epoch is tested"
        : " no hold-out: every training subject trains, selection on training accuracy";

    private static string WeightAverage(TrainConfig t) =>
        t.WeightAverageDecay is { } decay ? Invariant($"; validation, selection and test use the moving average of the weights (decay {decay} per step)") : "";

    private static string WarmStart(TrainConfig t) => t.InitFrom is { } init ? $"; every fold starts from the weights of `{init}`" : "";

    /// <summary>One line per fine-tuned variant: its second stage's budget, as the experiment derives it.</summary>
    public static IEnumerable<string> FineTuneBudgets(ExperimentReport.Document document)
    {
        if (document.FineTune is not { } fineTune) yield break;
        TrainConfig SecondStage(string variant) => Variant.Parse(variant, fineTune).FineTune!.For(document.Config.Train, document.Labels.Count);
        if (document.Variants.ContainsKey("fersnet+synth"))
        {
            var budget = SecondStage("fersnet+synth");
            yield return Invariant($"- fersnet+synth: each fold's FERSNet, trained with the fersnet row's seed and budget (the very same training when both run in one sitting; the row's own figures may come from older code), re-draws every training face with each other expression (every class then has as many faces as there are real ones); recognition is fine-tuned on real + synthetic faces for {budget.Epochs} epochs at peak lr {budget.LearningRate} cosine, selected like the others; its time is what it adds to the fersnet row (drawing the faces and fine-tuning)");
        }
        if (document.Variants.ContainsKey("fersnet+tune"))
        {
            var budget = SecondStage("fersnet+tune");
            yield return Invariant($"- fersnet+tune (control): the same fine-tuning of the same fold models on the real faces alone, for {budget.Epochs} epochs (as many steps as fersnet+synth's) at peak lr {budget.LearningRate}");
        }
    }

    public static string TrainingTime(double seconds) => Invariant($"- Training time so far: {seconds / 3600:F2} h");

    /// <summary>Per variant: folds, accuracy, pooled figures, the paper's, speed and per-class recall. The mirror-averaged
    /// column appears once any variant has it (results recorded before it was measured lack it).</summary>
    public static string VariantTable(ExperimentReport.Document document)
    {
        bool mirrored = document.Variants.Values.Any(v => v.MirroredMeanAccuracy is not null);
        var headers = new List<string> { "variant", "folds", "mean ± std accuracy" };
        if (mirrored) headers.Add("mirror-averaged mean");
        headers.AddRange(["pooled accuracy", "macro-F1", "paper", "train img/s", .. document.Labels.Select(l => $"recall {l}")]);
        var rows = document.Variants.Values.Select(s =>
        {
            var row = new List<string> { s.Variant, $"{s.Folds}/{document.Config.Folds}", $"{Markdown.Percent(s.MeanAccuracy)} ± {Markdown.Percent(s.StdAccuracy)}" };
            if (mirrored) row.Add(s.MirroredMeanAccuracy is { } m ? Markdown.Percent(m) : "");
            row.AddRange([Markdown.Percent(s.PooledAccuracy), Markdown.Percent(s.MacroF1),
                ExperimentReport.PaperCkPlus.TryGetValue(s.Variant, out var p) ? Markdown.Number(p, 2) : "",
                Markdown.Number(s.TrainImagesPerSecond, 0), .. document.Labels.Select(l => Markdown.Percent(s.PerClassRecall[l], 1))]);
            return (IReadOnlyList<string>)row;
        });
        return Markdown.Table(headers, rows);
    }

    /// <summary>One sentence per gated variant: its mean update gates by depth and direction.</summary>
    public static IEnumerable<string> Gates(ExperimentReport.Document document)
    {
        string where = document.Config.ValidationSplit > 0 ? "" : ", on the test faces (no hold-out)";
        foreach (var s in document.Variants.Values.Where(v => v.MeanGates is not null))
        {
            int depths = s.MeanGates!.Count / 2;
            string Values(IEnumerable<double> z) => string.Join(", ", z.Select(v => Markdown.Number(v, 2)));
            yield return $"Mean update gate z of {s.Variant} at its selected epoch{where} (how much each branch takes from the other), depth 1..{depths}: recognition ← synthesis {Values(s.MeanGates.Take(depths))}; synthesis ← recognition {Values(s.MeanGates.Skip(depths))}.";
        }
    }

    public static readonly string ComparisonsIntroduction =
        $"Paired fold by fold on identical test images (difference = variant − baseline, per fold; \"{PairedComparison.SameExperiment}\" pairs the variants above with each other in the order of `--variants`, the others are earlier experiments on the same folds):";

    public static string SynthesisGridCaption(string variant) =>
        $"What {variant}'s synthesis branch draws in fold 1 (rows: the first training face of each expression; columns: the real face, then re-drawn with each expression):";
}
