#!/usr/bin/env bash
# t_r_utf16_in_members_and_pipes: UTF-16 text was decoded only in whole files read by offset. The same .ini inside a
# tar, a zip or a .gz, piped to standard input, or committed to git and deleted was scanned as its raw bytes (a zero
# in every other one), and its secret never found. And a UTF-16 file's findings gave secret_end in characters, not
# bytes (54 for a secret at 64..110). Each is now found once, with its line and column in characters, start, end,
# secret_start and secret_end on the encoded bytes, and "utf16le"/"utf16be" first among its decoders.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, io, tarfile, zipfile
le = b"\xff\xfe" + "[settings]\r\nname=Caf\u00e9\r\ntoken = KSTEST_UTFLEAAAAAAAAAA1\r\n".encode("utf-16-le")
be = ("header line\n" * 40 + "x KSTEST_UTFBEBBBBBBBBBB2 y\n").encode("utf-16-be")  # no mark: by its zeros
big = b"\xff\xfe" + ("".join("line %05d of filler text\n" % i for i in range(20000)) +
                     "end: KSTEST_UTFBIGCCCCCCCCC3\n").encode("utf-16-le")
open("le.ini", "wb").write(le)
open("big.txt", "wb").write(big)
t = tarfile.open("conf.tar", "w")
for name, data in (("etc/le.ini", le), ("etc/be.txt", be), ("etc/big.txt", big)):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()
with zipfile.ZipFile("conf.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("le.ini", le)
open("le.ini.gz", "wb").write(gzip.compress(le))
PY
check() { # FILE EXPECTED...: each finding's bytes, decoded, are its match and its secret; line:column as given
  python3 - "$T/out" "$@" <<'PY'
import gzip, io, json, sys, tarfile, zipfile
rows = [json.loads(l) for l in open(sys.argv[1])]
def blob(r):
    path, obj = r["path"], r.get("object")
    if path == "-":
        return open("le.ini", "rb").read()
    if obj is None:
        return open(path, "rb").read()
    if path.endswith(".tar"):
        return tarfile.open(path).extractfile(obj).read()
    if path.endswith(".zip"):
        return zipfile.ZipFile(path).read(obj)
    if path.endswith(".gz"):
        return gzip.decompress(open(path, "rb").read())
    return open(obj, "rb").read()  # a git blob: the file as committed
want = sorted(sys.argv[2:])
got = sorted("%s:%s:%d:%d" % (r["path"], r.get("object", ""), r["line"], r["column"]) for r in rows)
assert got == want, (got, want)
for r in rows:
    enc = {"utf16le": "utf-16-le", "utf16be": "utf-16-be"}[r["decoders"][0]]
    b = blob(r)
    assert b[r["start"]:r["end"]].decode(enc) == r["match"], r
    assert b[r["secret_start"]:r["secret_end"]].decode(enc) == r["secret"], r
PY
}
ks scan "${R[@]}" le.ini; expect_rc 1 "a UTF-16 file"
check le.ini::3:9 || fail "a UTF-16 file's offsets"
for args in "-j1" "-j3 --chunk-size 4096"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args conf.tar conf.zip le.ini.gz; expect_rc 1 "UTF-16 members $args"
  check conf.tar:etc/le.ini:3:9 conf.tar:etc/be.txt:41:3 conf.tar:etc/big.txt:20001:6 conf.zip:le.ini:3:9 \
    le.ini.gz:le.ini:3:9 || fail "UTF-16 members $args"
done
ks_from le.ini scan "${R[@]}" -; expect_rc 1 "UTF-16 on standard input"
check -::3:9 || fail "UTF-16 on standard input"
ks scan "${R[@]}" --no-decode conf.tar conf.zip le.ini.gz; expect_rc 0 "--no-decode: UTF-16 members match nothing"
ks_from le.ini scan "${R[@]}" --no-decode -; expect_rc 0 "--no-decode: piped UTF-16 matches nothing"
# committed, then deleted: only the history holds it
git init -q -b main repo
cp le.ini repo/le.ini && git -C repo add le.ini && git -C repo commit -qm "add settings"
git -C repo rm -q le.ini && git -C repo commit -qm "remove settings"
ks scan "${R[@]}" repo; expect_rc 1 "UTF-16 in git history"
python3 - "$T/out" <<'PY' || fail "UTF-16 in git history"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1 and rows[0]["git"]["path"] == "le.ini" and rows[0]["decoders"] == ["utf16le"], rows
assert (rows[0]["line"], rows[0]["column"], rows[0]["secret_end"]) == (3, 9, 110), rows
PY
echo PASS
