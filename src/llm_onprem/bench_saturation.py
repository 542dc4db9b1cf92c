"""What a gateway costs per request and how many requests per second it carries: added latency at one
client and saturation (closed-loop clients at rising counts), for several targets measured in one run,
interleaved, one-token completions (`max_tokens` 1) non-streamed and streamed.

Targets are typically a backend directly, a plain proxy hop in front of it (the floor: what any extra
hop costs) and the gateway in front of it in one or more configurations. A level of `c` clients runs
`c` closed loops (each sends its next request when the last one ends) for a few seconds per target,
the targets alternating in rounds so that every one sees the same machine state. The saturation
throughput is the highest requests/s of any level; the knee is the fewest clients that reach 90 % of
it: past it more clients only queue (their latency grows, the throughput does not).

It runs where the targets are (`llm-onprem gateway-cost` runs it on the gateway host, against
127.0.0.1) and needs only httpx and the standard library: `python -m llm_onprem.bench_saturation`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from llm_onprem.bench import Target, Workload, one_request
from llm_onprem.bench_stats import Sample, summarize
from llm_onprem.smoke import read_key

KNEE_SHARE = 0.9
PROMPT = "Say ok."


@dataclass(frozen=True)
class Point:
    """One level of closed-loop clients against one target."""

    concurrency: int
    requests: int
    errors: int
    requests_per_s: float
    latency_p50_ms: float
    latency_p95_ms: float
    ttft_p50_ms: float
    failures: dict[str, int] = field(default_factory=dict)  # error text -> count


@dataclass(frozen=True)
class Saturation:
    requests_per_s: float  # the highest of any level
    knee: int  # the fewest clients reaching KNEE_SHARE of it


def saturation(points: Sequence[Point]) -> Saturation:
    """The saturation throughput and the knee of a curve (points in any order)."""
    if not points:
        raise ValueError("no levels measured")
    best = max(p.requests_per_s for p in points)
    knee = min(p.concurrency for p in points if p.requests_per_s >= KNEE_SHARE * best)
    return Saturation(best, knee)


def point(concurrency: int, samples: Sequence[Sample], seconds: float) -> Point:
    """A level's figures from its samples and the seconds its target was loaded (the sum of its turns:
    the other targets' turns in between do not count)."""
    summary = summarize(samples)
    ok = summary.requests - summary.errors
    return Point(
        concurrency=concurrency,
        requests=summary.requests,
        errors=summary.errors,
        requests_per_s=ok / seconds if seconds > 0 else float("nan"),
        latency_p50_ms=1000 * summary.latency.p50,
        latency_p95_ms=1000 * summary.latency.p95,
        ttft_p50_ms=1000 * summary.ttft.p50,
        failures=dict(Counter(s.error[:120] for s in samples if s.error).most_common(5)),
    )


async def closed_loop(
    client: httpx.AsyncClient, target: Target, work: Workload, concurrency: int, seconds: float
) -> list[Sample]:
    """`concurrency` clients, each sending its next request when its last one ended, for `seconds`."""
    deadline = time.perf_counter() + seconds

    async def loop() -> list[Sample]:
        done: list[Sample] = []
        while time.perf_counter() < deadline:
            done.append(await one_request(client, target, work))
        return done

    runs = await asyncio.gather(*(loop() for _ in range(concurrency)))
    return [s for run in runs for s in run]


async def run_saturation(
    targets: Sequence[Target], work: Workload, levels: Sequence[int], seconds: float, rounds: int = 2
) -> dict[str, list[Point]]:
    """Per target, one Point per level; each level alternates the targets over `rounds` rounds of
    `seconds / rounds` each (the order flipped every round)."""
    curves: dict[str, list[Point]] = {t.name: [] for t in targets}
    limits = httpx.Limits(max_connections=max(levels) * 2, max_keepalive_connections=max(levels) * 2)
    async with httpx.AsyncClient(timeout=work.timeout, limits=limits) as client:
        for target in targets:
            await one_request(client, target, work)  # warm-up: connections, caches
        for level in levels:
            samples: dict[str, list[Sample]] = {t.name: [] for t in targets}
            busy = dict.fromkeys(samples, 0.0)
            for turn in range(rounds):
                order = list(targets) if turn % 2 == 0 else list(reversed(targets))
                for target in order:
                    began = time.perf_counter()
                    samples[target.name] += await closed_loop(client, target, work, level, seconds / rounds)
                    busy[target.name] += time.perf_counter() - began
            for name, got in samples.items():
                curves[name].append(point(level, got, busy[name]))
                p = curves[name][-1]
                print(
                    f"[saturation] {'streamed' if work.stream else 'non-streamed'} {level:>3} client(s) "
                    f"{name:<24} {p.requests_per_s:7.1f} req/s  p50 {p.latency_p50_ms:7.1f} ms"
                    + (f"  {p.errors} failed: {p.failures}" if p.errors else ""),
                    file=sys.stderr,
                    flush=True,
                )
    return curves


