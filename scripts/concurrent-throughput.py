#!/usr/bin/env python3
"""Aggregate generation throughput of an OpenAI-compatible endpoint at 1..N concurrent clients.

    concurrent-throughput.py --url http://127.0.0.1:8000 --key-file FILE --model NAME \
        [--clients 1 4] [--requests 8] [--max-tokens 64]

Each level runs `requests` completions per client (bounded; loopback or our own test hosts only) and
reports completion tokens per second of wall time, summed over clients. A first, narrow tool: the
load generator with latency percentiles is `llm-onprem bench` (to come).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import httpx

PROMPT = "Write a short paragraph about the history of the city of Paris."


async def _client(http: httpx.AsyncClient, args: argparse.Namespace, key: str) -> int:
    tokens = 0
    for _ in range(args.requests):
        response = await http.post(
            "/v1/chat/completions",
            json={
                "model": args.model,
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": args.max_tokens,
                "temperature": 0.7,
            },
            headers={"Authorization": f"Bearer {key}"},
        )
        response.raise_for_status()
        tokens += int(response.json()["usage"]["completion_tokens"])
    return tokens


async def _level(args: argparse.Namespace, key: str, clients: int) -> tuple[float, int, float]:
    async with httpx.AsyncClient(base_url=args.url, timeout=300) as http:
        start = time.perf_counter()
        counts = await asyncio.gather(*(_client(http, args, key) for _ in range(clients)))
        wall = time.perf_counter() - start
    return sum(counts) / wall, sum(counts), wall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--key-file", required=True, type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    key = args.key_file.read_text().strip()
    asyncio.run(_level(argparse.Namespace(**{**vars(args), "requests": 1}), key, 1))  # warm-up
    results = {}
    for clients in args.clients:
        rate, tokens, wall = asyncio.run(_level(args, key, clients))
        results[clients] = rate
        print(f"  {clients} client(s): {tokens} tokens in {wall:.1f} s = {rate:.1f} tok/s aggregate")
    if len(results) > 1:
        low, high = min(results), max(results)
        print(f"  {high} clients / {low} client: {results[high] / results[low]:.2f}x")


if __name__ == "__main__":
    main()
