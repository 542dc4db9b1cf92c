#!/usr/bin/env bash
# `molecule test` of each role named, MOLECULE_JOBS (default 2) at a time: each scenario has its own
# instance (molecule-<role>) on the shared harness network. A scenario's output goes to its log under
# MOLECULE_LOG_DIR and is printed whole when it ends, so the CI log reads one role at a time; the
# exit status is non-zero when any role failed, and the failed roles are named last.
#   scripts/molecule-roles.sh docker_engine llama_cpp ...
# The roles are started in the order given: put the longest first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 ROLE..." >&2; exit 2; }
jobs=${MOLECULE_JOBS:-2}
case $jobs in '' | *[!0-9]* | 0) echo "MOLECULE_JOBS must be a positive integer (got '$jobs')" >&2; exit 2 ;; esac
for role in "$@"; do
  [ -f "roles/$role/molecule/default/molecule.yml" ] || { echo "no Molecule scenario: roles/$role" >&2; exit 2; }
done
logs=${MOLECULE_LOG_DIR:-${TMPDIR:-/tmp}/llm-onprem-molecule}
mkdir -p "$logs"
export MOLECULE_LOG_DIR=$logs

scenario() {
  local role=$1 start rc=0
  start=$(date +%s)
  echo "[molecule] $role: started (log $MOLECULE_LOG_DIR/$role.log)"
  (cd "roles/$role" && MOLECULE_INSTANCE="molecule-${role//_/-}" molecule test) >"$MOLECULE_LOG_DIR/$role.log" 2>&1 || rc=$?
  # One block per role: flock keeps two finishing scenarios from interleaving their logs.
  {
    flock 9
    echo "---------------------------------------- [molecule] $role"
    cat "$MOLECULE_LOG_DIR/$role.log"
    if [ "$rc" -eq 0 ]; then
      echo "[molecule] $role: passed in $(($(date +%s) - start)) s"
    else
      echo "[molecule] $role: FAILED (exit $rc) after $(($(date +%s) - start)) s"
      echo "$role" >>"$MOLECULE_LOG_DIR/failed"
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
echo "[molecule] $# roles passed in $(($(date +%s) - start)) s, $jobs at a time"
