"""Gateway overhead: the same completion sent directly to a backend and through LiteLLM, interleaved,
so both see the same machine load; reports medians and their ratio.

(Non-streamed; `llm-onprem bench` measures streamed requests, concurrency sweeps and percentiles.)
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import httpx

from llm_onprem.smoke import base_url


@dataclass
class Series:
    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    key: str


def ratio(gateway: Series, direct: Series) -> float:
    return gateway.median_ms / direct.median_ms


def timed_completion(client: httpx.Client, target: Target, model: str, max_tokens: int) -> float:
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Count from one to ten."}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 1,
    }
    start = time.perf_counter()
    response = client.post(
        f"{base_url(target.url)}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {target.key}"},
    )
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    if not response.json()["choices"][0]["message"]["content"]:
        raise RuntimeError(f"{target.name}: empty completion")
    return elapsed


def measure(
    direct: Target, gateway: Target, model: str, rounds: int, max_tokens: int
) -> tuple[Series, Series]:
    """Alternate direct/gateway requests (order flipped every round); one warm-up each first."""
    results = {direct.name: Series(direct.name), gateway.name: Series(gateway.name)}
    with httpx.Client(timeout=120) as client:
        for target in (direct, gateway):
            timed_completion(client, target, model, max_tokens)
        for i in range(rounds):
            pair = (direct, gateway) if i % 2 == 0 else (gateway, direct)
            for target in pair:
                results[target.name].seconds.append(timed_completion(client, target, model, max_tokens))
    return results[direct.name], results[gateway.name]
