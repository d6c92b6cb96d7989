#!/usr/bin/env bash
# `harness soak` against `harness serve` fakes, with `harness sync --watch` (or PRODUCT_COMMAND) as the product.
#   scripts/soak-on-fakes.sh SEED [SEED ...]     one soak per seed; extra options in SOAK_ARGS
# Everything runs on loopback; every process started here is stopped on exit. After the soaks, no record of the run
# may be left on either tenant.
#
# Environment (defaults in brackets):
#   PRODUCT_INTERVAL [0.3] and PRODUCT_RECONCILE_EVERY [5]: the product's schedule (`--interval`, `--reconcile-every`)
#   CONVERGE_TIMEOUT [5] and FULL_SYNC_TIMEOUT [15]: the service levels the soak holds the product to
#   OPERATIONS [200]: user actions per soak
#   PRODUCT_COMMAND: run this instead of `harness sync --watch`; `harness proxy` starts it with the tenants' settings
#     in its environment and the two API URLs on the proxy's fronts
#   NEMESIS [0.05]: trouble at the proxy before about this share of the actions (`harness soak --nemesis`; 0: none)
#   SOAK_ARGS: more options for `harness soak` (e.g. --alluredir reports/allure-results)
# The product reaches the tenants through `harness proxy` (its meters judge rule 12, the nemesis's faults and
# crashes are made there); the soak itself talks to the tenants directly.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/soak-on-fakes.sh SEED [SEED ...]" >&2; exit 2; }
# shellcheck source=scripts/served-fakes.sh
. "$(dirname "$0")/served-fakes.sh"

product=${PRODUCT_COMMAND:-"$bin/harness sync --watch --state $work/watch.sqlite"}
start_proxy "$product --interval ${PRODUCT_INTERVAL:-0.3} --reconcile-every ${PRODUCT_RECONCILE_EVERY:-5}"
nemesis=()
if [ "${NEMESIS:-0.05}" != 0 ]; then nemesis=(--nemesis "${NEMESIS:-0.05}"); fi

status=0
for seed in "$@"; do
  # shellcheck disable=SC2086 # SOAK_ARGS are words by design
  "$bin/harness" soak --tenants "$work/endpoints.json" --seed "$seed" --operations "${OPERATIONS:-200}" \
    --converge-timeout "${CONVERGE_TIMEOUT:-5}" --full-sync-timeout "${FULL_SYNC_TIMEOUT:-15}" \
    --proxy "$control" "${nemesis[@]}" ${SOAK_ARGS:-} || status=$?
done

kill -TERM "$proxy_pid"
wait "$proxy_pid" || { echo "harness proxy or the product did not stop cleanly" >&2; tail -n 5 "$work/watch.log" >&2; status=1; }
cat "$work/proxy.log"
left=$("$bin/harness" cleanup --tenants "$work/endpoints.json" --older-than 0s --dry-run | "$bin/python" -c 'import json,sys; print(json.load(sys.stdin)["total"])')
if [ "$left" != 0 ]; then
  echo "records left on the tenants after the soaks: $left" >&2
  status=1
fi
exit $status
