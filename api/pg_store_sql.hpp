// SPDX-License-Identifier: MIT
#pragma once

#include <string>

// The statements of the PostgreSQL store (api/pg_store.cpp), each one round trip in
// autocommit (one statement, one transaction). Built once.
namespace chipmunk::api::pg_sql {

// The columns a read returns, in the order PgStore::storedAt takes them (12).
const std::string& columns();

// Clients' updates, planned and written by one statement, one transaction: for each change
// it reads the stored row (or none), plans the next one as planUpdate
// (api/record_update.cpp) does, and when something changed writes it with a compare-and-set
// on the revision read (an INSERT ... ON CONFLICT DO NOTHING when there was none), with a
// chipmunk_outbox row when an address changed and $9 wants one. A change that changed
// nothing writes nothing (a batch of such: no lock, no transaction id, no WAL).
// Arrays, one element per change (names unique: a row is written once per statement):
// $1 name, $2 ipv4, $3 ipv6, $4 primary (text or NULL: keep), $5 metadata (JSON or NULL:
// keep), $6 ttl (or NULL: keep), $7 now, $8 this process's unwritten last-seen time (0:
// none; for the outbox row's `before` only), $9 an outbox row is wanted (boolean; false
// when nothing would consume it, PgStore::setOutboxWanted), $10 the change's write token
// (stored in write_token with what it writes; PgStore::writeToken).
// One row per change, in the order of the arrays: columns() of the record before (the
// name and zeros when there was none), then present, changed (as planUpdate's), announced
// (an address changed and its outbox row was written with it), written (0 or 1: 0 with
// changed means another writer won the compare-and-set: plan again), the change's
// position (from 1), replayed (the row holds the change's own token: a run of this change
// committed already, its answer lost; nothing was written again).
const std::string& updateRecords();
// The same for one change: $1..$10 are its values (not arrays); the same one row.
const std::string& updateRecord();

// One change planned in this process from the row as this process last read or wrote it
// (PgStore's known records): written only if the row still has that revision, so a row
// another replica (or an expiry, or a put) changed meanwhile is left as it is and the
// change is planned again by updateRecord(). $1 name, $2 ip, $3 ipv4, $4 ipv6 (text or
// NULL), $5 first_seen, $6 changed_at, $7 last_seen (now), $8 ttl, $9 metadata (JSON),
// $10 expires_at (or NULL), $11 the revision it was planned from, $12 the change's write
// token. One row (the new
// revision) when it was written, none when the row had moved on. The executor work of
// one UPDATE, where updateRecord() plans in SQL: about 70 µs less PostgreSQL CPU per change
// (docs/BENCHMARKS.md, step 17).
const std::string& updateKnown();
// The same with the change's chipmunk_outbox row: $13 the record before, $14 after (JSON
// as recordToJson writes it; `created_at` is $7). The same answer.
const std::string& updateKnownWithOutbox();
// A record's revision and stored last-seen time ($1 its name): whether a row this replica
// knows is still the row, for an unchanged poll (PgStore::unchangedKnown).
const std::string& knownRevision();

// An exact upsert of one record ($1..$12 as PgStore's recordParams).
const std::string& putRecord();
// The same for many records: $1..$12 are arrays, one element per record (names unique).
const std::string& putRecords();

// Expiry: $1 now, $2 how many at most; the rows expired, as they were (columns()).
const std::string& expireDue();

// Last-seen times: $1 names, $2 times (arrays).
const std::string& flushSeen();

}  // namespace chipmunk::api::pg_sql
