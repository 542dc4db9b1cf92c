#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (Debian/Ubuntu, root).
# Idempotent: does nothing when `docker info` already works.
set -euo pipefail

log() { printf '[docker-engine] %s\n' "$*" >&2; }

if docker info >/dev/null 2>&1; then
  log "engine already answers"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "no Docker engine answers and we are not root: start one, or run as root"
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 && [ ! -x /usr/sbin/dockerd ]; then
  log "installing docker.io from the distribution"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get -o DPkg::Lock::Timeout=900 install -y -q docker.io
fi

# A systemd host starts it as a service; containers and CI sandboxes have no systemd as PID 1.
if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && systemctl start docker 2>/dev/null; then
  log "started docker.service"
else
  logfile="${LLM_ONPREM_CACHE:-$HOME/.cache/llm-onprem}/dockerd.log"
  mkdir -p "$(dirname "$logfile")"
  dockerd_bin="$(command -v dockerd || echo /usr/sbin/dockerd)"
  log "starting $dockerd_bin in the background (log: $logfile)"
  setsid nohup "$dockerd_bin" --log-level=warn >"$logfile" 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine ready"
    exit 0
  fi
  sleep 1
done
log "engine did not answer within 60 s; see the dockerd log"
exit 1
