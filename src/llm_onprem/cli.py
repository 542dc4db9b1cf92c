"""`llm-onprem`: harness commands (mirror, sandbox hosts, simulator, role docs), the demo summary, and the
endpoint checks (smoke, bench). This module only parses and dispatches: each command lives in the
module named for it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from llm_onprem import bench, benchmarks, gateway_cost, hosts, paths, smoke

# The sandbox gateway's HTTPS port as the harness publishes it on this machine's loopback (an inventory
# whose publishing host names its own sandbox_host_port keeps that one: llm_onprem.inventory).
GATEWAY_PORT = int(os.environ.get("LLM_ONPREM_GATEWAY_PORT", "4000"))


def _mirror_stage(args: argparse.Namespace) -> int:
    from llm_onprem import mirror

    mirror.stage(
        Path(args.dir), paths.cache_dir(), [Path(r) for r in args.requirements or mirror.REQUIREMENTS]
    )
    return 0


def _mirror_pick(args: argparse.Namespace) -> int:
    from llm_onprem import mirror

    mirror.pick_wheels(Path(args.dir), Path(args.requirements), args.python, Path(args.dest))
    return 0


def _mirror_manifest(args: argparse.Namespace) -> int:
    from llm_onprem import mirror

    mirror.write_manifest(Path(args.dir))
    return 0


def _mirror_licenses(args: argparse.Namespace) -> int:
    from llm_onprem import mirror_licenses

    try:
        changed = mirror_licenses.write(Path(args.dir), Path(args.licenses), check=args.check)
    except mirror_licenses.MissingLicense as error:
        print(f"mirror licenses: {error}", file=sys.stderr)
        return 1
    for path in changed:
        print(f"{'out of date' if args.check else 'updated'}: {path}")
    if not args.check:
        print(f"wrote {Path(args.dir) / 'sbom.cdx.json'}")
    return 1 if changed and args.check else 0


def _sandbox_up(args: argparse.Namespace) -> int:
    from llm_onprem import sandbox
    from llm_onprem.inventory import sandbox_hosts

    image = "local/" + hosts.by_key(args.os).image
    specs = sandbox_hosts(Path(args.inventory) / "hosts.yml", args.gateway_port, image)
    sandbox.log(f"host OS: {hosts.by_key(args.os).name} ({image})")
    for spec in specs:
        if spec.image != image:
            sandbox.log(f"{spec.name}: {spec.image} (its sandbox_os)")
    sandbox.up(Path(args.mirror), specs)
    return 0


def _sandbox_mirror(args: argparse.Namespace) -> int:
    from llm_onprem import sandbox

    sandbox.ensure_mirror(sandbox.client(), Path(args.mirror))
    return 0


def _sandbox_down(args: argparse.Namespace) -> int:
    from llm_onprem import sandbox
    from llm_onprem.inventory import sandbox_hosts

    if args.inventory is None:
        sandbox.down()
    else:
        specs = sandbox_hosts(Path(args.inventory) / "hosts.yml", GATEWAY_PORT)
        sandbox.down([spec.name for spec in specs])
    return 0


def _vcsim_start(args: argparse.Namespace) -> int:
    from llm_onprem import vcsim

    return vcsim.start_command(Path(args.dir), args.port)


def _vcsim_stop(args: argparse.Namespace) -> int:
    from llm_onprem import vcsim

    return vcsim.stop_command(Path(args.dir))


def _summary(args: argparse.Namespace) -> int:
    from llm_onprem import summary
    from llm_onprem.inventory import published_port

    url = args.gateway_url
    if url is None:
        url = f"https://127.0.0.1:{published_port(Path(args.inventory) / 'hosts.yml', GATEWAY_PORT)}"
    return summary.print_summary(args.inventory, url)


def _dev_tls(args: argparse.Namespace) -> int:
    from llm_onprem import dev_tls

    directory = Path(args.dir)
    issued = dev_tls.ensure(directory)
    print(f"{'issued' if issued else 'kept'}: {directory / 'gateway.crt'} (CA: {directory / 'ca.crt'})")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from llm_onprem import role_docs

    changed = role_docs.update(Path(args.roles), check=args.check)
    changed += hosts.update_readme(Path(args.readme), check=args.check)
    for readme in changed:
        print(f"{'out of date' if args.check else 'updated'}: {readme}")
    return 1 if changed and args.check else 0


def _hosts(args: argparse.Namespace) -> int:
    if args.what in ("e2e", "gateway-verifiers") and not args.name:
        raise SystemExit(f"llm-onprem hosts {args.what}: name the backend")
    if args.what == "suites":
        print(" ".join(host.suite for host in hosts.HOSTS))
    elif args.what == "pythons":
        print(" ".join(hosts.pythons()))
    elif args.what == "molecule":
        print(" ".join(hosts.molecule_jobs()))
    elif args.what == "gateway-verifiers":
        print(" ".join(hosts.gateway_verifiers(args.name)))
    else:
        print(hosts.E2E.get(args.name, hosts.DEFAULT))
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
    stage.set_defaults(func=_mirror_stage)
    pick = mirror.add_parser(
        "pick", help="copy the wheels a lock needs on one CPython out of the mirror (for image builds)"
    )
    pick.add_argument("--dir", default=str(paths.mirror_dir()))
    pick.add_argument("--requirements", required=True)
    pick.add_argument("--python", default=hosts.by_key(hosts.DEFAULT).python, help="default: %(default)s")
    pick.add_argument("--dest", required=True)
    pick.set_defaults(func=_mirror_pick)
    manifest = mirror.add_parser("manifest", help="rewrite SHA256SUMS and manifest.json")
    manifest.add_argument("--dir", default=str(paths.mirror_dir()))
    manifest.set_defaults(func=_mirror_manifest)
    licenses = mirror.add_parser(
        "licenses",
        help="LICENSES.md and the mirror's CycloneDX SBOM from the manifest (a missing licence fails)",
    )
    licenses.add_argument("--dir", default=str(paths.mirror_dir()))
    licenses.add_argument("--licenses", default="LICENSES.md")
    licenses.add_argument(
        "--check", action="store_true", help="only report whether LICENSES.md is out of date"
    )
    licenses.set_defaults(func=_mirror_licenses)

    sandbox = sub.add_parser("sandbox", help="sandbox hosts").add_subparsers(dest="action", required=True)
    up = sandbox.add_parser("up", help="start the mirror and the inventory's hosts as containers")
    up.add_argument("--inventory", default="inventories/sandbox")
    up.add_argument("--mirror", default=str(paths.mirror_dir()))
    up.add_argument("--gateway-port", type=int, default=GATEWAY_PORT)
    up.add_argument(
        "--os",
        default=os.environ.get("LLM_ONPREM_SANDBOX_OS") or hosts.DEFAULT,
        choices=[host.key for host in hosts.HOSTS],
        help="the hosts' OS (default: $LLM_ONPREM_SANDBOX_OS, else %(default)s)",
    )
    up.set_defaults(func=_sandbox_up)
    serve = sandbox.add_parser("mirror", help="start only the mirror server")
    serve.add_argument("--mirror", default=str(paths.mirror_dir()))
    serve.set_defaults(func=_sandbox_mirror)
    down = sandbox.add_parser(
        "down",
        help="remove the sandbox containers, the mirror and the network; with --inventory only that "
        "inventory's hosts (another inventory's sandbox and the mirror stay up)",
    )
    down.add_argument("--inventory", default=None)
    down.set_defaults(func=_sandbox_down)

    sim = sub.add_parser("vcsim", help="GPU-aware vCenter simulator").add_subparsers(
        dest="action", required=True
    )
    sim_start = sim.add_parser("start", help="start vcsim-gpu on loopback (PID and env file in --dir)")
    sim_start.add_argument("--dir", default=str(paths.cache_dir() / "vcsim"))
    sim_start.add_argument("--port", type=int, default=8989)
    sim_start.set_defaults(func=_vcsim_start)
    sim_stop = sim.add_parser("stop", help="stop the simulator started with `vcsim start`, by PID")
    sim_stop.add_argument("--dir", default=str(paths.cache_dir() / "vcsim"))
    sim_stop.set_defaults(func=_vcsim_stop)

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
    bench.add_arguments(be)
    be.set_defaults(func=bench.main_with)

    gc = sub.add_parser(
        "gateway-cost",
        help="the gateway's own cost per request and its saturation, on the sandbox's gateway host: "
        "against a zero-latency upstream (with a plain proxy hop as the floor) and the real backend",
    )
    gateway_cost.add_arguments(gc)
    gc.set_defaults(func=gateway_cost.main_with)

    bms = sub.add_parser(
        "benchmarks",
        help="run the benchmark plan on the running sandbox; rewrite docs/benchmarks.md's generated section",
    )
    benchmarks.add_arguments(bms)
    bms.set_defaults(func=benchmarks.main_with)

    summary = sub.add_parser("summary", help="print the gateway URL, model, key location and completion")
    summary.add_argument("--inventory", default="inventories/sandbox")
    summary.add_argument(
        "--gateway-url",
        default=None,
        help="default: https://127.0.0.1:<the port the harness publishes the inventory's endpoint on>",
    )
    summary.set_defaults(func=_summary)

    tls = sub.add_parser(
        "dev-tls", help="a CA and a localhost certificate for the compose stack's HTTPS setting"
    )
    tls.add_argument("--dir", default="compose/tls")
    tls.set_defaults(func=_dev_tls)

    docs = sub.add_parser("docs", help="regenerate the role READMEs' variable tables from argument_specs")
    docs.add_argument("--roles", default="roles")
    docs.add_argument("--readme", default="README.md", help="the README with the supported-hosts table")
    docs.add_argument("--check", action="store_true", help="only report READMEs that are out of date")
    docs.set_defaults(func=_docs)

    ho = sub.add_parser("hosts", help="the supported host OSes and what CI converges on each (for make)")
    ho.add_argument(
        "what",
        choices=["suites", "pythons", "molecule", "e2e", "gateway-verifiers"],
        help="suites: the images to build; pythons: their CPythons; molecule: role@image per scenario; "
        "e2e BACKEND: the OS key of that backend's e2e hosts; gateway-verifiers BACKEND: the roles whose "
        "Molecule verifier that tier runs against its gateway host",
    )
    ho.add_argument("name", nargs="?", help="the backend (e2e, gateway-verifiers)")
    ho.set_defaults(func=_hosts)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