async def one_client(
    targets: Sequence[Target], work: Workload, requests: int, gap: float
) -> dict[str, dict[str, float]]:
    """Latency and TTFT p50/p95 (ms) at one client: `requests` per target, interleaved request by
    request (the order flipped every round), `gap` seconds of quiet after each, so that a request
    meets a gateway done with the last one's work (LiteLLM logs and counts a request after answering
    it): what one request adds, not what queueing behind another adds."""
    samples: dict[str, list[Sample]] = {t.name: [] for t in targets}
    async with httpx.AsyncClient(timeout=work.timeout) as client:
        for target in targets:
            await one_request(client, target, work)  # warm-up
            await asyncio.sleep(gap)
        for turn in range(requests):
            for target in targets if turn % 2 == 0 else list(reversed(targets)):
                samples[target.name].append(await one_request(client, target, work))
                await asyncio.sleep(gap)
    out = {}
    for name, got in samples.items():
        s = summarize(got)
        out[name] = {
            "requests": s.requests,
            "errors": s.errors,
            "latency_p50_ms": 1000 * s.latency.p50,
            "latency_p95_ms": 1000 * s.latency.p95,
            "ttft_p50_ms": 1000 * s.ttft.p50,
        }
    return out


def measure(
    targets: Sequence[Target],
    model: str,
    levels: Sequence[int],
    seconds: float,
    requests: int,
    gap: float,
    streams: Sequence[bool] = (False, True),
) -> dict[str, object]:
    """Both modes: one client's latency, then the saturation curves (the report's JSON)."""
    report: dict[str, object] = {
        "targets": [t.name for t in targets],
        "levels": list(levels),
        "gap_ms": 1000 * gap,
    }
    for stream in streams:
        work = Workload(model, max_tokens=1, prompt=PROMPT, timeout=60, stream=stream)
        mode = "streamed" if stream else "non_streamed"
        print(f"[saturation] {mode}: 1 client, {requests} requests per target", file=sys.stderr, flush=True)
        latency = asyncio.run(one_client(targets, work, requests, gap))
        curves = asyncio.run(run_saturation(targets, work, levels, seconds))
        report[mode] = {
            name: {
                "one_client": latency[name],
                "curve": [asdict(p) for p in curves[name]],
                "saturation": asdict(saturation(curves[name])),
            }
            for name in latency
        }
    return report


def parse_target(spec: Sequence[str]) -> Target:
    """NAME URL KEY: KEY is `-` (no key), FILE (a bare key, `sk-` added) or FILE:VARIABLE (a dotenv's
    variable, taken as it is)."""
    name, url, key = spec
    if key == "-":
        return Target(name, url, "")
    path, sep, variable = key.partition(":")
    if sep:
        return Target(name, url, read_key(Path(path), variable, prefix=""))
    return Target(name, url, read_key(Path(path)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llm_onprem.bench_saturation", description=__doc__)
    parser.add_argument(
        "--target", nargs=3, action="append", required=True, metavar=("NAME", "URL", "KEY"),
        help="a target (repeatable); KEY: - for none, FILE for a bare key, FILE:VARIABLE in a dotenv file",
    )  # fmt: skip
    parser.add_argument("--model", required=True)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--seconds", type=float, default=4, help="per target and level (bound)")
    parser.add_argument("--requests", type=int, default=100, help="per target at one client (bound)")
    parser.add_argument(
        "--gap", type=float, default=0.03, help="seconds of quiet after each request at one client"
    )
    parser.add_argument(
        "--modes", nargs="+", choices=["non_streamed", "streamed"], default=["non_streamed", "streamed"]
    )
    parser.add_argument("--out", type=Path, required=True, help="the JSON report")
    args = parser.parse_args(argv)
    if any(level < 1 for level in args.levels) or args.seconds <= 0 or args.requests < 1 or args.gap < 0:
        parser.error("--levels >= 1, --seconds > 0, --requests >= 1 and --gap >= 0")
    try:
        targets = [parse_target(spec) for spec in args.target]
    except (OSError, ValueError) as error:
        print(f"bench_saturation: key: {error}", file=sys.stderr)
        return 2
    streams = [mode == "streamed" for mode in args.modes]
    report = measure(targets, args.model, args.levels, args.seconds, args.requests, args.gap, streams)
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
