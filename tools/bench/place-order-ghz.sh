#!/usr/bin/env bash
# PlaceOrder under ghz against the stack `npm start` runs, outside the bench
# harness: what a user sees with the README's commands. Start the stack first,
# in another shell:
#
#   npm start
#   bash tools/bench/place-order-ghz.sh            # CONCURRENCY=32 DURATION=20s
#
# AUTH, INVENTORY and ORDER (host:port) point it at a stack on other ports.
#
# It registers a customer, creates 16 products with plenty of stock (as the
# admin), runs ghz with a fresh idempotency-key per call, and prints ghz's
# summary and the CPU each process of the stack used per order (from /proc),
# which shows where a 2-core machine's time goes. Loopback only.
set -euo pipefail

CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-20s}
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@switchboard.local}
ADMIN_PASSWORD=${ADMIN_PASSWORD:-switchboard-admin}
PATH="$PATH:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
for tool in ghz grpcurl jq; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing (ghz: go install github.com/bojand/ghz/cmd/ghz@v0.93.0)" >&2
    exit 1
  }
done

AUTH=${AUTH:-127.0.0.1:50051} INVENTORY=${INVENTORY:-127.0.0.1:50052} ORDER=${ORDER:-127.0.0.1:50053}
tag=$(date +%s)-$$
grpcurl -plaintext -d "{\"email\":\"ghz-$tag@example.com\",\"password\":\"correct-horse-battery\",\"display_name\":\"ghz $tag\"}" \
  "$AUTH" switchboard.auth.v1.AuthService/Register >/dev/null
token=$(grpcurl -plaintext -d "{\"email\":\"ghz-$tag@example.com\",\"password\":\"correct-horse-battery\"}" \
  "$AUTH" switchboard.auth.v1.AuthService/Login | jq -r .accessToken)
admin=$(grpcurl -plaintext -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" \
  "$AUTH" switchboard.auth.v1.AuthService/Login | jq -r .accessToken)

data=$(mktemp)
trap 'rm -f "$data" "$data".cpu0 "$data".cpu1' EXIT
items=()
for i in $(seq 0 15); do
  sku="GHZ-$tag-$i"
  grpcurl -plaintext -H "authorization: Bearer $admin" \
    -d "{\"sku\":\"$sku\",\"name\":\"ghz product $i\",\"unit_price\":{\"currency_code\":\"EUR\",\"amount_minor\":100},\"initial_quantity\":1000000}" \
    "$INVENTORY" switchboard.inventory.v1.InventoryService/CreateProduct >/dev/null
  items+=("{\"items\":[{\"sku\":\"$sku\",\"quantity\":1}]}")
done
# ghz sends the array's messages round-robin: one product per order.
(IFS=,; echo "[${items[*]}]") >"$data"

# utime + stime (clock ticks) of every process, by a short name.
cpu_snapshot() {
  for stat in /proc/[0-9]*/stat; do
    dir=${stat%/stat}
    cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
    case "$cmd" in
      *dist/apps/*) name=$(sed -E 's#.*dist/apps/([a-z]+-service).*#\1#' <<<"$cmd") ;;
      postgres*) name=postgres ;;
      *kafka.Kafka*) name=kafka ;;
      *) continue ;;
    esac
    fields=$(sed -E 's/^.*\) //' "$stat" 2>/dev/null) || continue
    read -r -a f <<<"$fields"
    echo "${dir#/proc/} $name $((f[11] + f[12]))"
  done
}

cpu_snapshot >"$data".cpu0
ghz --insecure --call switchboard.order.v1.OrderService/PlaceOrder -D "$data" \
  -m "{\"authorization\":\"Bearer $token\",\"idempotency-key\":\"ghz-{{newUUID}}\"}" \
  -c "$CONCURRENCY" -z "$DURATION" --connections 1 -O summary "$ORDER" | tee "$data".out
cpu_snapshot >"$data".cpu1

orders=$(awk '/Count:/ {print $2; exit}' "$data".out)
ok=$(awk '/\[OK\]/ {print $2; exit}' "$data".out)
ticks=$(getconf CLK_TCK)
echo
echo "CPU per successful order (${ok:-0} of $orders calls):"
awk -v ok="${ok:-0}" -v hz="$ticks" '
  NR == FNR { before[$1] = $3; next }
  { used[$2] += $3 - before[$1] }
  END {
    for (n in used) { total += used[n]; printf "%8.2f ms  %s\n", 1000 * used[n] / hz / (ok > 0 ? ok : 1), n }
    printf "%8.2f ms  total\n", 1000 * total / hz / (ok > 0 ? ok : 1)
  }' "$data".cpu0 "$data".cpu1 | sort -rn
rm -f "$data".out
