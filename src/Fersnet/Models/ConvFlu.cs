using Fersnet.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// Convolutional Feature Leaky Unit: lets branch x take only the useful part of branch y's features, GRU-style.
/// <code>
/// r  = σ(W_r * [Fx, Fy])          reset gate: which of Fy's features to look at
/// z  = σ(W_z * [Fx, Fy])          update gate: how much of the candidate to take
/// F~ = tanh(W * (r ⊙ Fy) + U * Fx)  candidate built from the other branch
/// Fx' = (1 − z) ⊙ Fx + z ⊙ F~
/// </code>
/// All four are 3x3 convolutions without bias. One unit per direction and per depth. W_r and W_z read the same
/// input, so they are computed as one convolution with 2C outputs (r first, then z): the same arithmetic in one
/// larger, faster kernel.
/// </summary>
public sealed class ConvFlu : Module<Tensor, Tensor, Tensor>
{
    private readonly SafeConv2d w_rz;
    private readonly SafeConv2d w;
    private readonly SafeConv2d u;
    private readonly Parameter? z_bias;

    /// <param name="gateBias">null: the paper's unit, no biases. A value: the update gate gets a learnable bias
    /// starting there (negative: each branch starts by keeping its own features, z ≈ σ(bias)).</param>
    public ConvFlu(string name, long channels, double? gateBias = null) : base(name)
    {
        w_rz = new SafeConv2d("w_rz", 2 * channels, 2 * channels, 3, padding: 1, bias: false);
        w = new SafeConv2d("w", channels, channels, 3, padding: 1, bias: false);
        u = new SafeConv2d("u", channels, channels, 3, padding: 1, bias: false);
        if (gateBias is { } b) z_bias = Parameter(full(1, channels, 1, 1, b));
        RegisterComponents();
    }

    /// <param name="fx">(B,C,H,W) this branch's features</param>
    /// <param name="fy">(B,C,H,W) the other branch's features</param>
    /// <returns>(B,C,H,W) this branch's features after taking what it gates in from the other</returns>
    public override Tensor forward(Tensor fx, Tensor fy) => ForwardWithGate(fx, fy).Output;

    /// <summary>The forward pass that also returns its update gate z (B,C,H,W): how much this branch takes from the
    /// other, for whoever measures it (no state is kept here).</summary>
    public (Tensor Output, Tensor Z) ForwardWithGate(Tensor fx, Tensor fy)
    {
        var (r, z) = Gates(fx, fy);
        return (Mix(fx, Candidate(fx, fy, r), z), z);
    }

    /// <summary>r = σ(W_r * [Fx,Fy]), z = σ(W_z * [Fx,Fy]), each (B,C,H,W).</summary>
    public (Tensor R, Tensor Z) Gates(Tensor fx, Tensor fy)
    {
        var both = cat([fx, fy], 1);                                  // (B,2C,H,W)
        var rz = w_rz.call(both).chunk(2, 1);                         // 2 x (B,C,H,W)
        return (sigmoid(rz[0]), sigmoid(z_bias is null ? rz[1] : rz[1].Plus(z_bias)));
    }

    /// <summary>F~ = tanh(W * (r ⊙ Fy) + U * Fx).</summary>
    public Tensor Candidate(Tensor fx, Tensor fy, Tensor r) => tanh(w.call(r * fy).Plus(u.call(fx)));

    /// <summary>Fx' = (1 − z) ⊙ Fx + z ⊙ F~.</summary>
    public static Tensor Mix(Tensor fx, Tensor candidate, Tensor z) => fx.lerp(candidate, z);
}
