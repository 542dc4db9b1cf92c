"""Make the repository's shared test helpers (tests/host_http.py) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "tests"))
