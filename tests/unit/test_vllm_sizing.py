"""The vLLM sizing guard with realistic numbers (Llama-3.1-8B-Instruct, bf16)."""

import importlib.util

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "vllm_sizing", ROOT / "roles/vllm/filter_plugins/vllm_sizing.py"
)
sizing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sizing)

GIB = 1024**3
# meta-llama/Llama-3.1-8B-Instruct config.json (the fields that matter)
LLAMA_8B = {
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "hidden_size": 4096,
    "torch_dtype": "bfloat16",
}
WEIGHTS_8B = 16_060_522_496  # 8.03e9 parameters * 2 bytes


def test_kv_per_token_of_llama_8b_is_128_kib():
    assert sizing.kv_bytes_per_token(LLAMA_8B, 2) == 131072


def test_8b_full_context_does_not_fit_a_24_gb_card():
    fit = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.9, 131072)
    assert not fit["fits"]
    # 21.6 GiB usable - 14.96 GiB weights - 1.5 GiB overhead = 5.14 GiB of KV = ~42k tokens
    assert 40_000 < fit["kv_capacity_tokens"] < 44_000
    assert fit["min_gpu_memory_utilization"] > 1  # no utilization saves it: lower max_model_len


def test_8b_with_8k_context_fits_a_24_gb_card():
    assert sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.9, 8192)["fits"]


def test_8b_full_context_fits_an_80_gb_card():
    fit = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 80 * GIB, 0.9, 131072)
    assert fit["fits"]
    assert fit["kv_capacity_tokens"] > 450_000


def test_low_utilization_is_what_breaks_it():
    fit = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.7, 32768)
    assert not fit["fits"]
    assert 0.7 < fit["min_gpu_memory_utilization"] < 0.95
    assert sizing.vllm_kv_fit(
        LLAMA_8B, WEIGHTS_8B, 24 * GIB, fit["min_gpu_memory_utilization"] + 0.01, 32768
    )["fits"]


def test_tensor_parallel_splits_weights_and_kv_heads():
    one = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.9, 131072, tensor_parallel_size=1)
    two = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.9, 131072, tensor_parallel_size=2)
    assert two["kv_bytes_per_token"] == one["kv_bytes_per_token"] // 2
    assert two["fits"]


def test_fp8_kv_cache_doubles_capacity():
    bf16 = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.9, 8192)
    fp8 = sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 0.9, 8192, kv_cache_dtype="fp8")
    assert fp8["kv_capacity_tokens"] == pytest.approx(2 * bf16["kv_capacity_tokens"], abs=1)


def test_rejects_nonsense_utilization():
    with pytest.raises(ValueError, match="gpu_memory_utilization"):
        sizing.vllm_kv_fit(LLAMA_8B, WEIGHTS_8B, 24 * GIB, 1.5, 8192)
