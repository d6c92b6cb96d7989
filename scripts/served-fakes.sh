# Sourced by scripts/sandbox-on-fakes.sh and scripts/soak-on-fakes.sh: `harness serve` fakes on loopback, their
# settings exported (as a real sandbox's would be), and every process added to `pids` stopped on exit.
# Sets: bin (the virtual environment's bin), work (a scratch folder, removed on exit; endpoints.json and tenants.env
# in it), pids; start_proxy COMMAND puts `harness proxy` in front of them, starting COMMAND as the product.
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

# start_proxy COMMAND: `harness proxy` in front of the fakes, starting COMMAND as the product (its output in
# $work/watch.log). Sets proxy_pid and control (the control plane's URL, with its key).
start_proxy() {
  "$bin/harness" proxy --env-file "$work/proxy.env" --product-log "$work/watch.log" --product-command "$1" \
    > "$work/proxy.json" 2> "$work/proxy.log" &
  proxy_pid=$!
  pids+=("$proxy_pid")
  for _ in $(seq 1 300); do [ -s "$work/proxy.json" ] && break; kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done
  [ -s "$work/proxy.json" ] || { echo "harness proxy did not start: $(cat "$work/proxy.log")" >&2; exit 2; }
  control=$("$bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$work/proxy.json")
}
