"""`llm-onprem gateway-cost`: what the gateway (LiteLLM, as the litellm role deploys it) costs per
request and how many requests per second one gateway host carries, measured on the sandbox's gateway
host against 127.0.0.1 (`llm_onprem.bench_saturation`).

Two runs, each interleaving its targets:
1. **Zero-latency upstream** (`llm_onprem.null_upstream`, benchmark only): the upstream directly, a
   plain haproxy hop in front of it (the floor), and LiteLLM in front of it in several variants, each
   its own process started with the deployed config.yaml (its model_list replaced by the upstream),
   environment file and user, so that the only difference between two variants is the one knob:
   - `before`: the venv as it was before the OpenTelemetry SDK joined the lock (the SDK hidden from
     import by a `sitecustomize` on that process's path: LiteLLM's OTel logger import then fails,
     uncached, on every request);
   - `deployed`: as the role installs it, uvicorn, one worker;
   - `granian`: the same venv with `--run_granian`;
   - two workers of each (`--num_workers 2`);
   - diagnostics that leave one setting out (Prometheus, the capability guard, the message redaction):
     what each costs, not proposals.
2. **The real llama-server** of the sandbox: directly, through the haproxy hop, and through the
   deployed gateway (HTTP on its loopback port).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import math
import shlex
import sys
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

UPSTREAM_PORT = 18080
FLOOR_PORT = 18081
FLOOR_BACKEND_PORT = 18082
FIRST_PORT = 4101
NULL_MODEL = "null"
PACKAGE_FILES = (
    "__init__.py",
    "bench.py",
    "bench_stats.py",
    "bench_saturation.py",
    "smoke.py",
    "null_upstream.py",
)


@dataclass(frozen=True)
class Variant:
    name: str
    hide: tuple[str, ...] = ()  # modules hidden from import in that process
    args: tuple[str, ...] = ()  # LiteLLM CLI arguments beyond config, host, port, keep-alive
    workers: int = 1
    # litellm_settings changed from the deployed ones: what a setting costs, measured by leaving it
    # out of one process (the `no ...` variants are diagnostics, not proposals).
    settings: tuple[tuple[str, Any], ...] = ()


VARIANTS: tuple[Variant, ...] = (
    Variant("before", hide=("opentelemetry.sdk",)),
    Variant("deployed"),
    Variant("granian", args=("--run_granian",)),
    Variant("deployed, 2 workers", workers=2),
    Variant("granian, 2 workers", args=("--run_granian",), workers=2),
    Variant("no prometheus", settings=(("callbacks", ["llm_capabilities.guard"]),)),
    Variant("no guard", settings=(("callbacks", ["prometheus"]),)),
    Variant("no redaction", settings=(("turn_off_message_logging", False),)),
)


def variant_config(config: Mapping[str, Any], variant: Variant) -> dict[str, Any]:
    """`config` (a bench config) with the variant's litellm_settings changes."""
    settings = {**(config.get("litellm_settings") or {}), **dict(variant.settings)}
    return {**config, "litellm_settings": settings}


def bench_config(deployed: Mapping[str, Any], upstream: str) -> dict[str, Any]:
    """The deployed config.yaml with its model_list replaced by the zero-latency upstream (and no
    fallbacks naming the replaced models); every other setting as deployed."""
    config = dict(deployed)
    config["model_list"] = [
        {
            "model_name": NULL_MODEL,
            "litellm_params": {"model": f"openai/{NULL_MODEL}", "api_base": upstream, "api_key": "none"},
        }
    ]
    router = dict(config.get("router_settings") or {})
    router.pop("fallbacks", None)
    config["router_settings"] = router
    return config


def sitecustomize(hide: Sequence[str]) -> str:
    """A sitecustomize that makes `import <module>` fail for each of `hide`, as if not installed."""
    return "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in hide)


