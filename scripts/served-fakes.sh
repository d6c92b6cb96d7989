# Sourced by scripts/sandbox-on-fakes.sh and scripts/soak-on-fakes.sh: `harness serve` fakes on loopback, their
# settings exported (as a real sandbox's would be), and every process added to `pids` stopped on exit.
# Sets: bin (the virtual environment's bin), work (a scratch folder, removed on exit; endpoints.json and tenants.env
# in it), pids.
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
