#!/usr/bin/env bash
# Stage NVIDIA Container Toolkit's CDI package in the mirror as a signed flat apt repository, laid
# out like upstream's (nvidia.github.io/libnvidia-container/stable/deb/<arch>/ + gpgkey):
#
#   scripts/build-nvidia-container-toolkit.sh MIRROR_DIR VERSION
#
# NVIDIA's repository is unreachable from the build machines, so the package is rebuilt: the three
# binaries of nvidia-container-toolkit-base (nvidia-ctk, nvidia-container-runtime, nvidia-cdi-hook)
# come from github.com/NVIDIA/nvidia-container-toolkit@vVERSION through the Go module proxy; the
# file list, systemd units, postinst and control fields are upstream's packaging/debian files from the
# same module. The repository is signed with a harness key kept outside the repo
# ($LLM_ONPREM_CACHE/keys); its public key is published as gpgkey, its fingerprint as
# gpgkey.fingerprint (the sandbox inventory pins it, as real inventories pin NVIDIA's).
# The other packages of the full install (libnvidia-container*, the legacy hook) are C code and are
# not built: this repository serves CDI-only hosts, which need just the -base package.
set -euo pipefail

mirror=${1:?usage: $0 MIRROR_DIR VERSION}
version=${2:?usage: $0 MIRROR_DIR VERSION}
revision=1
cache=${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}
export PATH="$PATH:/usr/local/go/bin" GOFLAGS=-modcacherw

module=github.com/NVIDIA/nvidia-container-toolkit
base=$mirror/libnvidia-container
repo=$base/stable/deb/amd64
deb=$repo/nvidia-container-toolkit-base_${version}-${revision}_amd64.deb
gnupg=$cache/keys/gnupg
build=$cache/build/nvidia-container-toolkit-$version
log() { printf '[nvidia-container-toolkit] %s\n' "$*" >&2; }

mkdir -p "$repo"

if [[ ! -s $deb ]]; then
  command -v go >/dev/null || { log "go not found (install Go, see .ci/run)"; exit 1; }
  log "building $module@v$version (nvidia-ctk, nvidia-container-runtime, nvidia-cdi-hook)"
  rm -rf "$build" && mkdir -p "$build/bin"
  GOBIN=$build/bin CGO_ENABLED=1 go install \
    -ldflags "-s -w -X $module/internal/info.version=$version" \
    "$module/cmd/nvidia-ctk@v$version" \
    "$module/cmd/nvidia-container-runtime@v$version" \
    "$module/cmd/nvidia-cdi-hook@v$version"
  src=$(go env GOMODCACHE)/github.com/!n!v!i!d!i!a/nvidia-container-toolkit@v$version
  pkg=$build/pkg
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/etc/systemd/system" "$pkg/etc/nvidia-container-toolkit"
  # Upstream's install list: binaries to /usr/bin, the CDI refresh units and their env file.
  while read -r file dest; do
    case $file in
      nvidia-cdi-refresh.*) install -m 0644 "$src/deployments/systemd/$file" "$pkg$dest/$file" ;;
      *) install -m 0755 "$build/bin/$file" "$pkg$dest/$file" ;;
    esac
  done < "$src/packaging/debian/nvidia-container-toolkit-base.install"
  install -m 0755 "$src/packaging/debian/nvidia-container-toolkit-base.postinst" "$pkg/DEBIAN/postinst"
  printf '%s\n' /etc/nvidia-container-toolkit/nvidia-cdi-refresh.env > "$pkg/DEBIAN/conffiles"
  cat > "$pkg/DEBIAN/control" <<EOF
Package: nvidia-container-toolkit-base
Version: $version-$revision
Architecture: amd64
Maintainer: llm-onprem harness (rebuilt from $module@v$version)
Breaks: nvidia-container-runtime (<= 3.5.0-1), nvidia-container-runtime-hook, nvidia-container-toolkit (<= 1.10.0-1)
Replaces: nvidia-container-runtime (<= 3.5.0-1), nvidia-container-runtime-hook
Description: NVIDIA Container Toolkit Base
 Provides tools such as the NVIDIA Container Runtime and NVIDIA Container Toolkit CLI to enable GPU
 support in containers. Rebuilt by the llm-onprem harness from the upstream Go module and packaging.
EOF
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb.tmp" >/dev/null
  mv "$deb.tmp" "$deb"
  log "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
fi

# Harness signing key: generated once, reused so the pinned fingerprint stays valid across stagings.
if [[ ! -s $gnupg/fingerprint ]]; then
  log "generating the harness repository signing key in $gnupg"
  rm -rf "$gnupg" && mkdir -p "$gnupg" && chmod 0700 "$gnupg"
  gpg --batch --homedir "$gnupg" --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "llm-onprem harness mirror <mirror@llm-onprem.invalid>" ed25519 sign never 2>/dev/null
  gpg --batch --homedir "$gnupg" --with-colons --list-keys |
    awk -F: '$1 == "pub" { p = 1; next } $1 == "fpr" && p { print $10; exit }' > "$gnupg/fingerprint"
fi
fingerprint=$(cat "$gnupg/fingerprint")
gpg --batch --homedir "$gnupg" --armor --export "$fingerprint" > "$base/gpgkey.tmp" && mv "$base/gpgkey.tmp" "$base/gpgkey"
printf '%s\n' "$fingerprint" > "$base/gpgkey.fingerprint"

# Flat repository index (deb [signed-by=...] URL /), re-signed only when a package changed.
if [[ ! -s $repo/InRelease || -n $(find "$repo" -name '*.deb' -newer "$repo/InRelease") ]]; then
  (
    cd "$repo"
    dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages
    gzip -9nkf Packages
    {
      echo "Origin: llm-onprem harness"
      echo "Label: libnvidia-container (rebuilt)"
      echo "Architectures: amd64"
      echo "Date: $(date -Ru)"
      echo "SHA256:"
      for f in Packages Packages.gz; do
        printf ' %s %s %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
      done
    } > Release
    rm -f InRelease Release.gpg
    gpg --batch --homedir "$gnupg" --pinentry-mode loopback --passphrase '' -u "$fingerprint" \
      --clearsign -o InRelease Release
    gpg --batch --homedir "$gnupg" --pinentry-mode loopback --passphrase '' -u "$fingerprint" \
      --detach-sign --armor -o Release.gpg Release
  )
  log "signed the repository index with $fingerprint"
fi
log "ready: $repo (key $base/gpgkey, fingerprint $fingerprint)"
