using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;

// Usage: WanFunctions.Demo <api base url> <storage connection string> <output folder> [job.json] [files…]
// Each file is uploaded to the references container as references/<file name>; the job names it that way:
// { "blob": "references/<file name>" }. Without a job the bundled sample-job.json runs with its own reference.
// The same job is submitted over HTTP and uploaded as a *.job.json manifest (the local host's scanner starts that one).
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: WanFunctions.Demo <api base url> <storage connection string> <output folder> [job.json] [files...]");
    return 2;
}

var api = new HttpClient { BaseAddress = new Uri(args[0]) };
var blobs = new BlobServiceClient(args[1]);
var outputFolder = args[2];
var jobFile = args.Length > 3 ? args[3] : Path.Combine(AppContext.BaseDirectory, "sample-job.json");
var files = args.Skip(4).ToArray();

foreach (var path in files.Prepend(jobFile).Where(p => !File.Exists(p)))
{
    Console.Error.WriteLine($"No such file: {path}");
    return 2;
}

var job = await File.ReadAllTextAsync(jobFile);
try
{
    JsonDocument.Parse(job).Dispose();
}
catch (JsonException ex)
{
    Console.Error.WriteLine($"{jobFile} is not valid JSON: {ex.Message}");
    return 2;
}

// Private references: the workflow hands them to the provider as short-lived read-only SAS URLs.
var references = blobs.GetBlobContainerClient("references");
await references.CreateIfNotExistsAsync();
if (args.Length <= 3)
{
    await references.GetBlobClient("demo/guitar.png").UploadAsync(new BinaryData(TinyPng()), overwrite: true);
    Console.WriteLine("Uploaded references/demo/guitar.png to Azurite (private container).");
}

foreach (var path in files)
{
    var name = Path.GetFileName(path);
    await references.GetBlobClient(name).UploadAsync(path, overwrite: true);
    Console.WriteLine($"Uploaded {path} as references/{name} (name it in the job as {{ \"blob\": \"references/{name}\" }}).");
}

using var accepted = await api.PostAsync("api/videos", new StringContent(job, Encoding.UTF8, "application/json"));
var acceptedBody = await accepted.Content.ReadAsStringAsync();
if (!accepted.IsSuccessStatusCode)
{
    Console.Error.WriteLine($"POST /api/videos answered {(int)accepted.StatusCode}: {Problem(acceptedBody)}");
    return 1;
}

var start = JsonNode.Parse(acceptedBody)!;
var id = (string)start["id"]!;
Console.WriteLine($"202 Accepted: job {id}, up to {start["billedSecondsUpperBound"]} billed seconds");
Console.WriteLine($"  status: {accepted.Headers.Location}");

// The same job as an upload: the local host's scanner finds the manifest and starts it (receipt in job-state).
var manifestName = $"demo/run-{DateTime.UtcNow:yyyyMMdd-HHmmss}.job.json";
await references.GetBlobClient(manifestName).UploadAsync(BinaryData.FromString(job), overwrite: true);
Console.WriteLine($"Uploaded the same job as references/{manifestName}; waiting for the scanner to start it...");
var manifestJob = await WaitForReceiptAsync(blobs.GetBlobContainerClient("job-state").GetBlobClient($"uploads/references/{manifestName}.json"));
if (manifestJob is null)
{
    return 1;
}

var status = await FollowAsync(id, "http");
var manifestStatus = await FollowAsync(manifestJob, "upload");
var ok = true;
foreach (var (jobId, final) in new[] { (id, status), (manifestJob, manifestStatus) })
{
    ok &= await ReportAsync(jobId, final);
}

return ok ? 0 : 1;

