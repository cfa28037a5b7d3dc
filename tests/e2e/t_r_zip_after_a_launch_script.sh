#!/usr/bin/env bash
# t_r_zip_after_a_launch_script: a zip that does not start the file (a Spring Boot "fully executable" jar's launch
# script, a self-extracting stub before it) was scanned as raw bytes, so a key in a deflated member was never
# found and the scan exited 0. It is now found by its end record: the bytes before the zip are scanned as the
# file's own (lines from its first), the members as members, at every -j and whether the file is one chunk or many;
# inside an archive (an image layer), by its first local header: the lead is the member's own bytes. Piped in (and
# written into the library's container stream), a jar or a self-extracting executable was raw bytes: the zip is now
# found by its first local header in the first MiB, as in a member; so is it in a file whose end record does not end
# it (offsets counted from the file's start, as zip -A leaves them; a signature after the zip).
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import io, random, zipfile
script = (b"#!/bin/bash\n# launch script\nexport APP_TOKEN=KSTEST_LAUNCHSCRIPT0001\n"
          b'exec java -jar "$0" "$@"\n')                                   # line 3, column 18
def jar(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, method in members:
            z.writestr(name, data, compress_type=method)
    return script + b.getvalue()
props = b"spring.main.banner-mode=off\napp.key=KSTEST_INSIDETHEJAR0002\n"   # line 2, column 9
rng = random.Random(5)
open("small.jar", "wb").write(jar([("BOOT-INF/classes/application.properties", props, zipfile.ZIP_DEFLATED)]))
# bigger than a chunk (1 MiB): read again through its descriptor
open("big.jar", "wb").write(jar([("BOOT-INF/classes/application.properties", props, zipfile.ZIP_DEFLATED),
                                 ("BOOT-INF/lib/blob.bin", bytes(rng.getrandbits(8) for _ in range(3 << 20)),
                                  zipfile.ZIP_STORED)]))
# the small jar in an image layer (a tar) and in a .tar.gz: the same inside the member (found by its local header)
import tarfile
for name, mode in (("layer.tar", "w"), ("layer.tar.gz", "w:gz")):
    with tarfile.open(name, mode) as t:
        data = open("small.jar", "rb").read()
        i = tarfile.TarInfo("opt/app/app.jar"); i.size = len(data); t.addfile(i, io.BytesIO(data))
# a self-extracting executable: "MZ", a stub of binary bytes, then the zip
open("stub.exe", "wb").write(b"MZ\x90\x00" + bytes(range(256)) * 40 + b"\n" + jar([("conf/app.env", props, zipfile.ZIP_DEFLATED)])[len(script):])
# a self-extractor whose zip offsets count from the file's start (zip -A; Python's zipfile appending to a stub),
# and a jar with bytes after its end record (a signature): no end record where the file ends says where the zip
# is, its first local header does (they were raw bytes in a file, the member's key lost)
open("sfx.exe", "wb").write(b"MZ\x90\x00" + bytes(range(256)) * 40 + b"\n")
with zipfile.ZipFile("sfx.exe", "a", zipfile.ZIP_DEFLATED) as z:
    z.writestr("conf/app.env", props)
open("signed.jar", "wb").write(jar([("conf/app.env", props, zipfile.ZIP_DEFLATED)]) +
                               b"\x30\x82" + bytes(range(256)) * 4 + b"\nsigned KSTEST_AFTERTHEZIPEND05\n")
# text that ends like an end record but holds no zip: bytes as they are
open("fake.txt", "wb").write(b"x KSTEST_NOTAZIPATALL0003\n" + b"PK\x05\x06" + b"\0" * 18)
# an end record and signatures in place, a central directory libarchive cannot read (a name 60,000 bytes long):
# the launch script's key once (it was reported twice: from the prefix, then from the bytes), the stored member's
# text as bytes at its line in the file, one chunk and four
for name, big in (("bad.jar", False), ("bad-big.jar", True)):
    members = [("BOOT-INF/lib/blob.bin", bytes(rng.getrandbits(8) for _ in range(3 << 20)), zipfile.ZIP_STORED)] if big else []
    members.append(("stored.txt", b"x\nkey KSTEST_STOREDMEMBER0004\n", zipfile.ZIP_STORED))
    data = bytearray(jar(members))
    first_cd = data.find(b"PK\x01\x02", len(script))
    data[first_cd + 28:first_cd + 30] = (60000).to_bytes(2, "little")
    open(name, "wb").write(data)
    at = data.find(b"KSTEST_STOREDMEMBER0004")
    open(name + ".where", "w").write("%d %d %d" % (data[:at].count(b"\n") + 1, at - data.rfind(b"\n", 0, at), at))
PY

for f in small big; do
  for j in 1 3; do
    ks scan "${R[@]}" -j "$j" "$f.jar"; expect_rc 1 "$f.jar -j$j"
    [ "$(lines "$T/out")" = 2 ] || { cat "$T/out" >&2; fail "$f.jar -j$j: $(lines "$T/out") findings, expected 2"; }
    python3 - "$T/out" "$f.jar" <<'PY' || fail "$f.jar -j$j: findings"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
script, member = f
assert script["secret"] == "KSTEST_LAUNCHSCRIPT0001" and "object" not in script, script
assert (script["line"], script["column"], script["start"]) == (3, 18, 45), script
assert member["secret"] == "KSTEST_INSIDETHEJAR0002", member
assert member["object"] == "BOOT-INF/classes/application.properties", member
assert (member["line"], member["column"]) == (2, 9), member
PY
  done
  expect_err "1 archive opened"
done
for f in layer.tar layer.tar.gz; do
  for j in 1 3; do
    ks scan "${R[@]}" -j "$j" "$f"; expect_rc 1 "$f -j$j"
    python3 - "$T/out" <<'PY' || fail "$f -j$j: findings"
import json, sys
f = {x["secret"]: x for x in map(json.loads, open(sys.argv[1]))}
assert set(f) == {"KSTEST_LAUNCHSCRIPT0001", "KSTEST_INSIDETHEJAR0002"}, f
s, m = f["KSTEST_LAUNCHSCRIPT0001"], f["KSTEST_INSIDETHEJAR0002"]
assert s["object"] == "opt/app/app.jar" and (s["line"], s["column"], s["start"]) == (3, 18, 45), s
assert m["object"] == "opt/app/app.jar!BOOT-INF/classes/application.properties", m
assert (m["line"], m["column"]) == (2, 9), m
PY
  done
done
for f in bad bad-big; do
  for j in 1 3; do
    ks scan "${R[@]}" -j "$j" "$f.jar"; expect_rc 1 "$f.jar -j$j"
    python3 - "$T/out" "$f.jar.where" <<'PY' || fail "$f.jar -j$j: findings"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
line, column, start = map(int, open(sys.argv[2]).read().split())
assert [x["secret"] for x in f] == ["KSTEST_LAUNCHSCRIPT0001", "KSTEST_STOREDMEMBER0004"], f
assert (f[0]["line"], f[0]["column"]) == (3, 18), f[0]
assert (f[1]["line"], f[1]["column"], f[1]["start"]) == (line, column, start) and "object" not in f[1], (f[1], line, column)
PY
  done
done
# piped: the same findings, the zip found by its first local header
for f in small big; do
  for j in 1 3; do
    ks_from "$f.jar" scan "${R[@]}" -j "$j" -; expect_rc 1 "$f.jar piped -j$j"
    python3 - "$T/out" <<'PY' || fail "$f.jar piped -j$j: findings"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
assert [x["secret"] for x in f] == ["KSTEST_LAUNCHSCRIPT0001", "KSTEST_INSIDETHEJAR0002"], f
assert (f[0]["line"], f[0]["column"], f[0]["start"]) == (3, 18, 45) and "object" not in f[0], f[0]
assert f[1]["object"] == "BOOT-INF/classes/application.properties" and (f[1]["line"], f[1]["column"]) == (2, 9), f[1]
PY
    expect_err "1 archive opened"
  done
done
for how in file pipe; do
  if [ $how = file ]; then ks scan "${R[@]}" stub.exe; else ks_from stub.exe scan "${R[@]}" -; fi
  expect_rc 1 "stub.exe ($how)"
  [ "$(lines "$T/out")" = 1 ] || fail "stub.exe ($how): $(lines "$T/out") findings, expected 1"
  expect_out '"object":"conf/app.env"'
  expect_out '"line":2,"column":9'
done
for f in sfx.exe signed.jar; do
  for how in file pipe; do
    if [ $how = file ]; then ks scan "${R[@]}" "$f"; else ks_from "$f" scan "${R[@]}" -; fi
    expect_rc 1 "$f ($how)"
    expect_out '"object":"conf/app.env"'
    expect_out '"line":2,"column":9'
  done
done
expect_out '"secret":"KSTEST_AFTERTHEZIPEND05"'
expect_out '"object":"[trailing@'
ks_from small.jar scan "${R[@]}" --archive-depth 0 -; expect_rc 1 "containers off, piped: the jar is bytes"
[ "$(lines "$T/out")" = 1 ] || fail "--archive-depth 0 piped: $(lines "$T/out") findings, expected the script's"
ks scan "${R[@]}" fake.txt; expect_rc 1 "fake end record"
expect_out '"secret":"KSTEST_NOTAZIPATALL0003"'
ks scan "${R[@]}" --archive-depth 0 small.jar; expect_rc 1 "containers off: the jar is bytes"
expect_out '"secret":"KSTEST_LAUNCHSCRIPT0001"'
echo PASS
