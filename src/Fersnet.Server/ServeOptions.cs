using Fersnet.Inference;

namespace Fersnet.Server;

/// <summary>How <c>fersnet serve</c> listens, what it accepts and how much work it takes at once. Each default is written here once.</summary>
public sealed record ServeOptions
{
    /// <summary>The default of <see cref="Urls"/>: loopback only.</summary>
    public const string LoopbackUrls = "http://127.0.0.1:5080";

    /// <summary>Where Kestrel listens: loopback only unless told otherwise.</summary>
    public string Urls { get; init; } = LoopbackUrls;

    /// <summary>Largest uploaded image, in bytes (the request body may be a little larger for the form's own fields).</summary>
    public long MaxUploadBytes { get; init; } = 20L << 20;

    /// <summary>Images with more pixels than this are refused from their header, before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = new RecognizerOptions().MaxPixels;

    /// <summary>Image requests worked on at once (each decodes, detects and runs the networks).</summary>
    public int Concurrency { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Image requests waiting for a worker; beyond it a request gets 503 with Retry-After.</summary>
    public int QueueLimit { get; init; } = 32;

    /// <summary>Time an image request may take, queueing included; then it is cancelled with 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The Retry-After of a 503 (seconds).</summary>
    public int RetryAfterSeconds { get; init; } = 2;

    /// <summary>Recognition checkpoint (null: the bundled FER2013 model).</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Synthesis checkpoint (null: the bundled one, <see cref="Imaging.ModelFiles.BundledSynthesisModel"/>).</summary>
    public string? SynthesisCheckpoint { get; init; }

    /// <summary>Bytes the multipart body may add around the image (boundaries, part headers, the small text fields).</summary>
    internal const long FormOverheadBytes = 64 << 10;

    /// <exception cref="ArgumentException">A limit that is not positive; the message names it.</exception>
    public void Validate()
    {
        if (MaxUploadBytes < 1) throw new ArgumentException("the upload limit must be positive");
        if (MaxPixels < 1) throw new ArgumentException("the pixel limit must be positive");
        if (Concurrency < 1) throw new ArgumentException("the concurrency must be at least 1");
        if (QueueLimit < 0) throw new ArgumentException("the queue limit must be 0 or more");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("the request timeout must be positive");
        if (RetryAfterSeconds < 1) throw new ArgumentException("Retry-After must be at least 1 second");
    }
}
