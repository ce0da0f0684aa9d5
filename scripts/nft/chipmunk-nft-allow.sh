#!/bin/sh
# SPDX-License-Identifier: MIT
# chipmunk-nft-allow.sh: keeps nftables sets of allowed source addresses in step with the
# address book. Meant as chipmunk-api's [Hooks] on_change and on_expire command:
#
#   [Hooks]
#   on_change = /usr/local/lib/chipmunk/chipmunk-nft-allow.sh --table inet chipmunk
#   on_expire = /usr/local/lib/chipmunk/chipmunk-nft-allow.sh --table inet chipmunk
#
# On "change" it adds the record's new IPv4/IPv6 address to the sets and deletes the old
# one; on "expire" it deletes the old addresses. The table and the two sets must exist
# (see docs/ADDRESS_BOOK.md for the nft commands). It reads the CHIPMUNK_* variables that
# chipmunk-api sets for hooks and exits non-zero (logged by chipmunk-api) when nft fails.
#
# Options:
#   --table FAMILY NAME   nftables table (default: inet chipmunk)
#   --set4 NAME           set of ipv4_addr elements (default: allow4; "" = leave IPv4 alone)
#   --set6 NAME           set of ipv6_addr elements (default: allow6; "" = leave IPv6 alone)
#   --hosts LIST          only act for these record names (comma-separated; default: all)
#   --nft PATH            nft binary (default: nft from PATH)
# Environment overrides: CHIPMUNK_NFT_FAMILY, CHIPMUNK_NFT_TABLE, CHIPMUNK_NFT_SET4,
# CHIPMUNK_NFT_SET6, CHIPMUNK_NFT_HOSTS, NFT.
#
# Caveat: a set holds an address once. If two records share an address (two machines
# behind one NAT) and one of them moves away, the shared address is deleted too; list such
# machines with --hosts in separate sets, or give them their own table.
set -u

family=${CHIPMUNK_NFT_FAMILY:-inet}
table=${CHIPMUNK_NFT_TABLE:-chipmunk}
set4=${CHIPMUNK_NFT_SET4-allow4}
set6=${CHIPMUNK_NFT_SET6-allow6}
hosts=${CHIPMUNK_NFT_HOSTS:-}
nft=${NFT:-nft}

usage() {
  sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --table) [ $# -ge 3 ] || usage; family=$2; table=$3; shift 3 ;;
    --set4) [ $# -ge 2 ] || usage; set4=$2; shift 2 ;;
    --set6) [ $# -ge 2 ] || usage; set6=$2; shift 2 ;;
    --hosts) [ $# -ge 2 ] || usage; hosts=$2; shift 2 ;;
    --nft) [ $# -ge 2 ] || usage; nft=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "chipmunk-nft-allow: unknown option $1" >&2; exit 2 ;;
  esac
done

event=${CHIPMUNK_EVENT:-}
host=${CHIPMUNK_HOST:-}
case "$event" in
  change|expire) ;;
  *) echo "chipmunk-nft-allow: CHIPMUNK_EVENT must be change or expire (got '$event')" >&2; exit 2 ;;
esac

if [ -n "$hosts" ]; then
  case ",$hosts," in
    *",$host,"*) ;;
    *) exit 0 ;;  # not one of ours
  esac
fi

# Names go into nft's command line as single tokens: keep them to safe characters.
for name in "$family" "$table" "$set4" "$set6"; do
  case "$name" in
    *[!A-Za-z0-9_.-]*) echo "chipmunk-nft-allow: bad nft name '$name'" >&2; exit 2 ;;
  esac
done

valid4() {
  case "$1" in
    ''|*[!0-9.]*) return 1 ;;
  esac
  return 0
}
valid6() {
  case "$1" in
    ''|*[!0-9A-Fa-f:.]*) return 1 ;;
    *:*) return 0 ;;
  esac
  return 1
}

status=0

add() {  # add SET ADDRESS
  if ! "$nft" add element "$family" "$table" "$1" "{ $2 }"; then
    echo "chipmunk-nft-allow: could not add $2 to $family $table $1 (host $host)" >&2
    status=1
  fi
}

delete() {  # delete SET ADDRESS; an address that is not in the set is fine
  if "$nft" get element "$family" "$table" "$1" "{ $2 }" >/dev/null 2>&1; then
    if ! "$nft" delete element "$family" "$table" "$1" "{ $2 }"; then
      echo "chipmunk-nft-allow: could not delete $2 from $family $table $1 (host $host)" >&2
      status=1
    fi
  fi
}

sync_family() {  # sync_family SET OLD NEW VALIDATOR
  set_name=$1 old=$2 new=$3 check=$4
  [ -n "$set_name" ] || return 0
  for a in "$old" "$new"; do
    if [ -n "$a" ] && ! "$check" "$a"; then
      echo "chipmunk-nft-allow: ignoring malformed address '$a' (host $host)" >&2
      status=1
      return 0
    fi
  done
  if [ "$event" = change ] && [ -n "$new" ]; then
    add "$set_name" "$new"
  fi
  if [ -n "$old" ] && [ "$old" != "$new" ]; then
    delete "$set_name" "$old"
  fi
}

if [ "$event" = expire ]; then
  CHIPMUNK_NEW_IPV4=
  CHIPMUNK_NEW_IPV6=
fi
sync_family "$set4" "${CHIPMUNK_OLD_IPV4:-}" "${CHIPMUNK_NEW_IPV4:-}" valid4
sync_family "$set6" "${CHIPMUNK_OLD_IPV6:-}" "${CHIPMUNK_NEW_IPV6:-}" valid6
exit $status