def floor_config(upstream_port: int, floor_port: int, backend: str | None) -> str:
    """haproxy: a plain HTTP hop with keep-alive to the upstream (and to the backend when given)."""
    lines = [
        "global", "  maxconn 4096",
        "defaults", "  mode http", "  timeout connect 5s", "  timeout client 120s", "  timeout server 120s",
        "  option http-keep-alive",
        "frontend floor", f"  bind 127.0.0.1:{floor_port}", "  default_backend upstream",
        "backend upstream", "  http-reuse always", f"  server upstream 127.0.0.1:{upstream_port}",
    ]  # fmt: skip
    if backend:
        lines += [
            "frontend floor_backend", f"  bind 127.0.0.1:{FLOOR_BACKEND_PORT}", "  default_backend backend",
            "backend backend", "  http-reuse always", f"  server backend {backend}",
        ]  # fmt: skip
    return "\n".join(lines) + "\n"


def added(report: Mapping[str, Any], mode: str, target: str, base: str, field: str) -> float:
    """`target`'s one-client p50 `field` minus `base`'s, in ms."""
    got = report[mode]
    return float(got[target]["one_client"][field] - got[base]["one_client"][field])


def render(report: Mapping[str, Any], base: str, title: str) -> str:
    """A Markdown table per mode: one client's p50 latency and TTFT, added over `base`, the saturation
    throughput and knee, and the throughput relative to the first gateway target."""
    out = []
    for mode in ("non_streamed", "streamed"):
        rows = report[mode]
        names = list(report["targets"])
        gateways = [n for n in names if n not in (base, "floor")]
        first = rows[gateways[0]]["saturation"]["requests_per_s"] if gateways else math.nan
        field = "ttft_p50_ms" if mode == "streamed" else "latency_p50_ms"
        label = "TTFT" if mode == "streamed" else "latency"
        out += [
            f"**{title}, {mode.replace('_', '-')}** (one token; 1 client: "
            f"{rows[base]['one_client']['requests']} requests per target, interleaved, "
            f"{report.get('gap_ms', 0):.0f} ms apart; saturation: "
            f"closed-loop clients {report['levels']})",
            "",
            f"| target | 1 client {label} p50 (ms) | added over `{base}` (ms) | saturation req/s "
            f"| knee (clients) | req/s vs `{gateways[0] if gateways else base}` | failed requests |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for name in names:
            row = rows[name]
            sat = row["saturation"]
            add = "" if name == base else f"{added(report, mode, name, base, field):+.1f}"
            ratio = f"{sat['requests_per_s'] / first:.2f}x" if name in gateways else ""
            out.append(
                f"| {name} | {row['one_client'][field]:.1f} | {add} | {sat['requests_per_s']:.0f} | "
                f"{sat['knee']} | {ratio} | {failed(row)} |"
            )
        out.append("")
    return "\n".join(out)


def failed(row: Mapping[str, Any]) -> str:
    """A target's failed requests over its levels: the count and the commonest reason, or 0."""
    count = int(row["one_client"].get("errors", 0)) + sum(int(p.get("errors", 0)) for p in row["curve"])
    reasons: dict[str, int] = {}
    for level in row["curve"]:
        for reason, n in (level.get("failures") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + int(n)
    if not count:
        return "0"
    top = max(reasons, key=lambda r: reasons[r]) if reasons else "see the JSON report"
    return f"{count} ({top.replace('|', '/')[:80]})"


# --- on the gateway host (docker) ---------------------------------------------------------------


class Host:
    """The gateway's container: commands run as root, files copied in."""

    def __init__(self, name: str) -> None:
        from llm_onprem import sandbox  # docker only here: the pure functions above need none

        self.container = sandbox.client().containers.get(name)

    def run(self, *argv: str, check: bool = True) -> str:
        code, output = self.container.exec_run(list(argv))
        text = str(output.decode(errors="replace"))
        if check and code != 0:
            raise RuntimeError(f"{shlex.join(argv)} exited {code}: {text[-2000:]}")
        return text

    def stream(self, *argv: str) -> None:
        result = self.container.exec_run(list(argv), stream=True)
        for chunk in result.output:
            sys.stderr.write(chunk.decode(errors="replace"))
            sys.stderr.flush()

    def put(self, files: Mapping[str, bytes], directory: str) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
                tar.addfile(info, io.BytesIO(data))
        self.run("mkdir", "-p", directory)
        self.container.put_archive(directory, buffer.getvalue())

    def unit(
        self, name: str, argv: Sequence[str], properties: Sequence[str] = (), env: Mapping[str, str] = {}
    ) -> None:
        setenv = [f"--setenv={k}={v}" for k, v in env.items()]
        props = [f"--property={p}" for p in properties]
        self.run("systemd-run", f"--unit={name}", "--collect", "--quiet", *props, *setenv, *argv)

    def wait_ready(self, url: str, timeout: float = 300) -> None:
        from llm_onprem import sandbox

        if not sandbox.wait_http(self.container, url, timeout):
            raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


def unit_environment(host: Host, service: str) -> dict[str, str]:
    """The deployed unit's Environment= pairs."""
    value = host.run("systemctl", "show", service, "--property=Environment", "--value").strip()
    return dict(pair.split("=", 1) for pair in shlex.split(value) if "=" in pair)


def backend_key_variable(root: Path, backend: str) -> str:
    """The gateway's environment variable holding `backend`'s key (the litellm role's naming)."""
    path = root / "roles/litellm/filter_plugins/litellm_model_list.py"
    spec = importlib.util.spec_from_file_location("litellm_model_list", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"{path}: cannot load")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module._env_name("LLM_BACKEND_KEY_", backend))


def start_targets(host: Host, root: Path, work: str, backend: str | None) -> list[tuple[str, int]]:
    """Copy the package, the bench config and the floor's config in; start the upstream, the floor
    and one LiteLLM per variant as transient units; the (name, port) of each target, ready."""
    defaults = _litellm_defaults(root)
    config_dir, install = defaults["litellm_config_dir"], defaults["litellm_install_dir"]
    python, litellm = f"{install}/current/bin/python", f"{install}/current/bin/litellm"
    deployed = yaml.safe_load(_read(host, f"{config_dir}/config.yaml"))
    package = root / "src/llm_onprem"
    files = {f"llm_onprem/{n}": (package / n).read_bytes() for n in PACKAGE_FILES}
    upstream = f"http://127.0.0.1:{UPSTREAM_PORT}/v1"
    config = bench_config(deployed, upstream)
    for variant in VARIANTS:
        config_text = yaml.safe_dump(variant_config(config, variant), sort_keys=False)
        files[f"{_slug(variant.name)}.yaml"] = config_text.encode()
    for guard in ("llm_capabilities.py", "capabilities.json"):  # the callback beside its config
        files[guard] = _read(host, f"{config_dir}/{guard}")
    for variant in VARIANTS:
        files[f"{_slug(variant.name)}/sitecustomize.py"] = sitecustomize(variant.hide).encode()
    files["floor.cfg"] = floor_config(UPSTREAM_PORT, FLOOR_PORT, backend).encode()
    host.put(files, work)
    host.run("chmod", "-R", "a+rX", work)
    environment = unit_environment(host, defaults["litellm_service_name"])
    user = defaults["litellm_user"]
    identity = [f"EnvironmentFile={config_dir}/litellm.env", f"User={user}", f"Group={user}"]
    upstream_argv = [python, "-m", "llm_onprem.null_upstream", "--port", str(UPSTREAM_PORT)]
    host.unit("llm-bench-upstream", upstream_argv, env={"PYTHONPATH": work})
    host.unit("llm-bench-floor", ["/usr/sbin/haproxy", "-db", "-f", f"{work}/floor.cfg"])
    targets = [("direct", UPSTREAM_PORT), ("floor", FLOOR_PORT)]
    for port, variant in enumerate(VARIANTS, FIRST_PORT):
        slug = _slug(variant.name)
        argv = [
            litellm, "--config", f"{work}/{slug}.yaml", "--host", "127.0.0.1", "--port", str(port),
            "--num_workers", str(variant.workers),
            "--keepalive_timeout", str(defaults["litellm_keepalive_timeout"]), *variant.args,
        ]  # fmt: skip
        # A crash prints the Python stack of every thread to the unit's journal.
        env = {**environment, "PYTHONPATH": f"{work}/{slug}", "PYTHONFAULTHANDLER": "1"}
        host.unit(f"llm-bench-{slug}", argv, identity, env)
        targets.append((variant.name, port))
    for name, port in targets:
        print(f"[gateway-cost] waiting for {name} on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        path = "/health" if name in ("direct", "floor") else "/health/readiness"
        host.wait_ready(f"http://127.0.0.1:{port}{path}")
    return targets


def main_with(args: argparse.Namespace) -> int:
    if args.render:
        return write_reports(Path(args.out), json.loads(Path(args.render).read_text()), args.model)
    root = Path(args.root)
    defaults = _litellm_defaults(root)
    config_dir, install = defaults["litellm_config_dir"], defaults["litellm_install_dir"]
    env_file = f"{config_dir}/litellm.env"
    key = f"{env_file}:LITELLM_MASTER_KEY"
    host = Host(args.gateway)
    # Not /tmp: a tmpfs there, which Docker cannot copy files into. 0700 from mktemp, then a+rX.
    work = host.run("mktemp", "-d", "/var/lib/llm-onprem-bench.XXXXXX").strip()
    saturation = [
        "env",
        f"PYTHONPATH={work}",
        f"{install}/current/bin/python",
        "-m",
        "llm_onprem.bench_saturation",
    ]
    try:
        targets = start_targets(host, root, work, args.backend_address)
        spec = []
        for name, port in targets:
            spec += [
                "--target",
                name,
                f"http://127.0.0.1:{port}",
                "-" if name in ("direct", "floor") else key,
            ]
        host.stream(
            *saturation, "--model", NULL_MODEL, *spec, "--levels", *map(str, args.levels),
            "--seconds", str(args.seconds), "--requests", str(args.requests), "--out", f"{work}/null.json",
        )  # fmt: skip
        null_report = json.loads(_read(host, f"{work}/null.json"))
        real_report = None
        if args.backend_address:
            backend_key = f"{env_file}:{backend_key_variable(root, args.backend)}"
            real = [
                "--target", "direct", f"http://{args.backend_address}", backend_key,
                "--target", "floor", f"http://127.0.0.1:{FLOOR_BACKEND_PORT}", backend_key,
                "--target", "deployed", f"http://127.0.0.1:{defaults['litellm_port']}", key,
            ]  # fmt: skip
            host.stream(
                *saturation, "--model", args.model, *real, "--levels", *map(str, args.real_levels),
                "--seconds", str(args.seconds), "--requests", str(args.real_requests),
                "--out", f"{work}/real.json",
            )  # fmt: skip
            real_report = json.loads(_read(host, f"{work}/real.json"))
    finally:
        units = ["llm-bench-upstream", "llm-bench-floor", *(f"llm-bench-{_slug(v.name)}" for v in VARIANTS)]
        host.run("systemctl", "stop", *units, check=False)
        host.run("rm", "-rf", work, check=False)
    return write_reports(Path(args.out), {"null": null_report, "real": real_report}, args.model)


def write_reports(out: Path, reports: Mapping[str, Any], model: str) -> int:
    """gateway-cost.json and its Markdown, gateway-cost.md, in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "gateway-cost.json").write_text(json.dumps(reports, indent=1))
    text = render(reports["null"], "direct", "Zero-latency upstream")
    if reports.get("real"):
        text += "\n" + render(reports["real"], "direct", f"llama-server ({model})")
    (out / "gateway-cost.md").write_text(text)
    print(text)
    return 0


def _litellm_defaults(root: Path) -> dict[str, Any]:
    from llm_onprem.benchmarks import role_defaults

    return role_defaults(root, "litellm")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def _read(host: Host, path: str) -> bytes:
    bits, _ = host.container.get_archive(path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        member = tar.next()
        handle = tar.extractfile(member) if member else None
        if handle is None:
            raise RuntimeError(f"{path}: not a file")
        return handle.read()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="the repository")
    parser.add_argument("--gateway", default="llm-onprem-gateway-1", help="the gateway host's container")
    parser.add_argument(
        "--backend-address", help="HOST:PORT of a llama-server the gateway serves (the real run)"
    )
    parser.add_argument(
        "--backend", default="llm-onprem-backend-1", help="that backend's inventory name (its key's variable)"
    )
    parser.add_argument("--model", default="smollm2-135m-instruct", help="the model of the real run")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--real-levels", type=int, nargs="+", default=[1])
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--requests", type=int, default=100, help="per target at one client")
    parser.add_argument("--real-requests", type=int, default=60)
    parser.add_argument("--out", default="bench-results")
    parser.add_argument(
        "--render",
        metavar="JSON",
        help="rewrite the Markdown report from a gateway-cost.json, measuring nothing",
    )
