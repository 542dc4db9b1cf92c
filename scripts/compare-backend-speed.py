#!/usr/bin/env python3
"""Generation speed of Ollama vs llama-server on the same GGUF, same host, same prompt, 1 thread each.

Runs on the backend host itself (stdlib only), against an Ollama API and a llama-server that are
both up there; requests alternate so both see the same machine state. Speeds are the engines' own
decode timings (Ollama: eval_count / eval_duration; llama-server: timings.predicted_per_second).

    python3 compare-backend-speed.py --ollama http://127.0.0.1:11434 --ollama-model NAME \
        --llama http://127.0.0.1:8091 [--llama-key KEY] [--rounds 10] [--tokens 64]
"""

from __future__ import annotations

import argparse
import json
import statistics
import urllib.request

PROMPT = "Write a short paragraph about the history of the city of Paris."


def _post(url: str, body: dict[str, object], key: str = "") -> dict[str, object]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 (our own hosts)
        return json.loads(response.read())


MESSAGES = [{"role": "user", "content": PROMPT}]


def ollama_speed(base: str, model: str, tokens: int) -> tuple[float, int]:
    options = {"num_predict": tokens, "temperature": 0, "num_thread": 1, "seed": 1}
    reply = _post(
        f"{base}/api/chat", {"model": model, "messages": MESSAGES, "stream": False, "options": options}
    )
    count, duration_ns = int(reply["eval_count"]), int(reply["eval_duration"])
    return count / (duration_ns / 1e9), count


def llama_speed(base: str, key: str, tokens: int) -> tuple[float, int]:
    body = {"messages": MESSAGES, "max_tokens": tokens, "temperature": 0, "seed": 1}
    timings = _post(f"{base}/v1/chat/completions", body, key)["timings"]
    return float(timings["predicted_per_second"]), int(timings["predicted_n"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ollama", required=True)
    parser.add_argument("--ollama-model", required=True)
    parser.add_argument("--llama", required=True)
    parser.add_argument("--llama-key", default="")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    ollama_speed(args.ollama, args.ollama_model, 8)  # warm-up: load the model
    llama_speed(args.llama, args.llama_key, 8)
    results: dict[str, list[float]] = {"ollama": [], "llama-server": []}
    counts: dict[str, set[int]] = {"ollama": set(), "llama-server": set()}
    for i in range(args.rounds):
        order = ("ollama", "llama-server") if i % 2 == 0 else ("llama-server", "ollama")
        for name in order:
            if name == "ollama":
                speed, count = ollama_speed(args.ollama, args.ollama_model, args.tokens)
            else:
                speed, count = llama_speed(args.llama, args.llama_key, args.tokens)
            results[name].append(speed)
            counts[name].add(count)
    o, ls = statistics.median(results["ollama"]), statistics.median(results["llama-server"])
    print(f"{args.rounds} alternating rounds, {args.tokens} tokens, 1 thread each")
    for name, median in (("ollama", o), ("llama-server", ls)):
        runs = ", ".join(f"{x:.1f}" for x in results[name])
        print(f"  {name:<12} median {median:6.1f} tok/s  (all: {runs})")
    print(
        "  tokens generated:",
        ", ".join(f"{name} {sorted(values)}" for name, values in counts.items()),
    )
    print(f"  ollama / llama-server = {o / ls:.3f}")


if __name__ == "__main__":
    main()
