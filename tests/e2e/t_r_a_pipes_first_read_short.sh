#!/usr/bin/env bash
# t_r_a_pipes_first_read_short: what came through a pipe was judged by its first read alone. A writer that sent a
# .tar.gz one byte first, a tar 200 bytes first (its magic is at 257), or a jar or a self-extracting executable a
# byte first had the container scanned as raw bytes: the members' keys were lost, exit 1 on the lead's key or 0.
# The first bytes are now read up to the longest magic (or the stream's end) before anything is decided.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, io, tarfile, zipfile
import os, sys
sys.path.insert(0, os.path.join(os.environ["KS_SOURCE_DIR"], "tests", "e2e"))
from archives import tar, zipped
inner = [("srv/app.env", b"x=1\nk=KSTEST_INSIDEARCHIVE001\n")]          # line 2, column 3
t = tar(inner)
open("a.tar", "wb").write(t)
open("a.tar.gz", "wb").write(gzip.compress(t, mtime=0))
open("app.jar", "wb").write(b"#!/bin/sh\nexec java -jar \"$0\"\n" + zipped(inner))
open("stub.exe", "wb").write(b"MZ\x90\x00" + bytes(range(256)) * 8 + zipped(inner))
PY
for spec in a.tar.gz:1 a.tar:200 app.jar:1 stub.exe:1 a.tar:1; do
  f=${spec%%:*} first=${spec##*:}
  mkfifo "pipe.$first.$f"
  (head -c "$first" "$f"; sleep 0.3; tail -c +"$((first + 1))" "$f") >"pipe.$first.$f" &
  ks_from "pipe.$first.$f" scan "${R[@]}" -
  wait
  expect_rc 1 "$f, $first byte(s) first"
  grep -q '"object":"srv/app.env".*"line":2,"column":3' "$T/out" || {
    cat "$T/out" "$T/err" >&2
    fail "$f, $first byte(s) first: the member's key not found in srv/app.env at 2:3"
  }
done
echo PASS
