#!/usr/bin/env bash
# The model converters' venv under $LLM_ONPREM_CACHE (once; cached): torch and transformers from the
# mirror's wheels, gguf and accelerate pinned from the index. Used by scripts/stage-hf-model.sh (GGUF to
# Hugging Face, for vLLM) and scripts/stage-embedding-model.sh (Hugging Face to GGUF, for llama.cpp).
#
#   scripts/converter-venv.sh MIRROR_DIR    prints the venv's path
set -euo pipefail

CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
MIRROR="${1:?usage: $0 MIRROR_DIR}"
VENV="$CACHE/venv-convert"
PYTHON="${PYTHON:-python3}"

if ! "$VENV/bin/python" -c 'import torch, transformers, gguf, accelerate' 2>/dev/null; then
  printf '[converter-venv] %s\n' "creating the converter venv (torch 2.13.0, transformers 5.19.0; a few minutes, ~3 GB)" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --find-links "$MIRROR/python" \
    torch==2.13.0 transformers==5.19.0 gguf==0.19.0 accelerate==1.15.0 sentencepiece==0.2.3
fi
echo "$VENV"
