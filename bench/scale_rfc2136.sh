# SPDX-License-Identifier: MIT
# bench/scale.sh section "rfc2136" (sourced): what a gateway push to an authoritative DNS
# adds per changed address. A real BIND (named, one worker, loopback) with a TSIG-signed
# dynamic zone; UPDATES changes of A records sent by nsupdate, one at a time (1 sender) and
# from 8 senders at once: updates/s and ms per update, and the zone journal's growth.
echo
UPDATES=${UPDATES:-2000}
echo "== rfc2136: $UPDATES TSIG-signed DNS UPDATEs (one A record each) to BIND on loopback"
if ! command -v named > /dev/null || ! command -v nsupdate > /dev/null; then
  echo "   skipped: needs named and nsupdate (bind9, bind9-dnsutils)"
else
  B="$W/bind"
  mkdir -p "$B"
  tsig-keygen -a hmac-sha256 bench-key > "$B/key.conf"
  printf '$TTL 60\n@ IN SOA ns.bench.test. admin.bench.test. 1 3600 600 86400 60\n@ IN NS ns.bench.test.\nns IN A 127.0.0.1\n' > "$B/zone.db"
  DNS_PORT=$(free_port)
  cat > "$B/named.conf" << CONF
options { directory "$B"; pid-file "$B/named.pid"; session-keyfile "$B/session.key";
  managed-keys-directory "$B"; listen-on port $DNS_PORT { 127.0.0.1; }; listen-on-v6 { none; };
  recursion no; dnssec-validation no; notify no; allow-query { 127.0.0.1; }; };
controls { };
$(cat "$B/key.conf")
zone "bench.test" { type primary; file "$B/zone.db"; update-policy { grant bench-key zonesub A AAAA; }; };
CONF
  named -g -n 1 -c "$B/named.conf" > "$B/named.out" 2>&1 &
  NAMED_PID=$!
  PIDS+=("$NAMED_PID")
  for _ in $(seq 1 100); do
    dig @127.0.0.1 -p "$DNS_PORT" +short +time=1 +tries=1 bench.test SOA 2> /dev/null | grep -q . && break
    sleep 0.1
  done
  # updates FILE FIRST COUNT: an nsupdate script changing hFIRST.. (one UPDATE message each)
  updates() {
    local k
    {
      echo "server 127.0.0.1 $DNS_PORT"
      echo "zone bench.test"
      for k in $(seq "$2" $(($2 + $3 - 1))); do
        echo "update delete h$k.bench.test A"
        echo "update add h$k.bench.test 60 A 198.18.$((k / 256 % 256)).$((k % 256))"
        echo "send"
      done
    } > "$1"
  }
  for senders in 1 8; do
    per=$((UPDATES / senders))
    for s in $(seq 1 "$senders"); do updates "$B/u$s.txt" $((s * per + RANDOM)) "$per"; done
    t0=$(date +%s.%N)
    spids=()
    for s in $(seq 1 "$senders"); do
      timeout 300 nsupdate -k "$B/key.conf" "$B/u$s.txt" > "$B/nsupdate$s.out" 2>&1 &
      spids+=($!)
    done
    fails=0
    for p in "${spids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    secs=$(echo "$(date +%s.%N) $t0" | awk '{print $1 - $2}')
    ups=$(awk -v n=$((per * senders)) -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
    result rfc2136 "updates/s-$senders-senders" new "$ups"
    echo "   $senders sender(s): $((per * senders)) updates in ${secs}s: $ups updates/s," \
      "$(awk -v s="$secs" -v n="$per" 'BEGIN {printf "%.2f", 1000 * s / n}') ms per update per sender;" \
      "$fails sender(s) failed; journal $(stat -c %s "$B/zone.db.jnl" 2> /dev/null || echo 0) bytes"
  done
  dig @127.0.0.1 -p "$DNS_PORT" +short bench.test SOA | awk '{print "   zone serial after the run: " $3}'
  stop_pid "$NAMED_PID" 20 > /dev/null
fi
