using System.Security.Cryptography;
using System.Text.Json;
using Fersnet.Serialization;
using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Runtime;

namespace Fersnet.Training;

/// <summary>One epoch's figures, as logged to metrics.jsonl and kept in the checkpoint for the curves.</summary>
public sealed record EpochMetrics(
    int Epoch,
    double LearningRate,
    double Seconds,
    double ImagesPerSecond,
    double TrainLoss,
    double TrainAccuracy,
    IReadOnlyDictionary<string, double> Terms,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? ValidationMacroF1,
    IReadOnlyList<double>? MeanGates);

/// <summary>The readable part of a checkpoint: everything but the tensors.</summary>
public sealed record CheckpointHeader(
    ModelConfig Model,
    TrainConfig Train,
    DataConfig? Data,
    IReadOnlyList<Expression> Labels,
    int Epoch,
    double BestMetric,
    int BestEpoch,
    IReadOnlyList<EpochMetrics> History,
    DateTime SavedUtc);

/// <summary>A checkpoint file that cannot be used; the message names the file and the problem.</summary>
public sealed class CheckpointException(string path, string problem, Exception? inner = null) : Exception($"{path}: {problem}", inner);

/// <summary>
/// Checkpoint files: a header (JSON) and named binary sections (module and optimiser states, RNG states),
/// with a SHA-256 of the whole so a truncated or damaged file is reported, not half-loaded. Written to a
/// temporary file and renamed, so a run killed mid-write keeps its previous checkpoint. Format 3 stores the body as four
/// byte planes (every float's first bytes together, then its second bytes, …), zlib-compressed: lossless, and the
/// planes of exponents and high mantissa bytes compress well where whole floats hardly do (a width-32 FER2013 run's
/// resumable state: 21.3 MB raw, 19.5 MB zlib alone, 17.8 MB with the planes), which keeps it under the repository's
/// 20 MB per file. Formats 1 (uncompressed) and 2 (zlib alone) are read as before.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "FERSNET-CKPT"u8.ToArray();
    private const int FormatVersion = 3;
    private const int UncompressedFormat = 1;
    private const int CompressedFormat = 2;

    public static void Save(string path, CheckpointHeader header, IReadOnlyDictionary<string, byte[]> sections)
    {
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(JsonSerializer.Serialize(header, FersnetJson.Options));
            writer.Write(sections.Count);
            foreach (var (name, bytes) in sections)
            {
                writer.Write(name);
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
        }
        var body = Compress(ToBytePlanes(payload.ToArray()));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        using (var writer = new BinaryWriter(file))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write((long)body.Length);
            writer.Write(body);
            writer.Write(SHA256.HashData(body));
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The sections that are weights: what a warm start, <c>predict</c> and <c>synthesize</c> read.</summary>
    public static readonly IReadOnlyList<string> WeightSections = ["model", "discriminator"];

    /// <summary>
    /// Writes the weights of <paramref name="source"/> alone (<see cref="WeightSections"/>, header unchanged) to
    /// <paramref name="destination"/>: a run's last.ckpt without the optimiser and RNG states a resume needs (nor the
    /// second copy of the best weights that older runs kept in it), small enough for models/, and with the
    /// discriminator a best.ckpt leaves out (a synthesis fine-tune warm-started from it keeps the adversary the
    /// generator was trained against).
    /// </summary>
    /// <returns>The sections written.</returns>
    /// <exception cref="CheckpointException">The source is missing, damaged or holds no model weights.</exception>
    public static IReadOnlyList<string> Export(string source, string destination)
    {
        var (header, sections) = Load(source);
        if (!sections.ContainsKey("model")) throw new CheckpointException(source, "has no model weights");
        var kept = WeightSections.Where(sections.ContainsKey).ToDictionary(name => name, name => sections[name]);
        Save(destination, header, kept);
        return kept.Keys.ToArray();
    }

    /// <summary>The model a checkpoint holds, its weights loaded (on the CPU, in training mode), and its header; the
    /// global random generator is left as it was.</summary>
    /// <exception cref="CheckpointException">Missing, damaged or mismatched checkpoint; the message names the file.</exception>
    public static (MultiTaskModel Model, CheckpointHeader Header) LoadModel(string path)
    {
        var (header, sections) = Load(path);
        if (!sections.TryGetValue("model", out var weights)) throw new CheckpointException(path, "has no model weights");
        // Building the modules draws initial weights (overwritten at once) from the global generator: put it back, so
        // loading a model (a judge, a classifier) never changes what a run seeded before it draws.
        MultiTaskModel model;
        using (new GlobalRandomState()) model = ModelFactory.Create(header.Model);
        try
        {
            ModelState.Into(model, weights, "model weights");
        }
        catch (InvalidDataException e)
        {
            model.Dispose();
            throw new CheckpointException(path, e.Message, e);
        }
        return (model, header);
    }

    public static (CheckpointHeader Header, IReadOnlyDictionary<string, byte[]> Sections) Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "does not exist");
        byte[] all;
        try { all = File.ReadAllBytes(path); }
        catch (IOException e) { throw new CheckpointException(path, $"cannot be read ({e.Message})", e); }

        int headerSize = Magic.Length + 4 + 8;
        if (all.Length < headerSize || !all.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, "is not a Fersnet checkpoint (bad magic)");
        int version = BitConverter.ToInt32(all, Magic.Length);
        if (version is not (FormatVersion or CompressedFormat or UncompressedFormat))
            throw new CheckpointException(path, $"has format version {version}; this build reads {UncompressedFormat} to {FormatVersion}");
        long length = BitConverter.ToInt64(all, Magic.Length + 4);
        if (length < 0 || headerSize + length + 32 != all.Length)
            throw new CheckpointException(path, $"is truncated or damaged ({all.Length} bytes, expected {headerSize + length + 32})");
        var body = all.AsSpan(headerSize, (int)length);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(all.AsSpan(headerSize + (int)length, 32)))
            throw new CheckpointException(path, "is damaged (checksum mismatch)");

        try
        {
            var payload = version switch
            {
                FormatVersion => FromBytePlanes(Decompress(body)),
                CompressedFormat => Decompress(body),
                _ => body.ToArray(),
            };
            using var reader = new BinaryReader(new MemoryStream(payload));
            var header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString(), FersnetJson.Options)
                         ?? throw new CheckpointException(path, "has an empty header");
            int count = reader.ReadInt32();
            var sections = new Dictionary<string, byte[]>();
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                sections[name] = reader.ReadBytes(reader.ReadInt32());
            }
            return (header, sections);
        }
        catch (Exception e) when (e is JsonException or EndOfStreamException or NotSupportedException or InvalidDataException)
        {
            throw new CheckpointException(path, $"has an unreadable header or section ({e.Message})", e);
        }
    }

    /// <summary>Byte k of every 4-byte word into plane k (planes in order, the last len % 4 bytes as they are).</summary>
    internal static byte[] ToBytePlanes(byte[] data)
    {
        int words = data.Length / 4;
        var planes = new byte[data.Length];
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < words; i++) planes[k * words + i] = data[4 * i + k];
        Array.Copy(data, 4 * words, planes, 4 * words, data.Length - 4 * words);
        return planes;
    }

    /// <summary>The inverse of <see cref="ToBytePlanes"/>.</summary>
    internal static byte[] FromBytePlanes(byte[] planes)
    {
        int words = planes.Length / 4;
        var data = new byte[planes.Length];
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < words; i++) data[4 * i + k] = planes[k * words + i];
        Array.Copy(planes, 4 * words, data, 4 * words, planes.Length - 4 * words);
        return data;
    }

    private static byte[] Compress(byte[] body)
    {
        var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(body);
        return compressed.ToArray();
    }

    private static byte[] Decompress(ReadOnlySpan<byte> compressed)
    {
        using var zlib = new System.IO.Compression.ZLibStream(new MemoryStream(compressed.ToArray()), System.IO.Compression.CompressionMode.Decompress);
        var body = new MemoryStream();
        zlib.CopyTo(body);
        return body.ToArray();
    }
}
