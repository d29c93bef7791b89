"""What functions would cost on AWS, from the published prices (us-east-1, x86), with the free tier apart."""
from __future__ import annotations

from dataclasses import dataclass

PRICE_PER_REQUEST = 0.20 / 1_000_000
# Duration tiers of the x86 price per GB-second: the first 6 billion GB-s, the next 9 billion, the rest.
DURATION_TIERS = ((6_000_000_000, 0.0000166667), (9_000_000_000, 0.000015), (float("inf"), 0.0000133334))
FREE_REQUESTS = 1_000_000  # per month, for ever
FREE_GB_SECONDS = 400_000


@dataclass
class CostEstimate:
    """A month's bill for this usage: requests and compute, before and after the free tier."""

    requests: int
    gb_seconds: float
    request_cost: float
    compute_cost: float
    free_tier_requests: int
    free_tier_gb_seconds: float
    cost_after_free_tier: float

    @property
    def cost(self) -> float:
        return self.request_cost + self.compute_cost

    def __str__(self) -> str:
        return (f"{self.requests:,} requests, {self.gb_seconds:,.3f} GB-s: ${self.cost:.8f} "
                f"(requests ${self.request_cost:.8f} + compute ${self.compute_cost:.8f}); "
                f"after the free tier ({self.free_tier_requests:,} requests and {self.free_tier_gb_seconds:,.0f} "
                f"GB-s a month): ${self.cost_after_free_tier:.8f}")


def gb_seconds(memory_mb: int, billed_duration_ms: float) -> float:
    """Lambda's compute unit: configured memory in GB times billed duration in seconds."""
    return memory_mb / 1024 * billed_duration_ms / 1000


def _compute(gb_s: float) -> float:
    cost, left = 0.0, gb_s
    for size, price in DURATION_TIERS:
        used = min(left, size)
        cost += used * price
        left -= used
        if left <= 0:
            break
    return cost


def estimate(requests: int, gb_s: float) -> CostEstimate:
    billable_requests = max(0, requests - FREE_REQUESTS)
    billable_gb_s = max(0.0, gb_s - FREE_GB_SECONDS)
    return CostEstimate(
        requests=requests, gb_seconds=gb_s, request_cost=requests * PRICE_PER_REQUEST, compute_cost=_compute(gb_s),
        free_tier_requests=FREE_REQUESTS, free_tier_gb_seconds=FREE_GB_SECONDS,
        cost_after_free_tier=billable_requests * PRICE_PER_REQUEST + _compute(billable_gb_s))
