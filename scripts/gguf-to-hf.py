#!/usr/bin/env python3
"""Convert a GGUF (llama architecture) into a Hugging Face directory that vLLM can serve.

    gguf-to-hf.py GGUF_FILE OUT_DIR [--dtype bfloat16]

transformers dequantizes the GGUF weights; it refuses to save a GGUF-loaded model until its
quantizer is dropped, so this clears `hf_quantizer` and `quantization_config` before saving.
Writes safetensors weights, config, generation config and tokenizer files, then SHA256SUMS.
Run it with an interpreter that has torch, transformers, gguf and accelerate (the harness builds
that venv under $LLM_ONPREM_CACHE).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gguf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = getattr(torch, args.dtype)
    tmp = args.out.with_name(args.out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(args.gguf.parent, gguf_file=args.gguf.name)
    model = AutoModelForCausalLM.from_pretrained(args.gguf.parent, gguf_file=args.gguf.name, dtype=dtype)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    sums = []
    for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        sums.append(f"{digest}  {path.relative_to(tmp).as_posix()}\n")
    (tmp / "SHA256SUMS").write_text("".join(sums))
    shutil.rmtree(args.out, ignore_errors=True)
    tmp.rename(args.out)
    print(f"wrote {args.out}: {len(sums)} files")


if __name__ == "__main__":
    main()
