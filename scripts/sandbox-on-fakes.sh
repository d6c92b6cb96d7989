#!/usr/bin/env bash
# The checklist suite in sandbox mode, with `harness serve` fakes standing in for the real sandboxes:
#   scripts/sandbox-on-fakes.sh reference   the harness's reference sync runs in the When-steps
#   scripts/sandbox-on-fakes.sh external    `harness sync --watch` runs as a separate process, the suite waits for it
# Everything runs on loopback; every process started here is stopped on exit. Extra arguments go to pytest.
# After the suite, the run's records must all be gone from both tenants (the scenarios' own cleanup).
set -euo pipefail
mode=${1:?usage: scripts/sandbox-on-fakes.sh reference|external [pytest args...]}
shift
bin=.venv/bin
work=$(mktemp -d)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_all EXIT

"$bin/harness" serve --env-file "$work/tenants.env" > "$work/endpoints.json" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/endpoints.json" ] && break; sleep 0.1; done
[ -s "$work/endpoints.json" ] || { echo "harness serve did not start" >&2; exit 2; }
set -a
# shellcheck disable=SC1091
. "$work/tenants.env"
set +a
HARNESS_RUN_ID=$("$bin/python" -c 'from harness.suite.runtag import new_run_id; print(new_run_id())')
export HARNESS_RUN_ID

args=(-p no:cacheprovider -n 2 steps --tenants sandbox --sync "$mode")
if [ "$mode" = external ]; then
  "$bin/harness" sync --watch --interval 0.3 --reconcile-every 1 --state "$work/watch.sqlite" > "$work/watch.log" 2>&1 &
  watch_pid=$!
  args+=(--settle 1.5 --converge-timeout 60)
fi

status=0
"$bin/pytest" "${args[@]}" "$@" || status=$?

if [ "$mode" = external ]; then
  kill -TERM "$watch_pid"
  watch_status=0
  wait "$watch_pid" || watch_status=$?
  tail -n 1 "$work/watch.log"
  if [ "$watch_status" -ne 0 ]; then
    echo "harness sync --watch did not stop cleanly (exit $watch_status)" >&2
    status=1
  fi
fi

left=$("$bin/harness" cleanup --run-id "$HARNESS_RUN_ID" --dry-run | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
if [ "$left" != 0 ]; then
  echo "run $HARNESS_RUN_ID left $left records on the tenants" >&2
  status=1
else
  echo "run $HARNESS_RUN_ID left no record on the tenants"
fi
exit "$status"
