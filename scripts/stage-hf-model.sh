#!/usr/bin/env bash
# Convert the mirror's SmolLM2 GGUF into a Hugging Face directory for vLLM (once; cached).
#
#   scripts/stage-hf-model.sh MIRROR_DIR
#
# Uses a converter venv under $LLM_ONPREM_CACHE (torch and transformers from the mirror's wheels,
# gguf and accelerate pinned from the index). The output carries its own SHA256SUMS; the mirror
# manifest is rewritten afterwards by `llm-onprem mirror manifest`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
MIRROR="${1:?usage: $0 MIRROR_DIR}"
GGUF="$MIRROR/models/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT="$MIRROR/models/smollm2-135m-instruct-hf"
VENV="$CACHE/venv-convert"
PYTHON="${PYTHON:-python3}"

log() { printf '[hf-model] %s\n' "$*" >&2; }

if [ -s "$OUT/SHA256SUMS" ]; then
  log "cached: $OUT"
  exit 0
fi
[ -s "$GGUF" ] || { log "missing $GGUF: run 'llm-onprem mirror stage' first"; exit 1; }

if ! "$VENV/bin/python" -c 'import torch, transformers, gguf, accelerate' 2>/dev/null; then
  log "creating the converter venv (torch 2.13.0, transformers 5.19.0; a few minutes, ~3 GB)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --find-links "$MIRROR/python" \
    torch==2.13.0 transformers==5.19.0 gguf==0.19.0 accelerate==1.15.0 sentencepiece==0.2.3
fi

log "converting $(basename "$GGUF") to Hugging Face format (bf16)"
"$VENV/bin/python" "$here/gguf-to-hf.py" "$GGUF" "$OUT"
chmod -R a+rX "$OUT"
