namespace WanFunctions.Workflow;

/// <summary>A video that must not be archived (host not allowed, URL expired, task not succeeded): retrying will not help.</summary>
public sealed class ArchiveRejectedException(string message) : Exception(message);
