"""Reports of a `llm-onprem bench` run: JSON (everything, raw samples included), Markdown, PNG."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from llm_onprem.bench import LevelResult, Workload
from llm_onprem.bench_stats import Sample


def _div(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else math.nan


def ratios(levels: Sequence[LevelResult], numerator: str, denominator: str) -> list[dict[str, float]]:
    """Per level: numerator/denominator of median latency, median TTFT and output tokens/s."""
    out = []
    for level in levels:
        a, b = level.summary(numerator), level.summary(denominator)
        out.append(
            {
                "concurrency": level.concurrency,
                "latency_p50": _div(a.latency.p50, b.latency.p50),
                "ttft_p50": _div(a.ttft.p50, b.ttft.p50),
                "output_tokens_per_s": _div(a.output_tokens_per_s, b.output_tokens_per_s),
            }
        )
    return out


def scaling(levels: Sequence[LevelResult], target: str) -> list[dict[str, float]]:
    """Per level: aggregate output tokens/s over the lowest level's."""
    base = levels[0].summary(target).output_tokens_per_s
    return [
        {
            "concurrency": lv.concurrency,
            "output_tokens_per_s": _div(lv.summary(target).output_tokens_per_s, base),
        }
        for lv in levels
    ]


def to_dict(levels: Sequence[LevelResult], work: Workload, urls: dict[str, str]) -> dict[str, object]:
    targets = list(urls)
    data: dict[str, object] = {
        "workload": asdict(work),
        "targets": urls,
        "levels": [
            {
                "concurrency": lv.concurrency,
                "summary": {t: lv.summary(t).as_dict() for t in targets},
                "samples": {t: [asdict(s) for s in lv.samples[t]] for t in targets},
            }
            for lv in levels
        ],
        "scaling": {t: scaling(levels, t) for t in targets},
    }
    if len(targets) >= 2:
        data["ratios"] = {f"{t}/{targets[-1]}": ratios(levels, t, targets[-1]) for t in targets[:-1]}
    if len(targets) >= 3:
        data["deltas_ms"] = {f"{t}-{targets[0]}": deltas_ms(levels, t, targets[0]) for t in targets[1:-1]}
    return data


def deltas_ms(levels: Sequence[LevelResult], target: str, base: str) -> list[dict[str, float]]:
    """Per level: target's median latency and TTFT minus base's, in ms (e.g. a virtual key over the
    master key on the same gateway: what DB-mode auth adds)."""
    out = []
    for level in levels:
        a, b = level.summary(target), level.summary(base)
        out.append(
            {
                "concurrency": level.concurrency,
                "latency_p50": (a.latency.p50 - b.latency.p50) * 1000,
                "ttft_p50": (a.ttft.p50 - b.ttft.p50) * 1000,
            }
        )
    return out


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def to_markdown(levels: Sequence[LevelResult], work: Workload, urls: dict[str, str]) -> str:
    targets = list(urls)
    mode = "streamed" if work.stream else "not streamed"
    lines = [
        f"Model `{work.model}`, {work.max_tokens} max output tokens, {mode}; targets: "
        + ", ".join(f"{t} `{u}`" for t, u in urls.items()),
        "",
        "| clients | target | requests | errors | req/s | output tok/s | latency p50 / p95 / p99 (ms) "
        "| TTFT p50 / p95 (ms) | inter-token p50 (ms) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for lv in levels:
        for t in targets:
            s = lv.summary(t)
            lines.append(
                f"| {lv.concurrency} | {t} | {s.requests} | {s.errors} | {s.requests_per_s:.2f} "
                f"| {s.output_tokens_per_s:.1f} | {_ms(s.latency.p50)} / {_ms(s.latency.p95)} / "
                f"{_ms(s.latency.p99)} | {_ms(s.ttft.p50)} / {_ms(s.ttft.p95)} | {_ms(s.inter_token.p50)} |"
            )
    for lv in levels:
        for t in targets:
            failed = [s.error for s in lv.samples[t] if s.error]
            if failed:
                lines += [
                    "",
                    f"{t} at {lv.concurrency} client(s): {len(failed)} failed, first: `{failed[0]}`",
                ]
    for t in targets[:-1] if len(targets) >= 2 else []:
        lines += [
            "",
            f"| clients | {t}/{targets[-1]} latency p50 | TTFT p50 | output tok/s |",
            "| ---: | ---: | ---: | ---: |",
        ]
        for r in ratios(levels, t, targets[-1]):
            lines.append(
                f"| {r['concurrency']} | {r['latency_p50']:.3f} | {r['ttft_p50']:.3f} "
                f"| {r['output_tokens_per_s']:.3f} |"
            )
    for t in targets[1:-1] if len(targets) >= 3 else []:
        lines += [
            "",
            f"| clients | {t} minus {targets[0]}: latency p50 (ms) | TTFT p50 (ms) |",
            "| ---: | ---: | ---: |",
        ]
        for d in deltas_ms(levels, t, targets[0]):
            lines.append(f"| {d['concurrency']} | {d['latency_p50']:+.1f} | {d['ttft_p50']:+.1f} |")
    if len(levels) > 1:
        lines += ["", "| target | " + " | ".join(f"{lv.concurrency} clients" for lv in levels) + " |"]
        lines.append("| --- |" + " ---: |" * len(levels))
        for t in targets:
            row = " | ".join(f"{x['output_tokens_per_s']:.2f}x" for x in scaling(levels, t))
            lines.append(f"| {t} aggregate tok/s vs {levels[0].concurrency} client(s) | {row} |")
    return "\n".join(lines) + "\n"


def to_png(levels: Sequence[LevelResult], urls: dict[str, str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clients = [lv.concurrency for lv in levels]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for i, t in enumerate(urls):
        color = f"C{i}"
        summaries = [lv.summary(t) for lv in levels]
        left.plot(clients, [s.output_tokens_per_s for s in summaries], marker="o", color=color, label=t)
        right.plot(
            clients, [s.latency.p50 * 1000 for s in summaries], marker="o", color=color, label=f"{t} p50"
        )
        right.plot(
            clients,
            [s.latency.p95 * 1000 for s in summaries],
            marker="x",
            linestyle="--",
            color=color,
            label=f"{t} p95",
        )
    left.set_ylim(bottom=0)
    right.set_ylim(bottom=0)
    left.set(xlabel="concurrent clients", ylabel="output tokens/s (aggregate)", title="Throughput")
    right.set(xlabel="concurrent clients", ylabel="request latency (ms)", title="Latency")
    for ax in (left, right):
        ax.set_xticks(clients)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def load(path: Path) -> tuple[list[LevelResult], Workload, dict[str, str]]:
    """Read a JSON report back (to re-render its Markdown or plot)."""
    data = json.loads(path.read_text())
    urls: dict[str, str] = data["targets"]
    levels = [
        LevelResult(lv["concurrency"], {t: [Sample(**s) for s in lv["samples"][t]] for t in urls})
        for lv in data["levels"]
    ]
    return levels, Workload(**data["workload"]), urls


def write(
    out_dir: Path, stem: str, levels: Sequence[LevelResult], work: Workload, urls: dict[str, str]
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.json", out_dir / f"{stem}.md", out_dir / f"{stem}.png"]
    paths[0].write_text(json.dumps(to_dict(levels, work, urls), indent=2) + "\n")
    paths[1].write_text(to_markdown(levels, work, urls))
    to_png(levels, urls, paths[2])
    return paths
