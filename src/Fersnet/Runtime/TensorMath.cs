using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Runtime;

/// <summary>
/// Arithmetic that never hands libtorch a temporary Scalar, which TorchSharp 0.107 does not keep alive during the
/// native call (docs/RESULTS.md, "The native crashes"); these Scalars live as long as the process.
/// </summary>
internal static class TensorMath
{
    private static readonly Scalar One = 1.ToScalar();
    private static readonly Scalar Tiny = 1e-12.ToScalar();

    /// <summary>a + b, element-wise (broadcasting).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>sum += x, in place.</summary>
    public static Tensor Accumulate(this Tensor sum, Tensor x) => sum.add_(x, One);

    /// <summary>log(max(p, 1e-12)): the log of probabilities that may be 0.</summary>
    public static Tensor SafeLog(this Tensor p) => p.clamp_min(Tiny).log();
}
