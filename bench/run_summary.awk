# SPDX-License-Identifier: MIT
# bench/run.sh's summary: reads its results, one wrk run a line
#   round style target req/s p50-ms p99-ms socket-errors non-2xx requests server-cpu-us/request
#   wrk-busy
# and prints, per style and target, the medians over rounds with their ratios to nginx (to
# nginx+tls for a T+tls target), then issue #19's targets as "met" / "not met", the peers
# and TLS figures (report only), and new / baseline for T@base targets.
#   awk -v targets="nginx go ..." -v styles="plain ka close" -f bench/run_summary.awk RESULTS

function median(list,   a, k, i, j, tmp) {
  k = split(list, a, " ")
  if (k == 0) return 0
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) {
    tmp = a[i]; a[i] = a[j]; a[j] = tmp
  }
  return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
# The nginx target a target is compared with: nginx+tls for T+tls, nginx otherwise.
function ref(t) { return t ~ /\+tls/ ? "nginx+tls" : "nginx" }
# a / b with two decimals, or "-" when either is missing.
function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
# One target line: "STYLE WHAT VALUE x OTHER (LIMIT): met|not met", or nothing when a figure
# is missing. higher = 1: the value must be >= limit; 0: <= limit.
function check(style, what, a, b, other, limit, higher,   r, ok) {
  if (!(a > 0 && b > 0)) return
  r = a / b
  ok = higher ? r >= limit : r <= limit
  printf "  %-5s %-26s %5.2fx %-9s (%s %.2f): %s\n", style, what, r, other,
    (higher ? ">=" : "<="), limit, (ok ? "met" : "not met")
  checks++
  if (!ok) missed++
}

{
  key = $2 SUBSEP $3
  rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6
  err[key] += $7; bad[key] += $8; cpu[key] = cpu[key] " " $10
  runs[key] = runs[key] " " sprintf("%.0f", $4)
  if ($11 > 0) busy[key] = busy[key] " " $11
}

END {
  nt = split(targets, T, " "); ns = split(styles, S, " ")
  for (s = 1; s <= ns; s++) for (i = 1; i <= nt; i++) {
    key = S[s] SUBSEP T[i]
    R[key] = median(rps[key]); C[key] = median(cpu[key]); P[key] = median(p99[key])
  }
  printf "%-6s %-18s %9s %8s %8s %7s %6s %6s %6s %7s %7s %5s  %s\n", "style", "target", "req/s",
    "p50 ms", "p99 ms", "us-cpu", "req/s", "cpu", "p99", "sockerr", "non-2xx", "wrk%",
    "req/s per round"
  printf "%-6s %-18s %9s %8s %8s %7s %20s\n", "", "", "", "", "", "", "(ratio to nginx)"
  for (s = 1; s <= ns; s++) for (i = 1; i <= nt; i++) {
    key = S[s] SUBSEP T[i]; rk = S[s] SUBSEP ref(T[i])
    W[key] = busy[key] != "" ? median(busy[key]) * 100 : -1
    printf "%-6s %-18s %9.0f %8.3f %8.3f %7.1f %6s %6s %6s %7d %7d %5s %s\n", S[s], T[i], R[key],
      median(p50[key]), P[key], C[key], ratio(R[key], R[rk]), ratio(C[key], C[rk]),
      ratio(P[key], P[rk]), err[key], bad[key], (W[key] >= 0 ? sprintf("%.0f", W[key]) : "-"),
      runs[key]
  }
  print "us-cpu: server CPU time (user + system, all threads or workers) per request, in"
  print "microseconds; less sensitive to other load on the machine than req/s. wrk%: the load"
  print "generator's own CPU over its run, in % of its threads (median; - when not measured)."

  print "\nissue #19 targets (medians of this run; get-hash = authenticated /get/ip):"
  for (s = 1; s <= ns; s++) {
    st = S[s]; g = st SUBSEP "get-hash"; n = st SUBSEP "nginx"; h = st SUBSEP "set-hash"
    check(st, "get-hash req/s", R[g], R[n], "nginx", st == "close" ? 0.9 : 1.0, 1)
    if (st != "close") check(st, "get-hash CPU per request", C[g], C[n], "nginx", 1.0, 0)
    check(st, "set-hash req/s", R[h], R[g], "get-hash", 0.95, 1)
    check(st, "get-hash p99 latency", P[g], P[n], "nginx", 1.5, 0)
    check(st, "set-hash p99 latency", P[h], P[n], "nginx", 1.5, 0)
  }
  if (checks) printf "  %d of %d met\n", checks - missed, checks
  else print "  (none measured: they need nginx, get-hash and set-hash in TARGETS)"
  # When wrk itself is busy all its run against both nginx and get-hash, their req/s is
  # wrk's ceiling: the req/s ratio then says nothing of the servers; CPU per request does.
  for (s = 1; s <= ns; s++) {
    g = S[s] SUBSEP "get-hash"; n = S[s] SUBSEP "nginx"
    if (W[g] >= 95 && W[n] >= 95)
      printf "  %-5s wrk busy %.0f%% (nginx) / %.0f%% (get-hash) of its threads: req/s is the load generator's ceiling here; compare CPU per request\n",
        S[s], W[n], W[g]
  }

  header = 0
  for (s = 1; s <= ns; s++) for (i = 1; i <= nt; i++) {
    t = T[i]; key = S[s] SUBSEP t
    if (t !~ /^get-hash(\+tls)?$/) continue
    for (j = 1; j <= nt; j++) {
      if (T[j] !~ /^(go|hello)(\+tls)?$/ || ref(T[j]) != ref(t)) continue
      pk = S[s] SUBSEP T[j]
      if (!(R[pk] > 0)) continue
      if (!header++) print "\nagainst the peers (report only; req/s higher is better, CPU lower):"
      printf "  %-5s %-12s / %-9s req/s %s   CPU per request %s   p99 %s\n", S[s], t, T[j],
        ratio(R[key], R[pk]), ratio(C[key], C[pk]), ratio(P[key], P[pk])
    }
  }
  pk = R["plain" SUBSEP "get-hash"]; kk = R["ka" SUBSEP "get-hash"]
  if (pk > 0 && kk > 0)
    printf "  chipmunk-api keep-alive without a header: get-hash plain / ka = %.2f\n", pk / kk

  header = 0
  for (s = 1; s <= ns; s++) for (i = 1; i <= nt; i++) {
    t = T[i]; key = S[s] SUBSEP t; rk = S[s] SUBSEP "nginx+tls"
    if (t !~ /\+tls$/ || t == "nginx+tls" || !(R[key] > 0 && R[rk] > 0)) continue
    if (!header++) print "\nTLS (report only; ratios to nginx with TLS, same style):"
    printf "  %-5s %-14s req/s %s   CPU per request %s   p99 %s\n", S[s], t,
      ratio(R[key], R[rk]), ratio(C[key], C[rk]), ratio(P[key], P[rk])
  }

  header = 0
  for (s = 1; s <= ns; s++) for (i = 1; i <= nt; i++) {
    if (T[i] !~ /@base$/) continue
    t = substr(T[i], 1, length(T[i]) - 5); b = S[s] SUBSEP T[i]; k = S[s] SUBSEP t
    if (!header++) print "\nnew / baseline (medians, same style; req/s higher is better, CPU lower):"
    printf "  %-5s %-14s req/s %s   CPU per request %s   p99 %s\n", S[s], t, ratio(R[k], R[b]),
      ratio(C[k], C[b]), ratio(P[k], P[b])
  }
}
