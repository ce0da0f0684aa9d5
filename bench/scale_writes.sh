# SPDX-License-Identifier: MIT
# bench/scale.sh section "writes" (sourced): durable changed-address writes/s of chipmunk-api
# (file store; PostgreSQL backend once it starts) vs pgbench's single-row upsert, at CLIENTS;
# then `chipmunk-api migrate` of MIGRATE_RECORDS (default 100000) records into PostgreSQL.
echo
echo "== writes: durable changed-address /set per second vs pgbench single-row upsert" \
  "(synchronous_commit = on), ${DURATION}s per run, $WRITE_USERS users"
psqlc -d bench -c "CREATE TABLE upsert_bench (name text PRIMARY KEY, ip inet NOT NULL,
  changed_at timestamptz NOT NULL)" -c "INSERT INTO upsert_bench SELECT 'u' || lpad(g::text, 7,
  '0'), '10.0.0.1', now() FROM generate_series(1, $WRITE_USERS) g"
cat > "$W/upsert.sql" << SQL
\set id random(1, $WRITE_USERS)
\set a random(0, 131071)
INSERT INTO upsert_bench (name, ip, changed_at) VALUES ('u' || lpad(CAST(:id AS text), 7, '0'), '198.18.0.0'::inet + :a, now()) ON CONFLICT (name) DO UPDATE SET ip = EXCLUDED.ip, changed_at = EXCLUDED.changed_at;
SQL
pgbench_tps() {  # clients -> transactions per second
  local j=$(($1 < 2 ? 1 : 2))
  pgbench -n -h "$W/pg" -p 5432 -U postgres -c "$1" -j "$j" -T "$DURATION" -f "$W/upsert.sql" \
    bench 2> /dev/null | awk '/^tps/ {printf "%.1f", $3; f = 1} END {if (!f) print 0}'
}
auths "$WRITE_USERS" "$W/write-auths"
declare -A WRITE_PORT=()
write_targets=""
for b in $BUILDS; do
  gen "$W/writes-file-$b" "$WRITE_USERS" "$WRITE_USERS" no
  start_api "writes-file-$b" "$b" "$W/writes-file-$b"
  WRITE_PORT[file@$b]=$PORT
  write_targets="$write_targets file@$b"
  psqlc -d postgres -c "CREATE DATABASE chipmunk_$b"
  gen "$W/writes-pg-$b" "$WRITE_USERS" 0 no
  # PG_POOL_SIZE: [Store] pool_size for both builds (unset: the build's default)
  if start_api "writes-pg-$b" "$b" "$W/writes-pg-$b" \
    "$(pg_store "chipmunk_$b")${PG_POOL_SIZE:+$'\n'pool_size = $PG_POOL_SIZE}"; then
    WRITE_PORT[pg@$b]=$PORT
    write_targets="$write_targets pg@$b"
  else
    echo "   pg@$b: skipped: needs [Store] backend = postgresql (it did not start: $(tail -n1 "$W/writes-pg-$b/api-writes-pg-$b.out" | cut -c1-120))"
  fi
