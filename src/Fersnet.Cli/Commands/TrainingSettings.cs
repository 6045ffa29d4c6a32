using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary>The training options that <c>train</c> and <c>experiment</c> share, and the <see cref="TrainConfig"/> they make.</summary>
public class TrainingSettings : CommandSettings
{
    [CommandOption("--device <DEVICE>")]
    [Description("cpu (default), cuda or cuda:N. CUDA needs the TorchSharp-cuda package instead of TorchSharp-cpu (README).")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--preset <NAME>")]
    [Description("lite (48x48, widths 16..128: for CPUs; default) or paper (96x96, 256 channels: for GPUs).")]
    public string Preset { get; init; } = "lite";

    [CommandOption("--width <N>")]
    [Description("First-block width (the lite preset's: 16).")]
    public int? Width { get; init; }

    [CommandOption("--convs-per-block <N>")]
    [Description("3x3 convolutions in each of a branch's four blocks (the paper's: 2); more makes the network deeper at the same widths.")]
    public int? ConvsPerBlock { get; init; }

    [CommandOption("--image-size <PIXELS>")]
    [Description("Input side, a multiple of 16 (the lite preset's: 48); faces are resized to it when loaded, e.g. 64 upsamples FER2013's 48 px faces.")]
    public int? ImageSize { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Epochs to train (default: the training config's, 30). With --resume: train the run up to N epochs.")]
    public int? Epochs { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Faces per optimiser step (default: the training config's).")]
    public int? BatchSize { get; init; }

    [CommandOption("--lr <RATE>")]
    [Description("Peak learning rate of AdamW, cosine decay (default: the training config's).")]
    public double? LearningRate { get; init; }

    [CommandOption("--d-lr <RATE>")]
    [Description("Learning rate of the discriminator, AdamW with the same cosine decay (default: the training config's, 2e-4).")]
    public double? DiscriminatorLearningRate { get; init; }

    [CommandOption("--seed <N>")]
    public int Seed { get; init; } = 1;

    [CommandOption("--synthesis-warmup <EPOCHS>")]
    [Description("Recognition-only epochs before the synthesis losses start (default 0).")]
    public int SynthesisWarmup { get; init; }

    [CommandOption("--synthesis-weight <W>")]
    [Description("Scale of all synthesis losses relative to recognition (default 1).")]
    public double SynthesisWeight { get; init; } = 1;

    [CommandOption("--synthesis-every <K>")]
    [Description("Synthesis phases on every k-th batch only; the others train recognition alone (default 1).")]
    public int SynthesisEvery { get; init; } = 1;

    [CommandOption("--cycle-share <S>")]
    [Description("Share of each synthesis batch that gets the cycle reconstruction pass (default 1: all of it).")]
    public double? CycleShare { get; init; }

    [CommandOption("--gate-bias <B>")]
    [Description("FERSNet: give each ConvFLU update gate a learnable bias starting at B (default: none, as the paper).")]
    public double? GateBias { get; init; }

    [CommandOption("--decoder <KIND>")]
    [Description("Synthesis decoder of fersnet and hard: bottleneck (the first one, default) or skip (U-Net skips from every side, the label at every stage, an attention mask over the input).")]
    public string Decoder { get; init; } = "bottleneck";

    [CommandOption("--paired-share <S>")]
    [Description("Share of each synthesis batch whose target is one of the expressions its subject shows in other training faces, with a paired L1 against that real face (datasets with subjects, e.g. CK+; default 0: off).")]
    public double PairedShare { get; init; }

    [CommandOption("--paired-weight <W>")]
    [Description("Weight of the paired L1 against the subject's real face with the target (default 5; needs --paired-share).")]
    public double? PairedWeight { get; init; }

    [CommandOption("--paired-ssim-weight <W>")]
    [Description("Weight of 1 − SSIM between the re-drawn face and the paired real face, beside the paired L1 (default 0: off; needs --paired-share).")]
    public double? PairedStructureWeight { get; init; }

    [CommandOption("--mask-weight <W>")]
    [Description("Weight of the attention mask's mean (skip decoder): re-draw only where the expression needs it (default 0.02).")]
    public double? MaskWeight { get; init; }

    [CommandOption("--fer-on-synthesis-weight <W>")]
    [Description("Weight of the recognition branch's classification of re-drawn faces as their target (default 0: off).")]
    public double? RecognitionOfSynthesisWeight { get; init; }

    [CommandOption("--judge <CHECKPOINT>")]
    [Description("A separately trained recognition model (e.g. a FER2013 one) that, frozen, judges every re-drawn face: the generator is asked to draw faces it reads as the target (targets it has no class for are left out).")]
    public string? Judge { get; init; }

    [CommandOption("--judge-weight <W>")]
    [Description("Weight of the --judge term (default 1).")]
    public double? JudgeWeight { get; init; }

    [CommandOption("--judge-blur <SIGMA>")]
    [Description("The --judge sees re-drawn faces through a Gaussian blur of SIGMA pixels, so pixel-scale marks that fool it do not pay (default 0: none).")]
    public double? JudgeBlur { get; init; }

    [CommandOption("--cls-weight <W>")]
    [Description("Weight of D's expression classification (real faces for D, re-drawn ones for the generator; default 1).")]
    public double? ClassificationWeight { get; init; }

    [CommandOption("--fer-weight <W>")]
    [Description("Weight of the recognition loss (default 1).")]
    public double? FerWeight { get; init; }

    [CommandOption("--no-synthesis-into-fer")]
    [Description("FERSNet: synthesis losses do not reach the recognition branch's features.")]
    public bool NoSynthesisIntoFer { get; init; }

    [CommandOption("--select-from <FRACTION>")]
    [Description("Model selection considers epochs from this fraction of the run on (default 0.5; 0: all; 1: the last epoch only).")]
    public double SelectFrom { get; init; } = 0.5;

    [CommandOption("--adversarial <LOSS>")]
    [Description("lsgan (default) or hinge.")]
    public string Adversarial { get; init; } = "lsgan";

    [CommandOption("--class-weights")]
    [Description("Weight the recognition loss by inverse class frequency.")]
    public bool ClassWeights { get; init; }

    [CommandOption("--init <CHECKPOINT>")]
    [Description("Start from this checkpoint's weights (same model, any label set; shared expressions keep what they learned). In an experiment, {variant} in the path stands for the variant's name.")]
    public string? InitFrom { get; init; }

    [CommandOption("--ema <DECAY>")]
    [Description("Keep an exponential moving average of the weights with this per-step decay (e.g. 0.99); validation, selection and the saved model use it (default: none).")]
    public double? WeightAverageDecay { get; init; }

    [CommandOption("--erase <P>")]
    [Description("Random erasing: with probability P, one rectangle of each face the networks read becomes noise (default: off).")]
    public double? Erase { get; init; }

    [CommandOption("--label-smoothing <S>")]
    [Description("Label smoothing of the recognition loss (default: the training config's, 0.1).")]
    public double? LabelSmoothing { get; init; }

    [CommandOption("--no-augment")]
    public bool NoAugment { get; init; }

    /// <summary>The shared options' usage mistakes (exit 2), checked by building the configs they make; the commands
    /// add their own checks after these.</summary>
    public override ValidationResult Validate()
    {
        if (NoAugment && Erase is > 0) return ValidationResult.Error("--erase is part of the augmentation that --no-augment turns off");
        // A saved config holds the resolved paired weight whatever the share, so this is the command line's rule, not the config's.
        if ((PairedWeight is not null || PairedStructureWeight is not null) && PairedShare == 0)
            return ValidationResult.Error("--paired-weight and --paired-ssim-weight need paired targets (--paired-share above 0)");
        try
        {
            ToModelConfig(ModelKind.Fersnet, classes: 2).Validate();
            ToTrainConfig().Validate();
            return ValidationResult.Success();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(e.Message);
        }
    }

    /// <summary>The architecture of <paramref name="kind"/> for <paramref name="classes"/> expressions: the preset, with
    /// --width, --image-size, --convs-per-block and --gate-bias where given.</summary>
    public ModelConfig ToModelConfig(ModelKind kind, int classes)
    {
        var model = ModelConfig.FromPreset(Preset, kind, classes);
        if (Width is { } width) model = model with { Width = width };
        if (ImageSize is { } side) model = model with { ImageSize = side };
        if (ConvsPerBlock is { } convs) model = model with { ConvsPerBlock = convs };
        if (GateBias is { } gateBias) model = model with { GateBias = gateBias };
        model = model with { Decoder = ModelConfig.ParseDecoder(Decoder) };
        return model;
    }

    /// <summary>The training config: <see cref="TrainConfig"/>'s defaults (each written there once) and the options given.</summary>
    public TrainConfig ToTrainConfig() => Defaults with
    {
        Epochs = Epochs ?? Defaults.Epochs,
        BatchSize = BatchSize ?? Defaults.BatchSize,
        LearningRate = LearningRate ?? Defaults.LearningRate,
        DiscriminatorLearningRate = DiscriminatorLearningRate ?? Defaults.DiscriminatorLearningRate,
        Seed = Seed,
        SynthesisWarmupEpochs = SynthesisWarmup,
        SynthesisGradientsIntoFer = !NoSynthesisIntoFer,
        SynthesisEvery = SynthesisEvery,
        CycleShare = CycleShare is null or 1 ? null : CycleShare,
        ClassWeights = ClassWeights,
        InitFrom = InitFrom,
        JudgeFrom = Judge,
        JudgeBlur = JudgeBlur ?? Defaults.JudgeBlur,
        SelectionStart = SelectFrom,
        WeightAverageDecay = WeightAverageDecay,
        PairedShare = PairedShare,
        Losses = Defaults.Losses with
        {
            Synthesis = SynthesisWeight,
            Fer = FerWeight ?? Defaults.Losses.Fer,
            Classification = ClassificationWeight ?? Defaults.Losses.Classification,
            RecognitionOfSynthesis = RecognitionOfSynthesisWeight ?? Defaults.Losses.RecognitionOfSynthesis,
            Judge = Judge is null ? JudgeWeight ?? Defaults.Losses.Judge : JudgeWeight ?? 1,
            Paired = PairedWeight ?? Defaults.Losses.Paired,
            PairedStructure = PairedStructureWeight ?? Defaults.Losses.PairedStructure,
            MaskSparsity = MaskWeight ?? Defaults.Losses.MaskSparsity,
        },
        LabelSmoothing = LabelSmoothing ?? Defaults.LabelSmoothing,
        Augment = NoAugment ? AugmentConfig.None : new AugmentConfig { Erasing = Erase is { } p and not 0 ? new RandomErasing(p) : null },
        Adversarial = Enum.TryParse<AdversarialLoss>(Adversarial, ignoreCase: true, out var loss)
            ? loss : throw new ArgumentException($"unknown adversarial loss '{Adversarial}' (known: lsgan, hinge)"),
    };

    private static readonly TrainConfig Defaults = new();
}
