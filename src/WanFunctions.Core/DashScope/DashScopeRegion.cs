namespace WanFunctions.DashScope;

/// <summary>Model Studio regions: the model, the endpoint and the API key must all belong to one.</summary>
public enum DashScopeRegion
{
    /// <summary>Global deployment, access point in US (Virginia): <c>https://dashscope-us.aliyuncs.com</c>.</summary>
    Global,

    /// <summary>International deployment, Singapore: <c>https://dashscope-intl.aliyuncs.com</c>.</summary>
    International,

    /// <summary>Chinese mainland, Beijing: <c>https://dashscope.aliyuncs.com</c>.</summary>
    ChineseMainland,
}
