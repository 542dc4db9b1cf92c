"""The memory-fit check of llama.cpp and Ollama hosts (roles/llm_registry: library/llm_gguf_info.py
reads the GGUF headers, filter_plugins/llm_memory_fit.py decides), on the mirror's real model files
when they are staged and on a GGUF header written here otherwise."""

from __future__ import annotations

import struct
import sys

import pytest

from tests.conftest import ROOT, load_file_module

fit = load_file_module("roles/llm_registry/filter_plugins/llm_memory_fit.py")
sys.path.insert(0, str(ROOT / "roles/llm_registry/library"))
import llm_gguf_info  # noqa: E402

MIB = 1024 * 1024


def _gguf(path, arch, meta):
    """A GGUF file with only a header: the general.architecture and `meta` (u32 values)."""

    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b

    kvs = [string("general.architecture") + struct.pack("<I", 8) + string(arch)]
    # An array of strings (a tokenizer's vocabulary) has to be skipped on the way.
    kvs.append(string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + string("a") + string("b"))
    kvs += [string(f"{arch}.{k}") + struct.pack("<I", 4) + struct.pack("<I", v) for k, v in meta.items()]
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs) + b"\0" * MIB)
    return str(path)


SMOLLM2_LIKE = {
    "block_count": 30,
    "context_length": 8192,
    "embedding_length": 576,
    "attention.head_count": 9,
    "attention.head_count_kv": 3,
}


def test_the_header_gives_the_kv_cache_of_a_context(tmp_path):
    info = llm_gguf_info.gguf_info(_gguf(tmp_path / "m.gguf", "llama", SMOLLM2_LIKE))
    assert (info["block_count"], info["head_count_kv"], info["key_length"], info["value_length"]) == (
        30,
        3,
        64,
        64,
    )
    # llama.cpp reports 180 MiB of KV cache for SmolLM2-135M at 8192 tokens (f16): 8192 x 30 x 3 x 128 x 2.
    assert fit.llm_kv_cache_bytes(info, 8192) == 180 * MIB


def test_a_model_that_fits_passes_and_an_oversized_context_is_refused_with_its_figures(tmp_path):
    info = llm_gguf_info.gguf_info(_gguf(tmp_path / "m.gguf", "llama", SMOLLM2_LIKE))
    ok = fit.llm_memory_fit(
        [{"name": "m", "path": "p", "context": 4096}], [info], 2048, 1024, "RAM", "llama_cpp"
    )
    assert ok["fits"]
    assert ok["need_mb"] == 92
    big = fit.llm_memory_fit(
        [{"name": "m", "path": "p", "context": 131072}, {"name": "e", "path": "q", "context": 0}],
        [info, info],
        2048,
        1024,
        "RAM",
        "llama_cpp",
    )
    assert not big["fits"]
    assert "m: file 1 MiB + KV cache 2880 MiB (131072 tokens x 30 layers)" in big["message"]
    assert "e: file 1 MiB + KV cache 180 MiB (8192 tokens x 30 layers)" in big["message"]  # 0: its own
    assert "1024 MiB after the 1024 MiB reserve" in big["message"]
    assert "llama_cpp_ctx_size" in big["message"]


def test_not_a_gguf_is_an_error(tmp_path):
    (tmp_path / "x").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a GGUF"):
        llm_gguf_info.gguf_info(str(tmp_path / "x"))


def test_the_role_task_refuses_an_oversized_model_on_this_host_and_passes_a_small_one(tmp_path):
    """llm_registry's memory_fit.yml on this machine (its real RAM, from facts): SmolLM2-135M's figures
    at 4096 tokens fit; at 2**24 tokens its KV cache (360 GiB) does not, and the play says so."""
    import json

    from tests.conftest import ansible_playbook

    model = _gguf(tmp_path / "m.gguf", "llama", SMOLLM2_LIKE)

    def run(context):
        models = [{"name": "smollm2", "path": model, "context": context}]
        return ansible_playbook(
            "tests/playbooks/memory_fit.yml",
            "-e",
            json.dumps({"llm_registry_fit_models": models}),
            inventory="localhost,",
            local=True,
        )

    small = run(4096)
    assert small.returncode == 0, small.stdout
    assert "llama_cpp: 92 MiB of" in small.stdout
    big = run(2**24)
    assert big.returncode != 0
    flat = " ".join(big.stdout.split())
    assert "llama_cpp: the models need 368642 MiB but the host's RAM is" in flat, flat[-2000:]
    assert "smollm2: file 1 MiB + KV cache 368640 MiB (16777216 tokens x 30 layers)" in flat


def test_with_at_most_n_loaded_at_once_the_largest_n_must_fit_together(tmp_path):
    """Ollama loads at most ollama_max_loaded_models at a time: three models of which two fit together."""
    info = llm_gguf_info.gguf_info(_gguf(tmp_path / "m.gguf", "llama", SMOLLM2_LIKE))
    models = [{"name": n, "path": "p", "context": 4096} for n in ("a", "b", "c")]
    every = fit.llm_memory_fit(models, [info] * 3, 1024 + 200, 1024, "RAM", "ollama")
    assert not every["fits"]  # 3 x 92 MiB
    two = fit.llm_memory_fit(models, [info] * 3, 1024 + 200, 1024, "RAM", "ollama", at_once=2)
    assert two["fits"]
    assert "at most 2 loaded at once" in two["message"]


def test_ollamas_gguf_entries_become_fit_models():
    inputs = load_file_module("roles/llm_registry/filter_plugins/llm_backend_inputs.py")
    models = [
        {"name": "a", "gguf": {"url": "http://m/models/A.gguf"}},
        {"name": "b", "ollama": "qwen2:0.5b"},  # pulled: no file to read before the pull
        {"name": "c", "gguf": {"url": "http://m/x", "file": "c.gguf"}},
    ]
    assert inputs.llm_gguf_fit_models(models, "/var/lib/ollama/import", 4096) == [
        {"name": "a", "path": "/var/lib/ollama/import/A.gguf", "context": 4096},
        {"name": "c", "path": "/var/lib/ollama/import/c.gguf", "context": 4096},
    ]
