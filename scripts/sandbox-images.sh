#!/usr/bin/env bash
# Build the local base images the tests run on, without any registry, for each suite named
# (default: bookworm):
#   local/<distro>:<suite>          debootstrap --variant=minbase + python3, `docker import`ed
#   local/<distro>-systemd:<suite>  systemd as PID 1 (images/sandbox/Dockerfile)
#     bookworm  Debian 12      trixie  Debian 13      jammy  Ubuntu 22.04      noble  Ubuntu 24.04
# The archive's signing key is pinned by fingerprint: debootstrap checks the Release file against a
# keyring holding that one key (Debian's from this machine's debian-archive-keyring, Ubuntu's from
# the archive's ubuntu-keyring package: Debian 12 has none), never with --no-check-gpg.
# Idempotent: an image is rebuilt only when missing or when its recipe changed.
#   scripts/sandbox-images.sh [SUITE...]
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
UBUNTU_MIRROR="${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}"
# The Ubuntu archive keyring package (noble's; it holds the 2012 and 2018 archive keys).
UBUNTU_KEYRING_DEB="pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb"

log() { printf '[images] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# suite -> distro, debootstrap script, archive signing key fingerprint (published by the archive:
# https://ftp-master.debian.org/keys.html, https://wiki.ubuntu.com/SecurityTeam/FAQ).
suite_spec() {
  case $1 in
    bookworm) echo "debian bookworm B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8" ;;  # Debian 12 archive key
    trixie) echo "debian trixie 04B54C3CDCA79751B16BC6B5225629DF75B188BD" ;;      # Debian 13 archive key
    jammy) echo "ubuntu jammy F6ECB3762474EDA9D21B7022871920D1991BC93C" ;;        # Ubuntu archive key (2018)
    # bookworm's debootstrap has no `noble` script; `gutsy` serves every later Ubuntu release.
    noble) echo "ubuntu gutsy F6ECB3762474EDA9D21B7022871920D1991BC93C" ;;
    *) return 1 ;;
  esac
}

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri="$(grep -hs -m1 -E '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true)"
  [ -n "$uri" ] || uri="$(grep -hs -m1 -E '^deb .*/debian/? ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"llm-onprem.recipe\" }}" "$1" 2>/dev/null || true; }

# pinned_keyring DISTRO FINGERPRINT OUT: OUT holds the one key whose primary fingerprint is FINGERPRINT.
pinned_keyring() {
  local distro=$1 fpr=$2 out=$3 gnupg source got
  gnupg="$(mktemp -d)"
  if [ "$distro" = debian ]; then
    source=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$source" ] || die "no $source (apt-get install debian-archive-keyring)"
  else
    source="$gnupg/ubuntu-archive-keyring.gpg"
    curl -fsS --retry 3 -o "$gnupg/keyring.deb" "$UBUNTU_MIRROR/$UBUNTU_KEYRING_DEB" \
      || die "could not download $UBUNTU_MIRROR/$UBUNTU_KEYRING_DEB (set UBUNTU_MIRROR)"
    dpkg-deb --fsys-tarfile "$gnupg/keyring.deb" | tar -xO ./usr/share/keyrings/ubuntu-archive-keyring.gpg >"$source"
  fi
  gpg --homedir "$gnupg" --batch --quiet --import "$source" 2>/dev/null
  gpg --homedir "$gnupg" --batch --export "$fpr" >"$out"
  got="$(gpg --homedir "$gnupg" --batch --with-colons --show-keys "$out" 2>/dev/null | awk -F: '$1 == "pub" {p=1; next} p && $1 == "fpr" {print $10; p=0}')"
  rm -rf "$gnupg"
  [ "$got" = "$fpr" ] || die "the $distro archive keyring ($source) holds no key $fpr (primary keys found: ${got:-none})"
}

build_suite() {
  local suite=$1 spec distro script fpr mirror base systemd base_recipe systemd_recipe rootfs keyring
  spec="$(suite_spec "$suite")" || die "unknown suite '$suite' (bookworm, trixie, jammy, noble)"
  read -r distro script fpr <<<"$spec"
  base="local/$distro:$suite"
  systemd="local/$distro-systemd:$suite"
  [ "$suite" != bookworm ] || { base="${LLM_ONPREM_BASE_IMAGE:-$base}"; systemd="${LLM_ONPREM_SYSTEMD_IMAGE:-$systemd}"; }
  if [ "$distro" = debian ]; then mirror="$(debian_mirror)"; else mirror="$UBUNTU_MIRROR"; fi
  base_recipe="debootstrap-minbase-$suite-python3-key-${fpr: -16}-v3"
  if [ "$(image_label "$base")" != "$base_recipe" ]; then
    rootfs="$CACHE/rootfs-$suite"
    keyring="$CACHE/keys/archive-$suite.gpg"
    mkdir -p "$CACHE/keys"
    pinned_keyring "$distro" "$fpr" "$keyring"
    log "debootstrap $suite from $mirror, signed by $fpr (about 90 s)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --keyring="$keyring" --include=python3,ca-certificates \
      "$suite" "$rootfs" "$mirror" "/usr/share/debootstrap/scripts/$script" \
      >"$CACHE/debootstrap-$suite.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap-$suite.log" >&2; exit 1; }
    if [ "$distro" = ubuntu ]; then
      # debootstrap writes the release pocket of main only: the components and pockets an installed
      # server has (restricted holds Canonical's NVIDIA driver packages, universe docker.io).
      for pocket in "$suite" "$suite-updates" "$suite-security"; do
        echo "deb $mirror $pocket main restricted universe multiverse"
      done >"$rootfs/etc/apt/sources.list"
    fi
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
    tar -C "$rootfs" -c . | docker import \
      --change "LABEL llm-onprem.recipe=$base_recipe" --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
    rm -rf "$rootfs"
    log "imported $base"
  else
    log "cached: $base"
  fi

  systemd_recipe="$(sha256sum <"$here/images/sandbox/Dockerfile" | cut -c1-16)-$base_recipe"
  if [ "$(image_label "$systemd")" != "$systemd_recipe" ]; then
    log "building $systemd"
    DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$base" \
      --label "llm-onprem.recipe=$systemd_recipe" -t "$systemd" "$here/images/sandbox" >/dev/null
    log "built $systemd"
  else
    log "cached: $systemd"
  fi
}

command -v debootstrap >/dev/null || {
  log "installing debootstrap"
  apt-get update -q && apt-get -o DPkg::Lock::Timeout=900 install -y -q debootstrap
}
[ $# -gt 0 ] || set -- bookworm
for suite in "$@"; do build_suite "$suite"; done
