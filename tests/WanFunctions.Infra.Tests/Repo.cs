namespace WanFunctions.Infra.Tests;

/// <summary>Paths in the repository, found by walking up from the test binaries to the folder holding WanFunctions.sln.</summary>
internal static class Repo
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string Infra => Path.Combine(Root, "infra");

    public static string InfraFile(params string[] parts) => Path.Combine([Infra, .. parts]);

    /// <summary>Every .bicep file under infra/ (build outputs excluded).</summary>
    public static IReadOnlyList<string> BicepFiles() =>
        Directory.EnumerateFiles(Infra, "*.bicep", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "node_modules"))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WanFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No WanFunctions.sln above {AppContext.BaseDirectory}.");
    }
}
