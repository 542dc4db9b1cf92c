"""Shared pyvmomi helpers of the vsphere_gpu_passthrough modules."""

from __future__ import annotations

import ssl
import time
from typing import Any

try:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim, vmodl

    HAS_PYVMOMI = True
except ImportError:  # reported by the modules with a clear message
    HAS_PYVMOMI = False

NVIDIA_VENDOR = 0x10DE

CONNECTION_ARGS: dict[str, Any] = {
    "hostname": {"type": "str", "required": True},
    "username": {"type": "str", "required": True},
    "password": {"type": "str", "required": True, "no_log": True},
    "port": {"type": "int", "default": 443},
    "validate_certs": {"type": "bool", "default": True},
}


def connect(params: dict[str, Any]) -> Any:
    context = None if params["validate_certs"] else ssl._create_unverified_context()
    return SmartConnect(
        host=params["hostname"],
        user=params["username"],
        pwd=params["password"],
        port=params["port"],
        sslContext=context,
    )


def disconnect(si: Any) -> None:
    Disconnect(si)


def find(si: Any, kind: Any, name: str) -> Any:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return next((obj for obj in view.view if obj.name == name), None)
    finally:
        view.Destroy()


def is_nvidia_gpu(device: Any) -> bool:
    """An NVIDIA display-class function (vendor 0x10de, class 0x03xx); not its audio function."""
    return (device.vendorId & 0xFFFF) == NVIDIA_VENDOR and ((device.classId & 0xFFFF) >> 8) == 0x03


def wait(task: Any, timeout: int = 300) -> None:
    deadline = time.monotonic() + timeout
    while task.info.state not in (vim.TaskInfo.State.success, vim.TaskInfo.State.error):
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task.info.key} did not finish in {timeout} s")
        time.sleep(0.2)
    if task.info.state == vim.TaskInfo.State.error:
        raise RuntimeError(task.info.error.msg if task.info.error else "task failed")


def mmio_size_gb(gpu_count: int, gpu_memory_gb: float) -> int:
    """The 64-bit MMIO window: total GPU memory rounded up to a power of two, doubled (the rule of
    terraform/modules/vsphere_gpu_vm)."""
    total = gpu_count * gpu_memory_gb
    size = 1
    while size < total:
        size *= 2
    return size * 2


__all__ = [
    "CONNECTION_ARGS",
    "HAS_PYVMOMI",
    "connect",
    "disconnect",
    "find",
    "is_nvidia_gpu",
    "mmio_size_gb",
    "vim",
    "vmodl",
    "wait",
]
