"""vLLM KV-cache sizing: will `max_model_len` fit in the GPU memory vLLM may use?

vLLM refuses to start with "The model's max seq len (X) is larger than the maximum number of tokens
that can be stored in KV cache (Y)". This estimates Y before starting, from the model's config.json,
the weights' size and the GPU memory facts, so the play can fail with the numbers and the knobs.

Per GPU (tensor parallel size TP, weights and KV heads split across GPUs):
  budget   = memory_total * gpu_memory_utilization - weights / TP - overhead
  per_tok  = 2 (K and V) * layers * ceil(kv_heads / TP) * head_dim * kv_dtype_bytes
  capacity = budget // per_tok    (tokens of KV cache)
It fits when capacity >= max_model_len (one full-length sequence, vLLM's own start-up check).
`overhead` covers the activations of the profiling pass, the CUDA context and graphs: 1.5 GiB by
default, a conservative value for 7-13B models with --enforce-eager off.
"""

from __future__ import annotations

import math
from typing import Any

GIB = 1024**3
DTYPE_BYTES = {
    "float32": 4,
    "float": 4,
    "bfloat16": 2,
    "float16": 2,
    "half": 2,
    "fp8": 1,
    "fp8_e4m3": 1,
    "fp8_e5m2": 1,
    "auto": None,
}


def kv_bytes_per_token(config: dict[str, Any], kv_dtype_bytes: int, tensor_parallel_size: int = 1) -> int:
    layers = int(config["num_hidden_layers"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    return 2 * layers * math.ceil(kv_heads / tensor_parallel_size) * head_dim * kv_dtype_bytes


def vllm_kv_fit(
    config: dict[str, Any],
    weights_bytes: int,
    gpu_memory_bytes: int,
    gpu_memory_utilization: float,
    max_model_len: int,
    tensor_parallel_size: int = 1,
    kv_cache_dtype: str = "auto",
    overhead_bytes: int = int(1.5 * GIB),
) -> dict[str, Any]:
    if not 0 < gpu_memory_utilization <= 1:
        raise ValueError(f"gpu_memory_utilization must be in (0, 1], got {gpu_memory_utilization}")
    tp = max(1, int(tensor_parallel_size))
    kv_bytes = DTYPE_BYTES.get(kv_cache_dtype)
    if kv_bytes is None:
        kv_bytes = (
            DTYPE_BYTES.get(str(config.get("torch_dtype") or config.get("dtype") or "bfloat16"), 2) or 2
        )
    per_token = kv_bytes_per_token(config, kv_bytes, tp)
    budget = int(gpu_memory_bytes * gpu_memory_utilization) - weights_bytes // tp - overhead_bytes
    capacity = max(0, budget) // per_token
    needed = per_token * max_model_len + weights_bytes // tp + overhead_bytes
    return {
        "fits": capacity >= max_model_len,
        "kv_capacity_tokens": capacity,
        "kv_bytes_per_token": per_token,
        "kv_budget_gib": round(budget / GIB, 2),
        "max_model_len": max_model_len,
        # the smallest gpu_memory_utilization at which max_model_len would fit (may exceed 1)
        "min_gpu_memory_utilization": round(needed / gpu_memory_bytes, 3),
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"vllm_kv_fit": vllm_kv_fit}
