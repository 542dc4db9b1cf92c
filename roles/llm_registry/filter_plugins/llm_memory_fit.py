"""Will the models a host serves fit its memory? The figures come from the GGUF headers
(library/llm_gguf_info.py); the rule is here so that it is unit-tested (tests/unit/test_memory_fit.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIB = 1024 * 1024
KV_BYTES_PER_VALUE = 2  # f16, llama.cpp's and Ollama's default KV cache type


def llm_kv_cache_bytes(info: Mapping[str, Any], context: int) -> int:
    """Bytes of the KV cache of `context` tokens (all slots together): every layer keeps a key and a
    value vector per KV head per token."""
    per_token = int(info["head_count_kv"]) * (int(info["key_length"]) + int(info["value_length"]))
    return int(context) * int(info["block_count"]) * per_token * KV_BYTES_PER_VALUE


def llm_memory_fit(
    models: list[Mapping[str, Any]],
    infos: list[Mapping[str, Any]],
    total_mb: int,
    reserve_mb: int,
    memory: str,
    role: str,
    at_once: int = 0,
) -> dict[str, Any]:
    """`models`: {name, path, context (tokens of KV cache; 0: the model's trained context)};
    `infos`: llm_gguf_info's figures of each model's file, in the same order. Returns {fits, need_mb,
    available_mb, lines, message}; the message names each model's file and KV cache, the memory
    compared against and the variables that change the outcome. `at_once` > 0: only that many models
    are loaded at a time (Ollama's max loaded models), so the largest that many must fit together."""
    lines = []
    needs = []
    for model, info in zip(models, infos, strict=True):
        context = int(model.get("context") or info["context_length"])
        kv = llm_kv_cache_bytes(info, context)
        needs.append(int(info["size_bytes"]) + kv)
        lines.append(
            f"{model['name']}: file {int(info['size_bytes']) // MIB} MiB + KV cache {kv // MIB} MiB "
            f"({context} tokens x {info['block_count']} layers)"
        )
    needs.sort(reverse=True)
    need = sum(needs[: int(at_once)] if int(at_once) > 0 else needs)
    if 0 < int(at_once) < len(needs):
        lines.append(f"at most {int(at_once)} loaded at once: the largest count")
    available = int(total_mb) - int(reserve_mb)
    need_mb = -(-need // MIB)
    fits = need_mb <= available
    message = (
        f"{role}: the models need {need_mb} MiB but the host's {memory} is {int(total_mb)} MiB, "
        f"{available} MiB after the {int(reserve_mb)} MiB reserve ({'; '.join(lines)}). Lower the "
        f"context ({role}_ctx_size, or the entry's own), serve fewer models on this host, or raise its "
        f"memory; {role}_memory_reserve_mb is the reserve and {role}_memory_fit: false skips this check"
    )
    return {"fits": fits, "need_mb": need_mb, "available_mb": available, "lines": lines, "message": message}


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_kv_cache_bytes": llm_kv_cache_bytes, "llm_memory_fit": llm_memory_fit}
