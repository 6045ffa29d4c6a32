using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Models;

/// <summary>
/// Arithmetic for forward passes that never hands libtorch a temporary Scalar. TorchSharp 0.107 turns the alpha of
/// <c>a + b</c> (and the 1 of <c>1 - z</c>) into a Scalar that it does not keep alive during the native call: a garbage
/// collection started by another thread meanwhile (fersnet serve's request threads) finalizes it while libtorch reads
/// it ("Expected false to be true", "Unknown scalar type"). The Scalar here lives as long as the process.
/// GarbageCollectionRaceTests reproduces the failure and keeps the forward passes free of it.
/// </summary>
internal static class TensorMath
{
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b, element-wise (broadcasting).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);
}
