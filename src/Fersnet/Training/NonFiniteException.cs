namespace Fersnet.Training;

/// <summary>
/// Training met a NaN or infinity (a loss, a gradient, a batch-norm buffer or an output). Training stops here
/// rather than silently continue on garbage; the message names the first non-finite quantity.
/// </summary>
public sealed class NonFiniteException(string message) : Exception(message);
