namespace Slipway;

/// <summary>A mistake the user can fix. The message says what is wrong and what to do next; the CLI prints it
/// without a stack trace and exits 1, the API answers it as a 4xx ProblemDetails.</summary>
internal sealed class UserException(string message, int statusCode = 400) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
