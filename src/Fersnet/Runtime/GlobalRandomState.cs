using static TorchSharp.torch;

namespace Fersnet.Runtime;

/// <summary>
/// Puts libtorch's global random generator back, when disposed, where it was when created: for building modules whose
/// initial weights are overwritten at once (a loaded checkpoint), so that loading never shifts what a run seeded
/// before it draws.
/// </summary>
internal sealed class GlobalRandomState : IDisposable
{
    private readonly Tensor _saved = random.get_rng_state();

    public void Dispose()
    {
        random.set_rng_state(_saved);
        _saved.Dispose();
    }
}
