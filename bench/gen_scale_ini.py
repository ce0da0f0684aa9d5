#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes a chipmunk-api configuration with many users and hosts (and, optionally, one record
# file per user) for the scale benchmarks (bench/hosts_scale.sh).
#   bench/gen_scale_ini.py OUT.ini DATA_DIR USERS HOSTS [RECORDS]
# Users u0000000..: every other one with a $pbkdf2-sha256$ hash (the same one: producing a
# million real hashes would take days; parsing and holding them costs the same), the rest
# with a plain password "pw"; "admin" (password "pw") reads everything. Hosts
# h0000000.example.org.. belong to the users in turn. RECORDS: how many of the users get a
# record (<name>.cm) in DATA_DIR.
import hashlib
import base64
import os
import sys

out, data_dir, users, hosts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
records = int(sys.argv[5]) if len(sys.argv) > 5 else 0
salt = b"chipmunk-bench-s"
digest = hashlib.pbkdf2_hmac("sha256", b"pw", salt, 10000)
b64 = lambda b: base64.b64encode(b).decode()
hashed = "$pbkdf2-sha256$10000$%s$%s" % (b64(salt), b64(digest))
os.makedirs(data_dir, exist_ok=True)
with open(out, "w") as f:
    f.write("[Server]\nlisten = 127.0.0.1:0\n[Paths]\nclient_update_dir = %s\n" % data_dir)
    f.write("[Log]\nlevel = warn\n[Access]\nread_all = admin\n[Users]\nadmin = pw\n")
    for i in range(users):
        f.write("u%07d = %s\n" % (i, hashed if i % 2 else "pw"))
    f.write("[Hosts]\n")
    for i in range(hosts):
        f.write("h%07d.example.org = u%07d\n" % (i, i % max(users, 1)))
for i in range(records):
    with open(os.path.join(data_dir, "u%07d.cm" % i), "w") as f:
        f.write("192.0.2.%d\n" % (i % 250 + 1))
