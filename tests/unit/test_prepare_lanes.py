"""`make prepare` (the first phase of `make test`) runs the compiles beside the downloads: each lane
runs its steps one after another, no step is in both, and together they are every step of `make
mirror` plus the OS images and the vSphere tools (so no later phase builds or fetches anything on a
new machine)."""

from __future__ import annotations

import os
import re
import subprocess

from tests.conftest import ROOT

STEPS = re.compile(
    r"scripts/(build-llama-server|build-ollama|build-nvidia-container-toolkit|build-vsphere-tools|"
    r"sandbox-images|prisma-engine-deps|stage-hf-model|stage-embedding-model)\.sh|"
    r"llm-onprem mirror (stage|manifest|licenses)"
)


def _dry_run(*targets: str) -> list[str]:
    """The steps `make -n` prints for `targets` (sub-makes included), in order."""
    env = {**os.environ, "MIRROR_BACKENDS": "all"}
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", *targets],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [m.group(0).split("/")[-1] for m in STEPS.finditer(out)]


def test_each_lane_holds_its_own_steps_and_together_every_step():
    compiles = _dry_run("prepare-compiles")
    downloads = _dry_run("prepare-downloads")
    assert compiles == [
        "build-llama-server.sh",
        "build-ollama.sh",
        "build-nvidia-container-toolkit.sh",
        "build-vsphere-tools.sh",
    ]
    assert downloads == [
        "sandbox-images.sh",
        "prisma-engine-deps.sh",
        "llm-onprem mirror stage",
        "stage-hf-model.sh",
    ]
    # `make mirror` is both halves, then what needs both (the embedding model: the converter venv of
    # the downloads, the llama.cpp source of the compiles), the manifest and the licences.
    mirror = _dry_run("mirror")
    assert sorted(mirror) == sorted(
        [s for s in compiles + downloads if s not in {"build-vsphere-tools.sh", "sandbox-images.sh"}]
        + ["stage-embedding-model.sh", "llm-onprem mirror manifest", "llm-onprem mirror licenses"]
    )
    last = ["stage-embedding-model.sh", "llm-onprem mirror manifest", "llm-onprem mirror licenses"]
    assert mirror[-3:] == last


def test_make_test_prepares_first():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    assert recipe.split("\n")[1].strip() == "$(call phase,prepare)"
