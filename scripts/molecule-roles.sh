#!/usr/bin/env bash
# `molecule test` of each role named, MOLECULE_JOBS (default 2) at a time: ROLE runs on the default
# image (Debian 12), ROLE@IMAGE on local/IMAGE (MOLECULE_DISTRO, e.g. ubuntu-systemd:noble). Each run
# has its own instance (molecule-<role>-<suite>) and its own Molecule state directory, on the shared
# harness network. A run's output goes to its log under MOLECULE_LOG_DIR and is printed whole when it
# ends, so the CI log reads one scenario at a time; the exit status is non-zero when any failed, and
# the failed ones are named last.
#   scripts/molecule-roles.sh docker_engine llama_cpp@ubuntu-systemd:noble ...
#   scripts/molecule-roles.sh $(llm-onprem hosts molecule)      (the CI matrix)
# The runs are started in the order given: put the longest first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 ROLE..." >&2; exit 2; }
jobs=${MOLECULE_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "MOLECULE_JOBS must be a positive integer (got '$jobs')" >&2; exit 2 ;; esac
for job in "$@"; do
  role=${job%%@*}
  [ -f "roles/$role/molecule/default/molecule.yml" ] || { echo "no Molecule scenario: roles/$role" >&2; exit 2; }
  if [ "$job" != "$role" ]; then
    docker image inspect "local/${job#*@}" >/dev/null 2>&1 || { echo "no image local/${job#*@} (make images)" >&2; exit 2; }
  fi
done
logs=${MOLECULE_LOG_DIR:-${TMPDIR:-/tmp}/llm-onprem-molecule}
mkdir -p "$logs"
export MOLECULE_LOG_DIR=$logs

scenario() {
  local job=$1 role=${1%%@*} distro="" name instance start rc=0
  [ "$job" = "$role" ] || distro=${job#*@}
  name=$role${distro:+-${distro##*:}}  # vllm, vllm-noble
  instance="molecule-${name//_/-}"     # MOLECULE_INSTANCE; nvidia_driver's two hosts append -gated, -forced
  # Molecule's destroy steps are skipped (--destroy=never below: each is an Ansible run and a 5 s
  # poll, twice per scenario): a scenario starts from no instance and no state, and ends the same.
  clean() { docker rm -f "$instance" "$instance-gated" "$instance-forced" >/dev/null 2>&1 || true; rm -rf "$MOLECULE_LOG_DIR/state/$name"; }
  clean
  start=$(date +%s)
  echo "[molecule] $job: started (log $MOLECULE_LOG_DIR/$name.log)"
  (
    cd "roles/$role"
    export MOLECULE_INSTANCE="$instance" MOLECULE_EPHEMERAL_DIRECTORY="$MOLECULE_LOG_DIR/state/$name"
    [ -z "$distro" ] || export MOLECULE_DISTRO="$distro"
    molecule test --destroy=never
  ) >"$MOLECULE_LOG_DIR/$name.log" 2>&1 || rc=$?
  clean
  # One block per run: flock keeps two finishing scenarios from interleaving their logs.
  {
    flock 9
    echo "---------------------------------------- [molecule] $job"
    cat "$MOLECULE_LOG_DIR/$name.log"
    if [ "$rc" -eq 0 ]; then
      echo "[molecule] $job: passed in $(($(date +%s) - start)) s"
    else
      echo "[molecule] $job: FAILED (exit $rc) after $(($(date +%s) - start)) s"
      echo "$job" >>"$MOLECULE_LOG_DIR/failed"
    fi
  } 9>>"$MOLECULE_LOG_DIR/.print.lock"
  return "$rc"
}
export -f scenario

rm -f "$logs/failed"
start=$(date +%s)
# xargs fails when a scenario did; its status also catches a scenario killed before it could record itself.
status=0
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'scenario "$1"' _ {} || status=$?
if [ -s "$logs/failed" ] || [ "$status" -ne 0 ]; then
  echo "[molecule] failed: $(tr '\n' ' ' <"$logs/failed" 2>/dev/null)(xargs exit $status; logs in $logs)"
  exit 1
fi
echo "[molecule] $# scenarios passed in $(($(date +%s) - start)) s, $jobs at a time"
