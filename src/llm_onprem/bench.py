"""`llm-onprem bench`: a bounded async load generator for any OpenAI-compatible endpoint.

Every request is a streamed chat completion, so one request yields its latency, its time to first
token and its inter-token latency. A concurrency level runs in *waves*: `c` requests at once, again
until `requests` per target have run or `duration` has passed. With two targets (the gateway and a
backend directly), the waves alternate between them (order flipped every wave), so both see the same
machine state and their ratio is measured within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from llm_onprem import smoke
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
    # False: one JSON response per request (its time to first token is then its latency).
    stream: bool = True
    # CA certificates for HTTPS targets (None: the system's).
    ca_file: str | None = None


@dataclass
class LevelResult:
    concurrency: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def summary(self, target: str) -> Summary:
        return summarize(self.samples[target])


async def one_request(client: httpx.AsyncClient, target: Target, work: Workload) -> Sample:
    if not work.stream:
        return await one_plain_request(client, target, work)
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
                return Sample(start, time.perf_counter(), None, 0, http_error(response))
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


async def one_plain_request(client: httpx.AsyncClient, target: Target, work: Workload) -> Sample:
    body = {
        "model": work.model,
        "messages": [{"role": "user", "content": work.prompt}],
        "max_tokens": work.max_tokens,
        "temperature": 0,
    }
    headers = {"Authorization": f"Bearer {target.key}"} if target.key else {}
    start = time.perf_counter()
    try:
        response = await client.post(
            f"{base_url(target.url)}/v1/chat/completions", json=body, headers=headers
        )
        end = time.perf_counter()
        if response.status_code != 200:
            return Sample(start, end, None, 0, http_error(response))
        payload = response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as error:
        return Sample(start, time.perf_counter(), None, 0, f"{type(error).__name__}: {error}")
    if not (payload["choices"][0]["message"].get("content") or "").strip():
        return Sample(start, end, None, 0, "empty completion")
    tokens = int((payload.get("usage") or {}).get("completion_tokens") or 0)
    return Sample(start, end, end, tokens)


def http_error(response: httpx.Response) -> str:
    """A failed request's error: its status and the start of its body (the reason, in the reports)."""
    return f"HTTP {response.status_code}: {' '.join(response.text.split())[:160]}"


Progress = Callable[[str, int, int], None]


async def run_level(
    targets: Sequence[Target],
    work: Workload,
    concurrency: int,
    requests: int,
    duration: float,
    progress: Progress | None = None,
    stop_file: Path | None = None,
) -> LevelResult:
    """Waves of `concurrency` requests per target, alternating targets, until `requests` per target
    have completed, `duration` seconds have passed or `stop_file` exists (the wave in flight
    finishes)."""
    result = LevelResult(concurrency, {t.name: [] for t in targets})
    limits = httpx.Limits(
        max_connections=concurrency * len(targets), max_keepalive_connections=concurrency * 2
    )
    async with httpx.AsyncClient(
        timeout=work.timeout, limits=limits, verify=smoke.tls_verify(work.ca_file)
    ) as client:
        # Warm-up: one request per target (connections, model caches), not recorded.
        for target in targets:
            await one_request(client, target, work)
        deadline = time.perf_counter() + duration
        wave = 0
        while go_on(result, requests, deadline, stop_file):
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


def go_on(result: LevelResult, requests: int, deadline: float, stop_file: Path | None = None) -> bool:
    """Whether a level runs another wave: requests left on some target, time left before `deadline`
    (time.perf_counter()), and `stop_file` (when given) not created yet."""
    if stop_file is not None and stop_file.exists():
        return False
    return min(len(s) for s in result.samples.values()) < requests and time.perf_counter() < deadline


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the gateway (or any endpoint)")
    parser.add_argument("--key-file", required=True, help="its key (as for smoke)")
    parser.add_argument(
        "--ca-file",
        default=os.environ.get("SSL_CERT_FILE") or None,
        help="CA certificates for HTTPS URLs (default $SSL_CERT_FILE, else the system's)",
    )
    parser.add_argument(
        "--key-prefix", default="sk-", help="added to a key without it ('' for a backend's key)"
    )
    parser.add_argument("--name", default="gateway", help="label of --url in the reports")
    parser.add_argument(
        "--key-target",
        action="append",
        default=[],
        metavar="NAME=KEY_FILE",
        help="--url again with another key, in the same run (e.g. a virtual key's file against the "
        "master key: what DB-mode auth adds); repeatable",
    )
    parser.add_argument("--direct-url", help="a backend, benchmarked in the same run, interleaved")
    parser.add_argument(
        "--direct-key-file", help="the backend's key: a bare key or a dotenv with LLM_BACKEND_API_KEY="
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4], help="client counts to sweep")
    parser.add_argument("--requests", type=int, default=16, help="requests per target and level (bound)")
    parser.add_argument("--duration", type=float, default=120, help="seconds per level at most (bound)")
    parser.add_argument(
        "--stop-file",
        type=Path,
        help="end the level once this file exists (after the wave in flight): load for as long as "
        "something run beside the bench takes, still bounded by --requests and --duration",
    )
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--out", default="bench-results", help="directory for the reports")
    parser.add_argument("--stem", default="bench", help="file name of the reports, without extension")
    parser.add_argument(
        "--no-stream", action="store_true", help="non-streamed requests (TTFT is then the whole latency)"
    )


def main_with(args: argparse.Namespace) -> int:
    from llm_onprem import bench_report

    try:
        key = smoke.read_key(Path(args.key_file), prefix=args.key_prefix)
        targets = [Target(args.name, args.url, key)]
        for spec in args.key_target:
            name, sep, path = spec.partition("=")
            if not sep or not name or not path or name in (args.name, "direct"):
                raise ValueError(f"--key-target {spec!r}: NAME=KEY_FILE with a new NAME")
            targets.append(Target(name, args.url, smoke.read_key(Path(path), prefix=args.key_prefix)))
        if args.direct_url:
            direct_key = (
                smoke.read_key(Path(args.direct_key_file), "LLM_BACKEND_API_KEY", prefix="")
                if args.direct_key_file
                else ""
            )
            targets.append(Target("direct", args.direct_url, direct_key))
    except (OSError, ValueError) as error:
        print(f"bench: key file: {error}", file=sys.stderr)
        return 2
    work = Workload(
        args.model, args.max_tokens, timeout=args.timeout, stream=not args.no_stream, ca_file=args.ca_file
    )
    levels = []
    for c in args.concurrency:
        progress = stderr_progress(f"{c} client(s)")
        level = run_level(targets, work, c, args.requests, args.duration, progress, args.stop_file)
        levels.append(asyncio.run(level))
    urls = {t.name: t.url for t in targets}
    paths = bench_report.write(Path(args.out), args.stem, levels, work, urls)
    print(bench_report.to_markdown(levels, work, urls))
    print("wrote " + ", ".join(str(p) for p in paths))
    errors = sum(lv.summary(t).errors for lv in levels for t in urls)
    if errors:
        print(f"bench: {errors} request(s) failed (see the JSON report)", file=sys.stderr)
    return 1 if errors else 0
