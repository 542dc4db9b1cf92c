#!/usr/bin/env bash
# Build the local base images the tests run on, without any registry:
#   local/debian:bookworm          debootstrap --variant=minbase + python3, `docker import`ed
#   local/debian-systemd:bookworm  systemd as PID 1 (images/sandbox/Dockerfile)
# Idempotent: an image is rebuilt only when missing or when its recipe changed.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
BASE_IMAGE="${LLM_ONPREM_BASE_IMAGE:-local/debian:bookworm}"
SYSTEMD_IMAGE="${LLM_ONPREM_SYSTEMD_IMAGE:-local/debian-systemd:bookworm}"
SUITE=bookworm

log() { printf '[images] %s\n' "$*" >&2; }

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri="$(grep -hs -m1 -E '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true)"
  [ -n "$uri" ] || uri="$(grep -hs -m1 -E '^deb .*/debian/? ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"llm-onprem.recipe\" }}" "$1" 2>/dev/null || true; }

command -v debootstrap >/dev/null || {
  log "installing debootstrap"
  apt-get update -q && apt-get -o DPkg::Lock::Timeout=900 install -y -q debootstrap
}

base_recipe="debootstrap-minbase-$SUITE-python3-v1"
if [ "$(image_label "$BASE_IMAGE")" != "$base_recipe" ]; then
  rootfs="$CACHE/rootfs-$SUITE"
  mirror="$(debian_mirror)"
  log "debootstrap $SUITE from $mirror (about 90 s)"
  rm -rf "$rootfs"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include=python3,ca-certificates "$SUITE" "$rootfs" "$mirror" \
    >"$CACHE/debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | docker import \
    --change "LABEL llm-onprem.recipe=$base_recipe" --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "imported $BASE_IMAGE"
else
  log "cached: $BASE_IMAGE"
fi

systemd_recipe="$(cat "$here/images/sandbox/Dockerfile" | sha256sum | cut -c1-16)-$base_recipe"
if [ "$(image_label "$SYSTEMD_IMAGE")" != "$systemd_recipe" ]; then
  log "building $SYSTEMD_IMAGE"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --label "llm-onprem.recipe=$systemd_recipe" -t "$SYSTEMD_IMAGE" "$here/images/sandbox" >/dev/null
  log "built $SYSTEMD_IMAGE"
else
  log "cached: $SYSTEMD_IMAGE"
fi