done
printf '   %-8s %10s' clients pgbench
for t in $write_targets; do printf ' %12s %6s %6s' "$t/s" ratio saved; done
echo
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR] = $1} END {print (NR ? v[int((NR + 1) / 2)] : 0)}'; }
for c in $CLIENTS; do
  # WRITE_ROUNDS rounds, pgbench then every target in each, and pgbench once more at the end:
  # the disk's fsync time drifts by 2x within a minute, so a target's ratio in a round is to
  # the mean of the pgbench runs that bracket it (that round's and the next's), and the
  # figure is the median of those per-round ratios. The targets' order rotates from round to
  # round, so that none always runs right after pgbench.
  declare -A runs=() ratios=() saved_sum=() req_sum=() errs=()
  read -r -a order <<< "$write_targets"
  pg_list=("$(pgbench_tps "$c")")
  for r in $(seq 1 "$WRITE_ROUNDS"); do
    declare -A this=()
    for k in "${!order[@]}"; do
      t=${order[$(((k + r - 1) % ${#order[@]}))]}
      read -r rps _ p99 err bad requests saved <<< "$(COUNT=metrics wrk_set "http://127.0.0.1:${WRITE_PORT[$t]}/set" \
        "$c" "$DURATION" "$W/write-auths" change)"
      this[$t]=$(awk -v s="$saved" -v r="$rps" -v n="$requests" 'BEGIN {printf "%.1f", (n > 0 ? r * s / n : 0)}')
      runs[$t]="${runs[$t]:-} ${this[$t]}"
      saved_sum[$t]=$((${saved_sum[$t]:-0} + saved))
      req_sum[$t]=$((${req_sum[$t]:-0} + requests))
      [ "$err" = 0 ] && [ "$bad" = 0 ] || errs[$t]="${errs[$t]:-} (sockerr $err non-2xx $bad)"
    done
    pg_list+=("$(pgbench_tps "$c")")
    for t in $write_targets; do
      ratios[$t]="${ratios[$t]:-} $(awk -v a="${this[$t]}" -v p="${pg_list[$((r - 1))]}" -v q="${pg_list[$r]}" \
        'BEGIN {printf "%.3f", (p + q > 0 ? 2 * a / (p + q) : 0)}')"
    done
    unset this
  done
  pg=$(median <<< "${pg_list[*]}")
  result writes "pgbench-c$c" new "$pg"
  printf '   %-8s %10s' "$c" "$pg"
  for t in $write_targets; do
    wps=$(median <<< "${runs[$t]}")
    result writes "${t%@*}-c$c-writes/s" "${t#*@}" "$wps"
    printf ' %12s %6s %5s%%' "$wps" "$(median <<< "${ratios[$t]}" | awk '{printf "%.2f", $1}')" \
      "$(awk -v s="${saved_sum[$t]}" -v n="${req_sum[$t]}" 'BEGIN {printf "%.0f", (n > 0 ? 100 * s / n : 0)}')"
    printf '%s' "${errs[$t]:-}"
  done
  echo
  echo "   $(printf '%-8s' "") rounds: pgbench ${pg_list[*]}$(for t in $write_targets; do printf '; %s%s' "$t" "${runs[$t]}"; done)"
  echo "   $(printf '%-8s' "") ratios per round:$(for t in $write_targets; do printf ' %s%s;' "$t" "${ratios[$t]}"; done)"
  unset runs ratios saved_sum req_sum errs
done
echo "   X/s: /set answered \"saved\" per second (each a changed address, written durably), the" \
  "median of $WRITE_ROUNDS rounds; ratio: the median of the rounds' ratios, each to the mean of" \
  "the two pgbench runs around its round (same clients); saved: share of requests whose write" \
  "saved a change (the server's /metrics: wrk runs no Lua per answer)"

# `chipmunk-api migrate` of MIGRATE_RECORDS records from a file store into PostgreSQL (copy
# then verify, record by record), per build: records per second of the whole command.
MIGRATE_RECORDS=${MIGRATE_RECORDS:-100000}
echo
echo "== migrate: chipmunk-api migrate --from file --to postgresql, $MIGRATE_RECORDS records" \
  "(copy and verify)"
gen "$W/migrate" 0 "$MIGRATE_RECORDS" no
for b in $BUILDS; do
  psqlc -d postgres -c "CREATE DATABASE migrate_$b"
  t0=$(date +%s.%N)
  if "${BIN[$b]}" migrate --from "file:$W/migrate/data" \
    --to "postgresql:$(conninfo "migrate_$b")" > "$W/migrate-$b.out" 2>&1; then
    read -r took rate <<< "$(awk -v n="$MIGRATE_RECORDS" -v a="$t0" -v b="$(date +%s.%N)" \
      'BEGIN {printf "%.1f %.0f", b - a, n / (b - a)}')"
    result writes "migrate-records/s" "$b" "$rate"
    echo "   $b: ${took}s, $rate records/s; $(tail -n1 "$W/migrate-$b.out" |
      grep -o '[0-9]* records, [0-9]* copied[^;]*; verified [0-9/]*' | head -n1)"
  else
    echo "   $b: failed: $(tail -n1 "$W/migrate-$b.out" | cut -c1-140)"
  fi
done
