// SPDX-License-Identifier: MIT
#include "api/pg_store_sql.hpp"

namespace chipmunk::api::pg_sql {
namespace {

// The outbox's JSON of a record (the shape of recordToJson) from SQL: the columns are
// `p` + the column's name (`name` as is); `ip`, `lastSeen`, `expired` and `expiredAt`
// are expressions, so that one builder writes a row before and after a change or expiry.
std::string rowJson(const std::string& p, const char* ip, const char* lastSeen, const char* expired,
                    const char* expiredAt) {
  return "jsonb_build_object('name', name, 'ip', " + std::string(ip) + ", 'ipv4', " + p +
         "ipv4, 'ipv6', " + p + "ipv6, 'first_seen', " + p + "first_seen, 'changed_at', " + p +
         "changed_at, 'last_seen', " + lastSeen + ", 'ttl', " + p + "ttl, 'expired', " + expired +
         ", 'expired_at', " + expiredAt + ", 'metadata', " + p + "metadata)";
}

const char* kRecordColumns =
    "name, ip, ipv4, ipv6, first_seen, changed_at, last_seen, ttl, expired, expired_at,"
    " metadata, expires_at, revision";

const char* kSetAll =
    " ip = EXCLUDED.ip, ipv4 = EXCLUDED.ipv4, ipv6 = EXCLUDED.ipv6,"
    " first_seen = EXCLUDED.first_seen, changed_at = EXCLUDED.changed_at,"
    " last_seen = EXCLUDED.last_seen, ttl = EXCLUDED.ttl, expired = EXCLUDED.expired,"
    " expired_at = EXCLUDED.expired_at, metadata = EXCLUDED.metadata,"
    " expires_at = EXCLUDED.expires_at, revision = chipmunk_records.revision + 1";

// m, p: what planUpdate (api/record_update.cpp) decides, from n (the record before and the
// next values, n_*): whether it moved, changed, is announced, and its times.
std::string planned() {
  return
      // An expired record that gets an address back has moved, even to the same address.
      " m AS (SELECT n.*, (n_ip IS DISTINCT FROM ip OR (expired AND n_ip IS NOT NULL)"
      " OR n_ipv4 IS DISTINCT FROM ipv4 OR n_ipv6 IS DISTINCT FROM ipv6) AS moved FROM n),"
      " p AS (SELECT m.*, (moved OR NOT present OR expired OR n_metadata <> metadata"
      " OR n_ttl <> ttl) AS changed,"
      " (n_ip IS DISTINCT FROM ip OR n_ipv4 IS DISTINCT FROM ipv4"
      " OR n_ipv6 IS DISTINCT FROM ipv6 OR expired) AS announce,"
      " CASE WHEN moved OR first_seen = 0 THEN n_last_seen ELSE changed_at END"
      " AS n_changed_at,"
      " CASE WHEN first_seen = 0 THEN n_last_seen ELSE first_seen END AS n_first_seen,"
      " CASE WHEN n_ttl > 0 AND n_ip IS NOT NULL THEN n_last_seen + n_ttl END"
      " AS n_expires_at FROM m),";
}

// `many`: the changes' values are arrays (unnest), else one change's scalars (a statement
// whose generic plan PostgreSQL keeps, as it did before batches). u_token: the change's
// write token (PgStore::update), written with the record; a record that has it already was
// written by this very change, whose commit went unheard (`replayed`: nothing is written
// again, and the change is answered as saved).
std::string buildUpdate(bool many) {
  // v: the changes (one per name); b: each with its record before (empty when none);
  // n, m, p: planUpdate, per row. `written` per row: its compare-and-set (or insert) won.
  // u_outbox: the change's outbox row is wanted (PgStore::setOutboxWanted); the column
  // after `changed` says whether one was written.
  return std::string(
             many ? "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
                    " $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],"
                    " $9::boolean[], $10::text[]) WITH ORDINALITY AS v(name, u_ipv4, u_ipv6,"
                    " u_ip, u_metadata, u_ttl, u_at, u_seen, u_outbox, u_token, i)),"
                  : "WITH v AS (SELECT $1::text AS name, $2::text AS u_ipv4, $3::text AS u_ipv6,"
                    " $4::text AS u_ip, $5::text AS u_metadata, $6::bigint AS u_ttl,"
                    " $7::bigint AS u_at, $8::bigint AS u_seen, $9::boolean AS u_outbox,"
                    " $10::text AS u_token, 1::bigint AS i),") +
         " b AS (SELECT v.i, v.name, v.u_ipv4, v.u_ipv6, v.u_ip, v.u_metadata, v.u_ttl,"
         " v.u_at, v.u_seen, v.u_outbox, v.u_token, o.ip, o.ipv4, o.ipv6,"
         " coalesce(o.first_seen, 0) AS first_seen, coalesce(o.changed_at, 0) AS changed_at,"
         " coalesce(o.last_seen, 0) AS last_seen, coalesce(o.ttl, 0) AS ttl,"
         " coalesce(o.expired, false) AS expired, coalesce(o.expired_at, 0) AS expired_at,"
         " coalesce(o.metadata, '{}'::jsonb) AS metadata, coalesce(o.revision, 0) AS revision,"
         " o.revision IS NOT NULL AS present,"
         " coalesce(o.write_token = v.u_token, false) AS replayed"
         " FROM v LEFT JOIN chipmunk_records AS o"
         " ON o.name = v.name),"
         " n AS (SELECT b.*, coalesce(u_ip, b.ip) AS n_ip,"
         " coalesce(u_ipv4, b.ipv4) AS n_ipv4, coalesce(u_ipv6, b.ipv6) AS n_ipv6,"
         " coalesce(u_metadata::jsonb, b.metadata) AS n_metadata,"
         " coalesce(u_ttl, b.ttl) AS n_ttl, u_at AS n_last_seen FROM b)," +
         planned() +
         " up AS (UPDATE chipmunk_records AS r SET ip = p.n_ip, ipv4 = p.n_ipv4,"
         " ipv6 = p.n_ipv6, first_seen = p.n_first_seen, changed_at = p.n_changed_at,"
         " last_seen = p.n_last_seen, ttl = p.n_ttl, expired = false, expired_at = 0,"
         " metadata = p.n_metadata, expires_at = p.n_expires_at, revision = r.revision + 1,"
         " write_token = p.u_token"
         " FROM p WHERE r.name = p.name AND p.present AND p.changed AND NOT p.replayed"
         " AND r.revision = p.revision RETURNING r.name),"
         " ins AS (INSERT INTO chipmunk_records (" +
         kRecordColumns +
         ", write_token) SELECT name, n_ip, n_ipv4, n_ipv6, n_first_seen, n_changed_at,"
         " n_last_seen, n_ttl, false, 0, n_metadata, n_expires_at, 1, u_token FROM p"
         " WHERE NOT p.present ORDER BY i"
         " ON CONFLICT (name) DO NOTHING RETURNING name),"
         " w AS (SELECT name FROM up UNION ALL SELECT name FROM ins),"
         " o AS (INSERT INTO chipmunk_outbox (kind, name, before, after, created_at)"
         " SELECT 'changed', name, " +
         rowJson("", "ip", "GREATEST(last_seen, u_seen)", "expired", "expired_at") + ", " +
         rowJson("n_", "n_ip", "n_last_seen", "false", "0") +
         ", n_last_seen FROM p WHERE p.announce AND p.u_outbox AND p.name IN (SELECT name FROM w)"
         " ORDER BY i)"
         " SELECT " +
         columns() +
         ", present, changed, (announce AND u_outbox), (CASE WHEN p.name IN (SELECT name FROM w) "
         "THEN 1"
         " ELSE 0 END), i, replayed FROM p ORDER BY i";
}

}  // namespace

const std::string& columns() {
  static const std::string kColumns =
      "name, ip, ipv4, ipv6, first_seen, changed_at, last_seen, ttl, expired, expired_at,"
      " metadata::text, revision";
  return kColumns;
}

const std::string& updateRecord() {
  static const std::string kSql = buildUpdate(false);
  return kSql;
}

const std::string& updateRecords() {
  static const std::string kSql = buildUpdate(true);
  return kSql;
}

namespace {

const char* const kUpdateKnown =
    "UPDATE chipmunk_records SET ip = $2, ipv4 = $3, ipv6 = $4, first_seen = $5,"
    " changed_at = $6, last_seen = $7, ttl = $8, expired = false, expired_at = 0,"
    " metadata = $9::jsonb, expires_at = $10, revision = revision + 1, write_token = $12"
    " WHERE name = $1 AND revision = $11";

}  // namespace

const std::string& updateKnown() {
  static const std::string kSql = std::string(kUpdateKnown) + " RETURNING revision";
  return kSql;
}

const std::string& updateKnownWithOutbox() {
  static const std::string kSql =
      std::string("WITH up AS (") + kUpdateKnown +
      " RETURNING name, revision), o AS (INSERT INTO chipmunk_outbox"
      " (kind, name, before, after, created_at) SELECT 'changed', name, $13::jsonb, $14::jsonb,"
      " $7 FROM up) SELECT revision FROM up";
  return kSql;
}

const std::string& knownRevision() {
  static const std::string kSql =
      "SELECT revision, last_seen FROM chipmunk_records WHERE name = $1";
  return kSql;
}

const std::string& putRecord() {
  static const std::string kSql = std::string("INSERT INTO chipmunk_records (") + kRecordColumns +
                                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                                  " $11::jsonb, $12, 1) ON CONFLICT (name) DO UPDATE SET" +
                                  kSetAll;
  return kSql;
}

const std::string& putRecords() {
  static const std::string kSql =
      std::string("INSERT INTO chipmunk_records (") + kRecordColumns +
      ") SELECT name, ip, ipv4, ipv6, first_seen, changed_at, last_seen, ttl, expired,"
      " expired_at, metadata::jsonb, expires_at, 1 FROM unnest($1::text[], $2::text[],"
      " $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],"
      " $9::boolean[], $10::bigint[], $11::text[], $12::bigint[]) AS v(name, ip, ipv4, ipv6,"
      " first_seen, changed_at, last_seen, ttl, expired, expired_at, metadata, expires_at)"
      " ON CONFLICT (name) DO UPDATE SET" +
      kSetAll;
  return kSql;
}

const std::string& expireDue() {
  // FOR UPDATE SKIP LOCKED: replicas expiring at once take disjoint rows, and a row that
  // another replica just expired no longer matches when re-checked (its expires_at is NULL).
  static const std::string kSql =
      "WITH due AS (SELECT " + columns() + ", " +
      rowJson("", "ip", "last_seen", "expired", "expired_at") + " AS before_json, " +
      rowJson("", "NULL::text", "last_seen", "true", "$1::bigint") +
      " AS after_json FROM chipmunk_records WHERE expires_at <= $1 ORDER BY expires_at"
      " LIMIT $2 FOR UPDATE SKIP LOCKED),"
      " up AS (UPDATE chipmunk_records r SET ip = NULL, expired = true, expired_at = $1,"
      " expires_at = NULL, revision = r.revision + 1 FROM due WHERE r.name = due.name),"
      " o AS (INSERT INTO chipmunk_outbox (kind, name, before, after, created_at)"
      " SELECT 'expired', name, before_json, after_json, $1 FROM due)"
      " SELECT " +
      columns() + " FROM due ORDER BY name";
  return kSql;
}

const std::string& flushSeen() {
  static const std::string kSql =
      "UPDATE chipmunk_records r SET last_seen = GREATEST(r.last_seen, v.seen),"
      " expires_at = CASE WHEN r.expires_at IS NULL THEN NULL"
      " ELSE GREATEST(r.last_seen, v.seen) + r.ttl END"
      " FROM unnest($1::text[], $2::bigint[]) AS v(name, seen) WHERE r.name = v.name";
  return kSql;
}

}  // namespace chipmunk::api::pg_sql
