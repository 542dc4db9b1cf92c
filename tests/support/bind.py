"""The address a backend role was asked to bind, for its Molecule verifier wherever that runs.

Molecule converges each backend role with the role's default bind, loopback (llama_cpp beside the
gateway in litellm's scenario, the others alone). The e2e tier of a backend (`make e2e-<backend>`)
runs the same verifier against its sandbox backend host, where the inventory binds the host's private
address (inventories/sandbox/group_vars/llm_backends.yml) so that the gateway on the other host
reaches it: that tier names the interface whose address it is in LLM_ONPREM_BIND_INTERFACE.
"""

from __future__ import annotations

import os
from typing import Any

LOOPBACK = "127.0.0.1"


def bind_address(host: Any) -> str:
    """The IPv4 address the backend on ``host`` must listen on, and only on."""
    interface = os.environ.get("LLM_ONPREM_BIND_INTERFACE", "")
    if not interface:
        return LOOPBACK
    addresses = [a for a in host.interface(interface).addresses if ":" not in a]
    assert addresses, f"LLM_ONPREM_BIND_INTERFACE={interface}: no IPv4 address on the host"
    return addresses[0]
