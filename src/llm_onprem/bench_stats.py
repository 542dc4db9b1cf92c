"""Statistics of a benchmark run: per-request samples in, percentiles and rates out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]), as numpy's default; NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside [0, 100]")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Sample:
    """One request: when it started and ended (seconds, monotonic), when its first token came, how many
    tokens it generated, and its error (empty when it succeeded)."""

    start: float
    end: float
    first_token: float | None
    output_tokens: int
    error: str = ""

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.start

    @property
    def inter_token(self) -> float | None:
        """Mean time between tokens after the first (decode speed seen by this client)."""
        if self.first_token is None or self.output_tokens < 2:
            return None
        return (self.end - self.first_token) / (self.output_tokens - 1)


@dataclass(frozen=True)
class Distribution:
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        mean = sum(values) / len(values) if values else math.nan
        return cls(percentile(values, 50), percentile(values, 95), percentile(values, 99), mean)


@dataclass(frozen=True)
class Summary:
    requests: int
    errors: int
    duration: float
    requests_per_s: float
    output_tokens_per_s: float
    latency: Distribution
    ttft: Distribution
    inter_token: Distribution

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def summarize(samples: Sequence[Sample]) -> Summary:
    """Rates use the wall time from the first start to the last end; distributions use successes only."""
    ok = [s for s in samples if not s.error]
    duration = (max(s.end for s in samples) - min(s.start for s in samples)) if samples else 0.0
    tokens = sum(s.output_tokens for s in ok)
    return Summary(
        requests=len(samples),
        errors=len(samples) - len(ok),
        duration=duration,
        requests_per_s=len(ok) / duration if duration > 0 else math.nan,
        output_tokens_per_s=tokens / duration if duration > 0 else math.nan,
        latency=Distribution.of([s.latency for s in ok]),
        ttft=Distribution.of([t for s in ok if (t := s.ttft) is not None]),
        inter_token=Distribution.of([t for s in ok if (t := s.inter_token) is not None]),
    )