async Task<string?> WaitForReceiptAsync(BlobClient receipt)
{
    for (var i = 0; i < 120; i++)
    {
        try
        {
            var body = JsonNode.Parse((await receipt.DownloadContentAsync()).Value.Content.ToString())!;
            if ((string?)body["jobId"] is { } jobId)
            {
                Console.WriteLine($"  the upload started job {jobId} (receipt: job-state/{receipt.Name})");
                return jobId;
            }

            Console.Error.WriteLine($"The manifest is not a valid job: {body["errors"]?.ToJsonString()}");
            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            await Task.Delay(500);
        }
    }

    Console.Error.WriteLine("No receipt after 60 s: is the local host's upload scanner on (UploadScan:Enabled)?");
    return null;
}

async Task<JsonNode> FollowAsync(string jobId, string label)
{
    var lastLine = "";
    while (true)
    {
        var current = (await api.GetFromJsonAsync<JsonNode>($"api/videos/{jobId}"))!;
        var progress = current["progress"];
        var line = $"  [{label}] {current["status"],-9} phase={progress?["phase"]} provider={progress?["providerState"] ?? "-"} polls={progress?["polls"] ?? 0} next={progress?["nextPollAt"] ?? "-"}";
        if (line != lastLine)
        {
            Console.WriteLine(line);
            lastLine = line;
        }

        if ((string)current["status"]! is not ("Pending" or "Running"))
        {
            return current;
        }

        await Task.Delay(1000);
    }
}

async Task<bool> ReportAsync(string jobId, JsonNode final)
{
    if ((string)final["status"]! != "Succeeded")
    {
        Console.Error.WriteLine($"Job {jobId} ended {final["status"]}: {final["error"]?.ToJsonString()}");
        return false;
    }

    var video = final["result"]!["video"]!;
    var archived = blobs.GetBlobContainerClient((string)video["container"]!).GetBlobClient((string)video["blobName"]!);
    Directory.CreateDirectory(outputFolder);
    var file = Path.Combine(outputFolder, $"{jobId}.mp4");
    await archived.DownloadToAsync(file);
    Console.WriteLine();
    Console.WriteLine($"Job {jobId}:");
    Console.WriteLine($"  archived in Azurite: {archived.Uri} ({video["bytes"]} bytes)");
    Console.WriteLine($"  downloaded to:       {Path.GetFullPath(file)} ({Describe(await File.ReadAllBytesAsync(file))})");
    Console.WriteLine($"  provider task {final["result"]!["taskId"]}, usage {final["result"]!["usage"]?.ToJsonString()}");
    return true;
}

// "1280x720, 10.00 s, H.264 + AAC": the track headers (tkhd) and the movie header (mvhd) of the MP4.
static string Describe(byte[] mp4)
{
    static uint U32(byte[] b, int at) => (uint)((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
    static int Find(byte[] b, string type, int from = 0) => b.AsSpan(from).IndexOf(Encoding.ASCII.GetBytes(type)) is var i and >= 0 ? i + from : -1;

    var mvhd = Find(mp4, "mvhd");
    var tkhd = Find(mp4, "tkhd");
    if (mvhd < 0 || tkhd < 0)
    {
        return $"{mp4.Length} bytes, not a readable MP4";
    }

    var seconds = (double)U32(mp4, mvhd + 20) / U32(mp4, mvhd + 16);
    var (width, height) = (U32(mp4, tkhd + 80) >> 16, U32(mp4, tkhd + 84) >> 16);
    var audio = Find(mp4, "soun") >= 0 ? " + AAC audio" : ", no audio";
    return $"{mp4.Length} bytes, {width}x{height}, {seconds:0.00} s, H.264{audio}";
}

// The API's 400 problem details, one line per field.
static string Problem(string body)
{
    try
    {
        var problem = JsonNode.Parse(body)!;
        var text = new StringBuilder($"{problem["title"]}");
        foreach (var (field, messages) in problem["errors"]?.AsObject() ?? [])
        {
            foreach (var message in messages!.AsArray())
            {
                text.Append("\n  ").Append(field).Append(": ").Append(message);
            }
        }

        return text.ToString();
    }
    catch (JsonException)
    {
        return body;
    }
}

// A valid 1×1 PNG; the simulator only looks at the reference URL, never at the pixels.
static byte[] TinyPng() => Convert.FromBase64String(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
