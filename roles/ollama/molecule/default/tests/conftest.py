"""Make the repository importable (the shared test helpers in tests/support/, the harness)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[5]))
