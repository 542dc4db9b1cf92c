#!/usr/bin/env bash
# Convert the mirror's SmolLM2 GGUF into a Hugging Face directory for vLLM (once; cached).
#
#   scripts/stage-hf-model.sh MIRROR_DIR
#
# Uses the converter venv (scripts/converter-venv.sh). The output carries its own SHA256SUMS; the mirror
# manifest is rewritten afterwards by `llm-onprem mirror manifest`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
MIRROR="${1:?usage: $0 MIRROR_DIR}"
GGUF="$MIRROR/models/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT="$MIRROR/models/smollm2-135m-instruct-hf"

log() { printf '[hf-model] %s\n' "$*" >&2; }

if [ -s "$OUT/SHA256SUMS" ]; then
  log "cached: $OUT"
  exit 0
fi
[ -s "$GGUF" ] || { log "missing $GGUF: run 'llm-onprem mirror stage' first"; exit 1; }

VENV="$("$here/converter-venv.sh" "$MIRROR")"

log "converting $(basename "$GGUF") to Hugging Face format (bf16)"
"$VENV/bin/python" "$here/gguf-to-hf.py" "$GGUF" "$OUT"
chmod -R a+rX "$OUT"
