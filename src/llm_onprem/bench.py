"""`llm-onprem bench`: a bounded async load generator for any OpenAI-compatible endpoint.

Every request is a streamed chat completion, so one request yields its latency, its time to first
token and its inter-token latency. A concurrency level runs in *waves*: `c` requests at once, again
until `requests` per target have run or `duration` has passed. With two targets (the gateway and a
backend directly), the waves alternate between them (order flipped every wave), so both see the same
machine state and their ratio is measured within one run.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from llm_onprem.bench_stats import Sample, Summary, summarize
from llm_onprem.smoke import base_url

PROMPT = "Count from one to one hundred, in words, separated by commas."


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    key: str


@dataclass(frozen=True)
class Workload:
    model: str
    max_tokens: int = 32
    prompt: str = PROMPT
    timeout: float = 120


@dataclass
class LevelResult:
    concurrency: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def summary(self, target: str) -> Summary:
        return summarize(self.samples[target])


async def one_request(client: httpx.AsyncClient, target: Target, work: Workload) -> Sample:
    body = {
        "model": work.model,
        "messages": [{"role": "user", "content": work.prompt}],
        "max_tokens": work.max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"Authorization": f"Bearer {target.key}"} if target.key else {}
    start = time.perf_counter()
    first: float | None = None
    chunks = 0
    usage_tokens: int | None = None
    try:
        async with client.stream(
            "POST", f"{base_url(target.url)}/v1/chat/completions", json=body, headers=headers
        ) as response:
            if response.status_code != 200:
                await response.aread()
                return Sample(start, time.perf_counter(), None, 0, f"HTTP {response.status_code}")
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    break
                event = json.loads(data)
                if event.get("usage"):
                    usage_tokens = int(event["usage"].get("completion_tokens") or 0)
                choices = event.get("choices") or []
                if choices and (choices[0].get("delta") or {}).get("content"):
                    chunks += 1
                    if first is None:
                        first = time.perf_counter()
    except (httpx.HTTPError, json.JSONDecodeError) as error:
        return Sample(start, time.perf_counter(), first, chunks, f"{type(error).__name__}: {error}")
    end = time.perf_counter()
    tokens = usage_tokens if usage_tokens else chunks
    if first is None:
        return Sample(start, end, None, 0, "no content streamed")
    return Sample(start, end, first, tokens)


Progress = Callable[[str, int, int], None]


async def run_level(
    targets: Sequence[Target],
    work: Workload,
    concurrency: int,
    requests: int,
    duration: float,
    progress: Progress | None = None,
) -> LevelResult:
    """Waves of `concurrency` requests per target, alternating targets, until `requests` per target
    have completed or `duration` seconds have passed (the wave in flight finishes)."""
    result = LevelResult(concurrency, {t.name: [] for t in targets})
    limits = httpx.Limits(
        max_connections=concurrency * len(targets), max_keepalive_connections=concurrency * 2
    )
    async with httpx.AsyncClient(timeout=work.timeout, limits=limits) as client:
        # Warm-up: one request per target (connections, model caches), not recorded.
        for target in targets:
            await one_request(client, target, work)
        deadline = time.perf_counter() + duration
        wave = 0
        while min(len(s) for s in result.samples.values()) < requests and time.perf_counter() < deadline:
            order = list(targets) if wave % 2 == 0 else list(reversed(targets))
            for target in order:
                done = len(result.samples[target.name])
                size = min(concurrency, requests - done)
                if size <= 0:
                    continue
                batch = await asyncio.gather(*(one_request(client, target, work) for _ in range(size)))
                result.samples[target.name].extend(batch)
                if progress:
                    progress(target.name, len(result.samples[target.name]), requests)
            wave += 1
    return result


def stderr_progress(label: str) -> Progress:
    """A one-line progress bar on a terminal; a line per quarter in logs."""
    tty = sys.stderr.isatty()
    last: dict[str, int] = {}

    def show(target: str, done: int, total: int) -> None:
        width = 24
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "." * (width - filled)
        text = f"[bench] {label} {target:<8} [{bar}] {done}/{total}"
        if tty:
            sys.stderr.write("\r" + text + ("\n" if done >= total else ""))
            sys.stderr.flush()
            return
        quarter = 4 * done // total if total else 4
        if quarter != last.get(target):
            last[target] = quarter
            sys.stderr.write(text + "\n")

    return show
