"""The nvidia_driver reboot decision: why the host must reboot, or '' when it need not.

Kept in Python so that the rule is unit-tested directly (tests/unit/test_nvidia_driver.py)."""

from __future__ import annotations

from typing import Any


def nvidia_driver_reboot_reason(
    installed: Any, loaded: Any, nouveau_loaded: Any = False, modprobe_error: Any = ""
) -> str:
    """installed: the installed driver version ('' = none); loaded: the loaded module's version
    ('' = not loaded); nouveau_loaded: nouveau holds the GPU; modprobe_error: why loading failed."""
    installed = str(installed or "").strip()
    loaded = str(loaded or "").strip()
    if not installed:
        return ""
    if str(nouveau_loaded).strip().lower() in {"true", "yes", "1"}:
        return (
            f"nouveau is loaded and holds the GPU (driver {installed} installed, "
            "nouveau blacklisted for the next boot)"
        )
    if not loaded:
        detail = f": {modprobe_error}" if modprobe_error else ""
        return f"the nvidia module is not loaded (driver {installed} installed{detail})"
    if loaded != installed:
        return f"the loaded nvidia module is {loaded} but {installed} is installed"
    return ""


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"nvidia_driver_reboot_reason": nvidia_driver_reboot_reason}
