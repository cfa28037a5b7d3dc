#!/usr/bin/env bash
# t_r_a_container_after_a_prefix_longer_than_a_chunk: a container after a lead longer than the file's first chunk (a
# self-extracting installer's stub of megabytes before its zip; a makeself script longer than --chunk-size before its
# .tar.gz) was not opened: the file was scanned as bytes, the members' keys lost, exit 0. The prefix is now scanned as
# a stream read from the file's start (lines from its first), the container opened after it; and when that container
# fails to open after all, the whole file is read again as one stream, each finding reported once.
. "$(dirname "$0")/lib.sh"
write_test_rules
# a match that begins in the stub and runs into the zip's first bytes: the prefix's, found once (review)
cat >>"$T/rules.yml" <<'YML'
  - id: e2e.cross
    name: across the prefix's end
    pattern: 'STUBLASTLINE0002\nPK'
YML
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, io, os, random, sys, tarfile, zipfile
sys.path.insert(0, os.environ["KS_SOURCE_DIR"] + "/tests/e2e")
import archives
rng = random.Random(11)
def binary(n):
    return bytes(rng.getrandbits(8) for _ in range(n)).replace(b"\n", b" ")
# a stub: a key on its line 2, 3 MiB of binary bytes, a key on its last line (past the first chunk)
stub = b"MZ\x90\x00\nstub KSTEST_STUBFIRSTLINE001\n" + binary(3 << 20) + b"\nstub KSTEST_STUBLASTLINE0002\n"
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
    f.writestr("conf/app.env", b"x=1\nKEY=KSTEST_INSIDETHEBIGSFX3\n")
open("setup.exe", "wb").write(stub + z.getvalue())
# the same, its zip's central directory unreadable (a name 60,000 bytes long) and its member stored: as bytes
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as f:
    f.writestr("stored.txt", b"x\nkey KSTEST_STOREDINABADSFX4\n")
bad = bytearray(stub + z.getvalue())
cd = bad.find(b"PK\x01\x02", len(stub))
bad[cd + 28:cd + 30] = (60000).to_bytes(2, "little")
open("bad.exe", "wb").write(bad)
at = bad.find(b"KSTEST_STOREDINABADSFX4")
open("bad.where", "w").write("%d %d" % (bad[:at].count(b"\n") + 1, at))
# a makeself-like installer: a 300 KB script, then a .tar.gz at one of its lines
script = b"#!/bin/sh\n# installer KSTEST_SCRIPTFIRSTLINE5\n" + b"".join(b"echo line %d\n" % i for i in range(25000))
payload = gzip.compress(archives.tar([("srv/.env", b"a=1\nb=KSTEST_INSIDEPAYLOAD006\n")]))
open("install.run", "wb").write(script + payload)
open("script.lines", "w").write(str(script.count(b"\n")))
PY
for j in 1 3; do
  ks scan "${R[@]}" -j "$j" setup.exe; expect_rc 1 "setup.exe -j$j"
  python3 - "$T/out" <<'PY' || fail "setup.exe -j$j: $(cat "$T/out")"
import json, sys
f = [(x["secret"], x.get("object"), x["line"]) for x in map(json.loads, open(sys.argv[1]))]
assert f == [("KSTEST_STUBFIRSTLINE001", None, 2), ("KSTEST_STUBLASTLINE0002", None, 4),
             ("STUBLASTLINE0002\nPK", None, 4), ("KSTEST_INSIDETHEBIGSFX3", "conf/app.env", 2)], f
PY
  expect_err "1 archive opened"
  ks scan "${R[@]}" -j "$j" bad.exe; expect_rc 1 "bad.exe -j$j"
  python3 - "$T/out" bad.where <<'PY' || fail "bad.exe -j$j: $(cat "$T/out")"
import json, sys
f = [(x["secret"], x.get("object"), x["line"], x["start"]) for x in map(json.loads, open(sys.argv[1]))]
line, start = map(int, open(sys.argv[2]).read().split())
assert [x[:3] for x in f[:3]] == [("KSTEST_STUBFIRSTLINE001", None, 2), ("KSTEST_STUBLASTLINE0002", None, 4),
                                  ("STUBLASTLINE0002\nPK", None, 4)], f
assert f[3:] == [("KSTEST_STOREDINABADSFX4", None, line, start)], f
PY
  ks scan "${R[@]}" -j "$j" --chunk-size 64K install.run; expect_rc 1 "install.run -j$j"
  python3 - "$T/out" script.lines <<'PY' || fail "install.run -j$j: $(cat "$T/out")"
import json, sys
f = [(x["secret"], x.get("object"), x["line"]) for x in map(json.loads, open(sys.argv[1]))]
assert f == [("KSTEST_SCRIPTFIRSTLINE5", None, 2), ("KSTEST_INSIDEPAYLOAD006", "srv/.env", 2)], f
PY
done
echo PASS
