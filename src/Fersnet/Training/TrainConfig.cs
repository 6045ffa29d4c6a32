using System.Text.Json.Serialization;
using Fersnet.Data;

namespace Fersnet.Training;

/// <summary>How the generator is told real from fake.</summary>
public enum AdversarialLoss { Lsgan, Hinge }

/// <summary>
/// Weights of the loss terms. The synthesis terms only apply to models with a synthesis decoder. The terms added for the
/// skip decoder (issue 17) are written only when set, so a configuration from before them serialises (and fingerprints)
/// as it did; a run that uses them records their values (<see cref="Resolved"/>).
/// </summary>
public sealed record LossWeights
{
    /// <summary>Recognition cross-entropy.</summary>
    public double Fer { get; init; } = 1;
    /// <summary>Generator's adversarial term.</summary>
    public double Adversarial { get; init; } = 1;
    /// <summary>Expression classification of generated faces (and of real ones for D) by D's auxiliary head.</summary>
    public double Classification { get; init; } = 1;
    /// <summary>
    /// Expression classification of generated faces by the network's own recognition branch, frozen and in eval mode
    /// (a judge only: recognition never trains on generated faces): a second, stronger judge of the target expression
    /// than D's auxiliary head early in training. 0: off, as before the term existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double RecognitionOfSynthesis { get; init; }
    /// <summary>
    /// Expression classification of generated faces by a separately trained, frozen classifier
    /// (<see cref="TrainConfig.JudgeFrom"/>, <see cref="ExpressionJudge"/>). 0: off, as before the term existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double Judge { get; init; }
    /// <summary>Cycle reconstruction L1: source → target → source ≈ source.</summary>
    public double Cycle { get; init; } = 10;
    /// <summary>Identity L1 where the sampled target equals the source expression.</summary>
    public double Identity { get; init; } = 5;
    /// <summary>Paired L1: a face re-drawn with expression t against a real face of the same subject showing t
    /// (datasets with subjects, e.g. CK+, where <see cref="TrainConfig.PairedShare"/> is above 0). null: 5.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Paired { get; init; }
    /// <summary>Structural dissimilarity (1 − SSIM) of the re-drawn face and the paired real face, beside the paired L1
    /// (<see cref="Losses.MaskedStructuralDissimilarity"/>). 0: off, as before the term existed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double PairedStructure { get; init; }
    /// <summary>Mean of the attention mask (decoders with one): re-draw only where the expression needs it. null: 0.02
    /// (GANimation's 0.1 shut the mask: mean 0.34 → 0.04 in 300 FER2013 steps while no target expression was learned).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MaskSparsity { get; init; }
    /// <summary>Total variation of the attention mask (decoders with one): a smooth mask. null: 1.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MaskSmoothness { get; init; }
    /// <summary>Scales every synthesis term of the generator step relative to recognition.</summary>
    public double Synthesis { get; init; } = 1;

    /// <summary>These weights with every unset term at its default value.</summary>
    public LossWeights Resolved() => this with { Paired = Paired ?? 5, MaskSparsity = MaskSparsity ?? 0.02, MaskSmoothness = MaskSmoothness ?? 1 };
}

