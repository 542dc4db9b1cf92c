"""llm-onprem: the Python side of the bundle (test harness, artifact mirror, smoke checks)."""

__version__ = "0.1.0"
