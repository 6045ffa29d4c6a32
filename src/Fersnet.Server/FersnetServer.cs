using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fersnet.Server;

/// <summary>
/// <c>fersnet serve</c>: one static page and the HTTP API (minimal API, OpenAPI at /openapi/v1.json), built on ASP.NET Core's
/// own pieces: problem details for every error, concurrency limiters (requests in flight, and <see cref="Workers"/>
/// with a queue; 503 + Retry-After when full),
/// request timeouts (504), Kestrel's and the form reader's body limits. docs/serve.md describes the API.
/// </summary>
public static class FersnetServer
{
    /// <summary>
    /// The application, models loaded, not started: <c>RunAsync()</c> serves on <see cref="ServeOptions.Urls"/>.
    /// Production environment (no developer page, no stack trace in any answer); logs warnings and errors one line each.
    /// </summary>
    /// <param name="models">models already loaded (the caller keeps and disposes them); null: loaded here, disposed when the application stops</param>
    /// <exception cref="ArgumentException">An option out of range.</exception>
    /// <exception cref="Training.CheckpointException">A model cannot be loaded.</exception>
    public static WebApplication Build(ServeOptions options, ServerModels? models = null)
    {
        options.Validate();
        ReserveThreads(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
            ApplicationName = typeof(FersnetServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (Environment.GetEnvironmentVariable("FERSNET_DEBUG") != "1")
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new OneLineLoggerProvider());
            // The command reports a failure to start in one line of its own.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        }
        long bodyLimit = options.MaxUploadBytes + ServeOptions.FormOverheadBytes;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = bodyLimit;
        });
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = bodyLimit;
            f.ValueCountLimit = 16;
            f.ValueLengthLimit = 1024;
            f.MultipartHeadersLengthLimit = 4096;
        });
        builder.Services.AddSingleton(options);
        bool owned = models is null;
        models ??= ServerModels.Load(options);
        builder.Services.AddSingleton(models);
        // Problems without a detail of their own (routing's 404, 405 and 415, the exception handler's 500) get one line saying why.
        builder.Services.AddProblemDetails(p => p.CustomizeProblemDetails = c => c.ProblemDetails.Detail ??= c.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => $"no such page or endpoint: {c.HttpContext.Request.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{c.HttpContext.Request.Method} is not allowed on {c.HttpContext.Request.Path}",
            StatusCodes.Status415UnsupportedMediaType => $"send multipart/form-data with the image in the field '{Upload.ImageField}'",
            StatusCodes.Status500InternalServerError => "the server failed on this request; it is logged, and other requests are unaffected",
            _ => null,
        });
        builder.Services.AddOpenApi();
        builder.Services.AddRequestTimeouts(t => t.AddPolicy(Api.WorkPolicy, new RequestTimeoutPolicy
        {
            Timeout = options.RequestTimeout,
            TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            WriteTimeoutResponse = context => WriteProblem(context, StatusCodes.Status504GatewayTimeout, "Timed out",
                $"the request took longer than {options.RequestTimeout.TotalSeconds:0.###} s (queueing included) and was cancelled"),
        }));
        // Requests in flight (uploads being read included) are bounded here: beyond workers + queue, 503 at once.
        builder.Services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            r.AddConcurrencyLimiter(Api.WorkPolicy, c =>
            {
                c.PermitLimit = options.Concurrency + options.QueueLimit;
                c.QueueLimit = 0;
            });
            r.OnRejected = async (rejected, _) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteProblem(rejected.HttpContext, StatusCodes.Status503ServiceUnavailable, "Busy", Workers.BusyDetail(options));
            };
        });
        builder.Services.AddSingleton<Workers>();

        var app = builder.Build();
        if (owned) app.Lifetime.ApplicationStopped.Register(models.Dispose);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'";
            headers.XFrameOptions = "DENY";
            await next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseRequestTimeouts();
        app.UseRateLimiter();
        app.MapOpenApi();
        Api.Map(app);
        return app;
    }

    /// <summary>
    /// The workers decode images and run the networks on thread-pool threads and hold them while they do. With the pool's
    /// default minimum (one thread per core) busy workers leave none for what must not wait: the request timeouts'
    /// timers, reading uploads, the 503 answers; the pool then adds a thread about every half second. So the pool keeps
    /// a thread per worker on top of its minimum (raised, never lowered).
    /// </summary>
    private static void ReserveThreads(ServeOptions options)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        int wanted = options.Concurrency + Environment.ProcessorCount;
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    private static Task WriteProblem(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        return writer.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}