/// <summary>Everything that decides how a model is trained; saved in every checkpoint.</summary>
public sealed record TrainConfig
{
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 64;
    /// <summary>Peak learning rate of the multi-task network (AdamW, cosine decay per epoch).</summary>
    public double LearningRate { get; init; } = 2e-3;
    public double DiscriminatorLearningRate { get; init; } = 2e-4;
    public double WeightDecay { get; init; } = 1e-4;
    public double LabelSmoothing { get; init; } = 0.1;
    /// <summary>Weight the recognition loss by inverse class frequency.</summary>
    public bool ClassWeights { get; init; }
    public int Seed { get; init; } = 1;
    public LossWeights Losses { get; init; } = new();
    public AdversarialLoss Adversarial { get; init; } = AdversarialLoss.Lsgan;
    /// <summary>Epochs of recognition-only training before the synthesis losses start.</summary>
    public int SynthesisWarmupEpochs { get; init; }
    /// <summary>false: synthesis losses do not reach the FER branch through the FES-side gates (FERSNet only).</summary>
    public bool SynthesisGradientsIntoFer { get; init; } = true;
    /// <summary>Run the synthesis phases (discriminator, generator losses) on every k-th batch only; the other
    /// batches train recognition alone. 1: every batch.</summary>
    public int SynthesisEvery { get; init; } = 1;
    /// <summary>
    /// Share of a synthesis batch whose cycle reconstruction (a second pass through the whole network) is computed:
    /// the first images of the shuffled batch, an unbiased estimate of the full-batch cycle loss at a fraction of its
    /// cost. null: the whole batch, as StarGAN does (and as results recorded before this option existed did).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? CycleShare { get; init; }
    /// <summary>
    /// Checkpoint whose weights start the run (<see cref="WarmStart"/>: same architecture, any label set); null: a
    /// fresh initialisation. In an experiment, <c>{variant}</c> in the path stands for the variant's name.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? InitFrom { get; init; }
    /// <summary>
    /// Checkpoint of the frozen expression classifier that judges generated faces (<see cref="LossWeights.Judge"/>);
    /// null: none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? JudgeFrom { get; init; }
    /// <summary>
    /// Standard deviation in pixels of the Gaussian blur the judge sees generated faces through: what a blur removes
    /// (pixel-scale marks that fool one classifier) no longer pays. 0: the faces as drawn.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double JudgeBlur { get; init; }
    /// <summary>
    /// Share of a synthesis batch whose target expression is drawn among the expressions the face's subject shows in
    /// other training faces, with the paired L1 against one of those faces (<see cref="LossWeights.Paired"/>); the rest
    /// draw a target uniformly. 0: every target uniform and no paired loss (as before the option existed).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double PairedShare { get; init; }
    /// <summary>Global gradient-norm clip of every step (also where non-finite gradients are caught).</summary>
    public double GradientClip { get; init; } = 10;
    public AugmentConfig Augment { get; init; } = new();
    /// <summary>
    /// Model selection (best.ckpt, the weights an experiment tests) considers epochs from this fraction of the run on,
    /// keeping the later epoch on ties. Validation sets of a few subjects are noisy: an early lucky peak, taken at a
    /// high learning rate, is a worse bet than the settled second half of a cosine schedule. 0: every epoch; 1: the
    /// last epoch only (the last epoch is always a candidate).
    /// </summary>
    public double SelectionStart { get; init; } = 0.5;
    /// <summary>
    /// Keep an exponential moving average of the weights with this per-step decay (<see cref="WeightAverage"/>);
    /// validation, model selection and the saved best model then use the average. null: no average.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? WeightAverageDecay { get; init; }

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException("epochs must be at least 1");
        if (BatchSize < 2) throw new ArgumentException("batch size must be at least 2 (batch norm)");
        if (LearningRate <= 0 || DiscriminatorLearningRate <= 0) throw new ArgumentException("learning rates must be positive");
        if (SynthesisEvery < 1) throw new ArgumentException("synthesis-every must be at least 1");
        if (CycleShare is { } share && (share <= 0 || share > 1)) throw new ArgumentException("cycle share must be in (0, 1]");
        if (PairedShare is < 0 or > 1) throw new ArgumentException("paired share must be in [0, 1]");
        if (SelectionStart is < 0 or > 1) throw new ArgumentException("selection start must be in [0, 1]");
        if (WeightAverageDecay is { } decay && (decay <= 0 || decay >= 1)) throw new ArgumentException("weight-average decay must be in (0, 1)");
        if (Losses.Judge < 0) throw new ArgumentException("the judge's weight must not be negative");
        if (JudgeBlur is < 0 or > 5) throw new ArgumentException("the judge's blur must be in [0, 5] pixels");
        if (JudgeBlur > 0 && JudgeFrom is null) throw new ArgumentException("the judge's blur needs a judge (its checkpoint)");
        if (Losses.Judge > 0 && JudgeFrom is null) throw new ArgumentException("a judge's weight needs a judge (its checkpoint)");
        if (Losses.Paired is < 0) throw new ArgumentException("the paired loss's weight must not be negative");
        if (Losses.PairedStructure < 0) throw new ArgumentException("the paired structure term's weight must not be negative");
        if (Losses.MaskSparsity is < 0) throw new ArgumentException("the attention mask's weight must not be negative");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException("label smoothing must be in [0, 1)");
        Augment.Erasing?.Validate();
    }
}

/// <summary>Where a run's data comes from; saved so that a resumed run rebuilds the same split.</summary>
/// <param name="Path">Training dataset (folder or fer2013.csv).</param>
/// <param name="ValidationPath">Separate validation dataset, if any.</param>
/// <param name="ValidationSplit">Else: share of the training subjects held out for validation (0: none).</param>
/// <param name="SplitSeed">Seed of that hold-out.</param>
/// <param name="TrainSplits">Named splits of the dataset to train on (FER2013: Training, PublicTest, PrivateTest), replacing its default split.</param>
/// <param name="ValidationSplits">With <paramref name="TrainSplits"/>: named splits to select models on (none: no validation).</param>
public sealed record DataConfig(string Path, string? ValidationPath = null, double ValidationSplit = 0.1, int SplitSeed = 1,
    IReadOnlyList<string>? TrainSplits = null, IReadOnlyList<string>? ValidationSplits = null);
