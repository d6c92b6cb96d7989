#!/usr/bin/env bash
# The checklist suite in sandbox mode, with `harness serve` fakes standing in for the real sandboxes:
#   scripts/sandbox-on-fakes.sh reference   the harness's reference sync runs in the When-steps
#   scripts/sandbox-on-fakes.sh external    `harness sync --watch` runs as a separate process (the product under test),
#                                           on a realistic schedule; the suite observes it through barriers
# Everything runs on loopback; every process started here is stopped on exit. Extra arguments go to pytest.
# After the suite, the run's records must all be gone from both tenants (the scenarios' own cleanup, then the
# run's final sweep).
#
# External mode's schedule and service levels (environment variables, defaults in brackets):
#   PRODUCT_INTERVAL [2] and PRODUCT_RECONCILE_EVERY [5]: `harness sync --watch --interval --reconcile-every`
#   CONVERGE_TIMEOUT [12] and FULL_SYNC_TIMEOUT [40]: about three cycles, and two full-read periods, plus margin
#   PRODUCT_COMMAND: run this instead of `harness sync --watch` as the product; `harness proxy` starts it (and
#     kills and restarts it where a scenario stops the sync midway), with the tenants' settings in its environment
#     and the two API URLs on the proxy's fronts; it is given --interval and --reconcile-every
#   PRODUCT_TIMEOUT: the product's request timeout, if known (the "too slow" fault outlasts it); for
#     `harness sync --watch` 3 by default, given to it as --timeout
#   PROXY [on]: off runs the product without `harness proxy`, reaching the tenants directly; product keeps the proxy
#     in the product's way but does not tell the suite. Both are for comparing what the proxy costs: what needs the
#     proxy skips, so neither run is the product's sign-off
#   RESULTS_DIR: where external mode's Allure results go (default: the scratch folder); the sign-off of the
#     product is written beside it, and a run that is not ready for sign-off fails
# In external mode the product reaches the tenants through `harness proxy` (faults, holds, meters); the suite
# talks to the tenants directly.
set -euo pipefail
mode=${1:?usage: scripts/sandbox-on-fakes.sh reference|external [pytest args...]}
shift
# shellcheck source=scripts/served-fakes.sh
. "$(dirname "$0")/served-fakes.sh"
HARNESS_RUN_ID=$("$bin/python" -c 'from harness.shared_tenants.runtag import new_run_id; print(new_run_id())')
export HARNESS_RUN_ID

args=(-p no:cacheprovider -p no:hypothesispytest steps --tenants sandbox --sync "$mode")
if [ "$mode" = external ]; then
  interval=${PRODUCT_INTERVAL:-2}
  reconcile_every=${PRODUCT_RECONCILE_EVERY:-5}
  if [ -z "${PRODUCT_COMMAND:-}" ]; then
    # Our own product's request timeout is known, so the "too slow" answers can be made to outlast it.
    PRODUCT_TIMEOUT=${PRODUCT_TIMEOUT:-3}
    product="$bin/harness sync --watch --state $work/watch.sqlite --timeout $PRODUCT_TIMEOUT"
  else
    product=$PRODUCT_COMMAND
  fi
  if [ "${PROXY:-on}" = off ]; then
    # Without harness proxy (to compare): the product reaches the tenants directly, and what needs the proxy skips.
    # shellcheck disable=SC2086 # the command is words by design
    $product --interval "$interval" --reconcile-every "$reconcile_every" > "$work/watch.log" 2>&1 &
    pids+=($!)
  else
    # The proxy starts the product (so that "the sync is stopped after its first write" can kill and restart it)
    # with the settings file's values in its environment, and stops it when it stops.
    start_proxy "$product --interval $interval --reconcile-every $reconcile_every"
    if [ "${PROXY:-on}" != product ]; then
      args+=(--proxy "$control")
    fi
  fi
  # The product's own sign-off: every rule, row and section proven, and the tenants' limits kept.
  results=${RESULTS_DIR:-$work/results}
  # A kept RESULTS_DIR holds the last run's results: this run's sign-off must count this run's only.
  if [ -d "$results" ]; then find "$results" -maxdepth 1 -type f \( -name '*-result.json' -o -name '*-container.json' \
    -o -name '*-attachment.*' -o -name 'harness-*.json' \) -delete; fi
  args+=(--alluredir "$results")
  if [ -n "${PRODUCT_TIMEOUT:-}" ]; then args+=(--product-timeout "$PRODUCT_TIMEOUT"); fi
  # Scenarios overlap on the suite's own pool of workers (--external-workers), since they mostly wait.
  args+=(--converge-timeout "${CONVERGE_TIMEOUT:-12}" --full-sync-timeout "${FULL_SYNC_TIMEOUT:-40}")
else
  args+=(-n 2)
fi

status=0
"$bin/pytest" "${args[@]}" "$@" || status=$?

if [ "$mode" = external ] && [ "${PROXY:-on}" = off ]; then
  kill -TERM "${pids[-1]}"
  wait "${pids[-1]}" || { echo "the product did not stop cleanly" >&2; status=1; }
  tail -n 1 "$work/watch.log"
elif [ "$mode" = external ]; then
  kill -TERM "$proxy_pid"
  wait "$proxy_pid" || { echo "harness proxy or the product did not stop cleanly" >&2; status=1; }
  tail -n 1 "$work/watch.log"
  cat "$work/proxy.log"
  "$bin/harness" signoff --results "$results" --out "$results/../signoff-external.md" --suite-exit "$status" \
    --no-attach || status=1
fi

# What the tenants received from the suite and the product together (Business Central allows 6,000 per 5 minutes).
"$bin/python" - "$work/endpoints.json" <<'PY'
import json, sys, urllib.parse, urllib.request
endpoints = json.load(open(sys.argv[1]))
counts = {}
for system, label in (("crmoffice", "CRMOffice"), ("businesscentral", "Business Central")):
    api = urllib.parse.urlsplit(endpoints[system]["api"])
    with urllib.request.urlopen(f"{api.scheme}://{api.netloc}/_harness/requests", timeout=10) as answer:
        counts[label] = json.load(answer)["total"]
print("requests received: " + ", ".join(f"{label} {total}" for label, total in counts.items()))
PY

left=$("$bin/harness" cleanup --run-id "$HARNESS_RUN_ID" --dry-run | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
if [ "$left" != 0 ]; then
  echo "run $HARNESS_RUN_ID left $left records on the tenants" >&2
  status=1
else
  echo "run $HARNESS_RUN_ID left no record on the tenants"
fi
exit "$status"
