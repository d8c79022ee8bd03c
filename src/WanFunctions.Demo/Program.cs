using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;

// Usage: WanFunctions.Demo <api base url> <storage connection string> <output folder>
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: WanFunctions.Demo <api base url> <storage connection string> <output folder>");
    return 2;
}

var api = new HttpClient { BaseAddress = new Uri(args[0]) };
var blobs = new BlobServiceClient(args[1]);
var outputFolder = args[2];

// A private reference: the workflow hands it to the provider as a short-lived read-only SAS URL.
var references = blobs.GetBlobContainerClient("references");
await references.CreateIfNotExistsAsync();
await references.GetBlobClient("demo/guitar.png").UploadAsync(new BinaryData(TinyPng()), overwrite: true);
Console.WriteLine("Uploaded references/demo/guitar.png to Azurite (private container).");

var job = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "sample-job.json"));
using var accepted = await api.PostAsync("api/videos", new StringContent(job, Encoding.UTF8, "application/json"));
var acceptedBody = await accepted.Content.ReadAsStringAsync();
if (!accepted.IsSuccessStatusCode)
{
    Console.Error.WriteLine($"POST /api/videos answered {(int)accepted.StatusCode}: {acceptedBody}");
    return 1;
}

var start = JsonNode.Parse(acceptedBody)!;
var id = (string)start["id"]!;
Console.WriteLine($"202 Accepted: job {id}, up to {start["billedSecondsUpperBound"]} billed seconds");
Console.WriteLine($"  status: {accepted.Headers.Location}");

var lastLine = "";
JsonNode status;
while (true)
{
    status = (await api.GetFromJsonAsync<JsonNode>($"api/videos/{id}"))!;
    var progress = status["progress"];
    var line = $"  {status["status"],-9} phase={progress?["phase"]} provider={progress?["providerState"] ?? "-"} polls={progress?["polls"] ?? 0} next={progress?["nextPollAt"] ?? "-"}";
    if (line != lastLine)
    {
        Console.WriteLine(line);
        lastLine = line;
    }

    if ((string)status["status"]! is not ("Pending" or "Running"))
    {
        break;
    }

    await Task.Delay(1000);
}

if ((string)status["status"]! != "Succeeded")
{
    Console.Error.WriteLine($"The job ended {status["status"]}: {status["error"]?.ToJsonString()}");
    return 1;
}

var video = status["result"]!["video"]!;
var archived = blobs.GetBlobContainerClient((string)video["container"]!).GetBlobClient((string)video["blobName"]!);
Directory.CreateDirectory(outputFolder);
var file = Path.Combine(outputFolder, $"{id}.mp4");
await archived.DownloadToAsync(file);
var head = new byte[8];
await using (var stream = File.OpenRead(file))
{
    await stream.ReadExactlyAsync(head);
}

Console.WriteLine();
Console.WriteLine($"Archived in Azurite: {archived.Uri} ({video["bytes"]} bytes)");
Console.WriteLine($"Downloaded to:       {Path.GetFullPath(file)} ({new FileInfo(file).Length} bytes, MP4 box '{Encoding.ASCII.GetString(head, 4, 4)}')");
Console.WriteLine($"Provider task {status["result"]!["taskId"]}, usage {status["result"]!["usage"]?.ToJsonString()}");
return 0;

// A valid 1×1 PNG; the simulator only looks at the reference URL, never at the pixels.
static byte[] TinyPng() => Convert.FromBase64String(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
