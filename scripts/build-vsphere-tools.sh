#!/usr/bin/env bash
# Build the vSphere test tool chain from Go modules (the Go module proxy is the only source
# reachable here), into a cache outside the repo:
#
#   scripts/build-vsphere-tools.sh [DEST]      (default $LLM_ONPREM_CACHE/vsphere-tools)
#
#   DEST/bin/tofu         OpenTofu (github.com/opentofu/opentofu, cmd/tofu)
#   DEST/bin/govc         govmomi's CLI
#   DEST/bin/vcsim-gpu    govmomi's vCenter simulator with NVIDIA GPUs on its hosts (tools/vcsim-gpu)
#   DEST/providers/       filesystem mirror: hashicorp/vsphere and hashicorp/local
#   DEST/tofurc           CLI config (TF_CLI_CONFIG_FILE) that installs providers from that mirror only
#
# Each piece is rebuilt only when missing (vcsim-gpu also when its sources change). Modules with
# replace directives (OpenTofu) or whose vendor/ directory the module zip drops (the providers) are
# built inside their downloaded source, not with `go install mod@version`.
# Provider versions: the proxy serves terraform-provider-vsphere only up to v1.26.0 (v2's module
# path has no /v2 suffix) and terraform-provider-local up to v1.4.0 as canonical versions.
set -euo pipefail

OPENTOFU_VERSION=1.10.10
GOVMOMI_VERSION=0.46.3
VSPHERE_PROVIDER_VERSION=1.26.0
LOCAL_PROVIDER_VERSION=1.4.0

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}
dest=${1:-$cache/vsphere-tools}
export PATH="$PATH:/usr/local/go/bin" GOFLAGS=-modcacherw
command -v go >/dev/null || { echo "[vsphere-tools] go not found (see .ci/run)" >&2; exit 1; }
log() { printf '[vsphere-tools] %s\n' "$*" >&2; }
mkdir -p "$dest/bin" "$dest/src"
gomodcache=$(go env GOMODCACHE)

# build_in_source MODULE VERSION PACKAGE OUTPUT [LDFLAGS]: download MODULE@VERSION, go build PACKAGE in it.
build_in_source() {
  local module=$1 version=$2 package=$3 output=$4 ldflags=${5:-} src
  go mod download "$module@v$version"
  src="$dest/src/$(basename "$module")-$version"
  rm -rf "$src" && cp -r "$gomodcache/$(echo "$module" | sed -E 's/[A-Z]/!\L&/g')@v$version" "$src" && chmod -R u+w "$src"
  (cd "$src" && go build -mod=mod -trimpath -ldflags "-s -w $ldflags" -o "$output.tmp" "$package") && mv "$output.tmp" "$output"
  rm -rf "$src"
}

if [[ ! -x $dest/bin/tofu ]]; then
  log "building OpenTofu v$OPENTOFU_VERSION (about 4 minutes on 2 cores)"
  build_in_source github.com/opentofu/opentofu "$OPENTOFU_VERSION" ./cmd/tofu "$dest/bin/tofu" \
    "-X github.com/opentofu/opentofu/version.dev=no"
fi

if [[ ! -x $dest/bin/govc ]]; then
  log "building govc v$GOVMOMI_VERSION"
  GOBIN=$dest/bin go install -trimpath "github.com/vmware/govmomi/govc@v$GOVMOMI_VERSION"
fi

vcsim_src=$repo/tools/vcsim-gpu
unformatted=$(gofmt -l "$vcsim_src")
[[ -z $unformatted ]] || { log "gofmt: $unformatted needs formatting"; exit 1; }
vcsim_stamp=$(cat "$vcsim_src"/*.go "$vcsim_src"/go.mod "$vcsim_src"/go.sum | sha256sum | cut -c1-16)
if [[ ! -x $dest/bin/vcsim-gpu || $(cat "$dest/bin/.vcsim-gpu.stamp" 2>/dev/null) != "$vcsim_stamp" ]]; then
  log "building vcsim-gpu (govmomi v$GOVMOMI_VERSION simulator + NVIDIA GPUs)"
  (cd "$vcsim_src" && go vet . && go build -trimpath -o "$dest/bin/vcsim-gpu.tmp" .) && mv "$dest/bin/vcsim-gpu.tmp" "$dest/bin/vcsim-gpu"
  echo "$vcsim_stamp" > "$dest/bin/.vcsim-gpu.stamp"
fi

provider() {  # provider NAME VERSION: hashicorp/NAME into the filesystem mirror
  local name=$1 version=$2 dir
  dir="$dest/providers/registry.opentofu.org/hashicorp/$name/$version/linux_amd64"
  if [[ ! -x $dir/terraform-provider-${name}_v$version ]]; then
    log "building terraform-provider-$name v$version"
    mkdir -p "$dir"
    build_in_source "github.com/hashicorp/terraform-provider-$name" "$version" . "$dir/terraform-provider-${name}_v$version"
  fi
}
provider vsphere "$VSPHERE_PROVIDER_VERSION"
provider local "$LOCAL_PROVIDER_VERSION"

cat > "$dest/tofurc" <<RC
# Written by scripts/build-vsphere-tools.sh: providers come from the local mirror only.
provider_installation {
  filesystem_mirror {
    path    = "$dest/providers"
    include = ["registry.opentofu.org/hashicorp/*"]
  }
}
RC
log "ready: $dest ($(TF_CLI_CONFIG_FILE=$dest/tofurc "$dest/bin/tofu" version | head -1))"
