namespace OrdersApp.Api;

/// <summary>What a client posts: a customer, an amount, and optionally its own id for safe retries.</summary>
public sealed record NewOrder(string Customer, decimal Amount, Guid? RequestId = null);

/// <summary>A stored order.</summary>
public sealed record Order(long Id, Guid RequestId, string Customer, decimal Amount);
