"""vSphere layer: OpenTofu + the vSphere provider against vcsim-gpu (govmomi's simulator with NVIDIA
GPUs on its hosts), checked with govc. Tools come from scripts/build-vsphere-tools.sh (`make vsphere`);
the helpers are in tests/support/vsphere.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_onprem import vcsim
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[vcsim.Simulator]:
    """One vcsim-gpu for the session, on a free loopback port, stopped by PID at the end."""
    sim = vcsim.start(tmp_path_factory.mktemp("vcsim"))
    yield sim
    vcsim.stop(sim.pid)


@pytest.fixture(scope="session")
def terraform_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of terraform/ plus the test roots, so init never writes into the repository."""
    tree = tmp_path_factory.mktemp("terraform") / "terraform"
    shutil.copytree(ROOT / "terraform", tree, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    shutil.copytree(Path(__file__).parent / "fixtures", tree / "fixtures")
    return tree
