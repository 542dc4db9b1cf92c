"""The subject alternative names of a gateway certificate, from the host's names and addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any


def _san(value: str) -> str:
    value = value.strip()
    if value.startswith(("DNS:", "IP:")):
        return value
    try:
        return f"IP:{ipaddress.ip_address(value)}"
    except ValueError:
        return f"DNS:{value.lower()}"


def llm_ingress_sans(names: Iterable[str], extra: Iterable[str] = ()) -> list[str]:
    """`DNS:`/`IP:` entries, in order, without duplicates or empty names. Bare values are typed by
    their form (an address is `IP:`); `extra` entries may carry their prefix already."""
    out: list[str] = []
    for value in [*names, *extra]:
        if not value or not str(value).strip():
            continue
        san = _san(str(value))
        if san not in out:
            out.append(san)
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_ingress_sans": llm_ingress_sans}
