using System.Text.Json.Serialization;

namespace Fersnet.Models;

/// <summary>The three networks of the paper's ablation.</summary>
public enum ModelKind
{
    /// <summary>FER branch only: the single-task baseline.</summary>
    Single,
    /// <summary>One shared trunk feeding both the FER head and the FES decoder, no gates.</summary>
    Hard,
    /// <summary>Two branches exchanging features through ConvFLU pairs: the paper's network.</summary>
    Fersnet,
}

/// <summary>How the synthesis branch draws the face (versioned: a checkpoint without the field has the first one).</summary>
public enum SynthesisDecoder
{
    /// <summary>The first decoder (<see cref="FesDecoder"/>): everything goes through the deepest, 3x3 map at 48 px; the
    /// label enters there once. Checkpoints written before the field existed have it.</summary>
    Bottleneck,
    /// <summary><see cref="SkipDecoder"/>: starts from the depth-2 synthesis features (6x6 at 48 px), takes skip
    /// connections from every shallower resolution, sees the label at every stage and composes its colour map with
    /// the input through an attention mask (GANimation).</summary>
    Skip,
}

/// <summary>
/// Architecture of a model: what is needed to rebuild it before loading its weights (saved in every checkpoint).
/// </summary>
/// <param name="Kind">Which network.</param>
/// <param name="ImageSize">Input side in pixels; must be divisible by 16 (four 2x2 poolings).</param>
/// <param name="Width">Channels of the stem and first block.</param>
/// <param name="ConstantWidth">true: every block has <paramref name="Width"/> channels (the paper's 256);
/// false: blocks double it, w, 2w, 4w, 8w.</param>
/// <param name="Classes">Number of expression classes (from the data).</param>
/// <param name="Dropout">Dropout before the FER classifier.</param>
/// <param name="GateBias">FERSNet: null for the paper's bias-free ConvFLUs; a value gives each update gate a learnable
/// bias starting there (see <see cref="ConvFlu"/>).</param>
/// <param name="Decoder">Which synthesis decoder the multi-task networks have; the single-task network has none.</param>
/// <param name="ConvsPerBlock">3x3 convolutions in each block of every branch: null for the paper's two (checkpoints and
/// experiment fingerprints written before the field existed have it; 2 is stored as null, so the paper's block has one
/// spelling); more makes the network deeper at the same widths.</param>
public sealed record ModelConfig(
    ModelKind Kind,
    int ImageSize,
    int Width,
    bool ConstantWidth,
    int Classes,
    double Dropout = 0.3,
    double? GateBias = null,
    SynthesisDecoder Decoder = SynthesisDecoder.Bottleneck,
    int? ConvsPerBlock = null)
{
    public const int Blocks = 4;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ConvsPerBlock { get; init => field = Canonical(value); } = Canonical(ConvsPerBlock);

    /// <summary>How <see cref="ConvsPerBlock"/> stores a count: the paper's two as null, any other as given.</summary>
    public static int? Canonical(int? convsPerBlock) => convsPerBlock == PaperConvsPerBlock ? null : convsPerBlock;

    /// <summary>The paper's block: two 3x3 convolutions before the pooling.</summary>
    public const int PaperConvsPerBlock = 2;

    /// <summary>3x3 convolutions in each block (<see cref="ConvsPerBlock"/>, or the paper's two).</summary>
    [JsonIgnore]
    public int BlockConvs => ConvsPerBlock ?? PaperConvsPerBlock;

    /// <summary>The published size: 96x96 input, 256 channels everywhere. For GPU machines.</summary>
    public static ModelConfig Paper(ModelKind kind, int classes) => new(kind, 96, 256, true, classes);

    /// <summary>What a 2-core CPU can train: 48x48 input, widths 16, 32, 64, 128.</summary>
    public static ModelConfig Lite(ModelKind kind, int classes, int width = 16) => new(kind, 48, width, false, classes);

    public static ModelConfig FromPreset(string preset, ModelKind kind, int classes) => preset.ToLowerInvariant() switch
    {
        "paper" => Paper(kind, classes),
        "lite" => Lite(kind, classes),
        _ => throw new ArgumentException($"unknown preset '{preset}' (known: lite, paper)"),
    };

    /// <summary>Output channels of block 0..3.</summary>
    public int BlockWidth(int block) => ConstantWidth ? Width : Width << block;

    /// <summary>Side of the deepest feature map (after four poolings).</summary>
    [JsonIgnore]
    public int BottleneckSize => ImageSize / 16;

    [JsonIgnore]
    public bool HasSynthesis => Kind != ModelKind.Single;

    /// <summary>Depth whose synthesis features the <see cref="SynthesisDecoder.Skip"/> decoder starts from (side ImageSize/8).</summary>
    public const int SkipDecoderDepth = 2;

    public static SynthesisDecoder ParseDecoder(string text) => text.ToLowerInvariant() switch
    {
        "bottleneck" or "v1" => SynthesisDecoder.Bottleneck,
        "skip" or "unet" or "v2" => SynthesisDecoder.Skip,
        _ => throw new ArgumentException($"unknown decoder '{text}' (known: bottleneck, skip)"),
    };

    public void Validate()
    {
        if (ImageSize < 16 || ImageSize % 16 != 0) throw new ArgumentException($"image size {ImageSize} must be a positive multiple of 16");
        if (Width < 1) throw new ArgumentException("width must be positive");
        if (Classes < 2) throw new ArgumentException("at least two classes are needed");
        if (BlockConvs < PaperConvsPerBlock) throw new ArgumentException($"convolutions per block must be at least {PaperConvsPerBlock} (the paper's block), not {BlockConvs}");
    }
}
