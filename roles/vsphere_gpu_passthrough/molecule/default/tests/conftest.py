"""Make the repository importable: the vSphere test helpers (tests/vsphere/conftest.py) and the harness."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[5]))
