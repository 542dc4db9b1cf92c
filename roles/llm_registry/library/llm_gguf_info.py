#!/usr/bin/python
"""Read the figures a memory-fit check needs from GGUF files' headers (no tensor data is read)."""

from __future__ import annotations

import os
import struct

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: llm_gguf_info
short_description: Layer, head and context figures of GGUF model files
description:
  - Reads each file's GGUF header (metadata only) and returns its size, architecture, block count,
    trained context length, KV head count and key/value head sizes, which the memory-fit check of
    roles/llm_registry (filter_plugins/llm_memory_fit.py) turns into a KV-cache size.
options:
  paths:
    description: GGUF files on the host.
    type: list
    elements: path
    required: true
author: llm-onprem
"""

RETURN = r"""
models:
  description: One entry per path, in order (path, size_bytes, architecture, block_count,
    context_length, embedding_length, head_count, head_count_kv, key_length, value_length).
  type: list
  returned: always
"""

SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
STRING, ARRAY = 8, 9


def _read(f, fmt):
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("truncated GGUF header")
    return struct.unpack(fmt, data)[0]


def _string(f):
    return f.read(_read(f, "<Q")).decode("utf-8", "replace")


def _value(f, kind, keep):
    if kind == STRING:
        return _string(f)
    if kind == ARRAY:
        item, count = _read(f, "<I"), _read(f, "<Q")
        if item in SCALARS and not keep:
            f.seek(struct.calcsize(SCALARS[item]) * count, os.SEEK_CUR)
            return None
        values = [_value(f, item, keep) for _ in range(count)]
        return values if keep else None
    if kind in SCALARS:
        return _read(f, SCALARS[kind])
    raise ValueError(f"unknown GGUF value type {kind}")


def gguf_info(path):
    wanted = (
        "block_count",
        "context_length",
        "embedding_length",
        "attention.head_count",
        "attention.head_count_kv",
        "attention.key_length",
        "attention.value_length",
    )
    meta = {}
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        _read(f, "<I")
        _read(f, "<Q")
        for _ in range(_read(f, "<Q")):
            key = _string(f)
            kind = _read(f, "<I")
            keep = key == "general.architecture" or key.split(".", 1)[-1] in wanted
            value = _value(f, kind, keep)
            if keep:
                meta[key] = value
    arch = meta.get("general.architecture", "")

    def get(name, default=0):
        value = meta.get(f"{arch}.{name}", default)
        return max(value) if isinstance(value, list) and value else value

    heads = get("attention.head_count", 1) or 1
    embedding = get("embedding_length")
    head_dim = embedding // heads if heads else 0
    return {
        "path": path,
        "size_bytes": os.path.getsize(path),
        "architecture": arch,
        "block_count": get("block_count"),
        "context_length": get("context_length"),
        "embedding_length": embedding,
        "head_count": heads,
        "head_count_kv": get("attention.head_count_kv", heads) or heads,
        "key_length": get("attention.key_length", head_dim) or head_dim,
        "value_length": get("attention.value_length", head_dim) or head_dim,
    }


def main():
    module = AnsibleModule(
        argument_spec={"paths": {"type": "list", "elements": "path", "required": True}},
        supports_check_mode=True,
    )
    try:
        models = [gguf_info(p) for p in module.params["paths"]]
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"llm_gguf_info: {exc}")
    module.exit_json(changed=False, models=models)


if __name__ == "__main__":
    main()
