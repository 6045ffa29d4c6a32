using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Fersnet.Training;

/// <summary>Module, optimiser and RNG states to and from the byte sections of a checkpoint.</summary>
public static class ModelState
{
    public static byte[] Of(nn.Module module)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) module.save(writer);
        return stream.ToArray();
    }

    public static void Into(nn.Module module, byte[] state, string what)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(state));
            module.load(reader, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{what} does not match this model ({e.Message})", e);
        }
    }

    public static byte[] Of(OptimizerHelper optimizer)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(writer);
        return stream.ToArray();
    }

    public static void Into(OptimizerHelper optimizer, byte[] state)
    {
        using var reader = new BinaryReader(new MemoryStream(state));
        optimizer.load_state_dict(reader);
    }

    public static byte[] Of(Tensor rngState) => rngState.data<byte>().ToArray();

    public static Tensor RngTensor(byte[] bytes) => tensor(bytes, ScalarType.Byte);
}
