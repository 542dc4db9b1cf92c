"""The names a generated gateway certificate holds (roles/llm_ingress/filter_plugins)."""

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "llm_ingress_sans", ROOT / "roles/llm_ingress/filter_plugins/llm_ingress_sans.py"
)
sans = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sans)


def test_names_and_addresses_are_typed_deduplicated_and_ordered():
    names = [
        "gw-1",
        "gw-1",
        "GW-1.example.com",
        "",
        "10.0.0.5",
        "localhost",
        "127.0.0.1",
        "10.0.0.5",
        "fd00::5",
    ]
    assert sans.llm_ingress_sans(names, ["DNS:llm.example.com", "IP:192.0.2.1", "llm.example.com"]) == [
        "DNS:gw-1",
        "DNS:gw-1.example.com",
        "IP:10.0.0.5",
        "DNS:localhost",
        "IP:127.0.0.1",
        "IP:fd00::5",
        "DNS:llm.example.com",
        "IP:192.0.2.1",
    ]
