#!/usr/bin/env bash
# t_utf16 (issue 14): text stored as UTF-16 (a Windows .ini with a byte order mark, big-endian text without one, a
# file of many chunks) is scanned as its characters: each secret found once, with "decoders", its line and column
# in characters, and start/end pointing at the encoded bytes in the file; --no-decode scans the bytes as they are.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
s = "[settings]\r\nname=Caf\u00e9 \u2603 server\r\ntoken = KSTEST_UTFLEAAAAAAAAAA1\r\n"
open("le.ini", "wb").write(b"\xff\xfe" + s.encode("utf-16-le"))
open("be.txt", "wb").write(("header line\n" * 40 + "x KSTEST_UTFBEBBBBBBBBBB2 y\n").encode("utf-16-be"))
big = "".join("line %06d of filler text, nothing here\n" % i for i in range(40000)) + "end: KSTEST_UTFBIGCCCCCCCCC3\n"
open("big.txt", "wb").write(b"\xff\xfe" + big.encode("utf-16-le"))
PY
check() {
  python3 - "$T/out" "$@" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = {w.split(":")[0]: tuple(int(x) for x in w.split(":")[1:]) for w in sys.argv[2:]}
assert len(rows) == len(want), "%d findings, expected %d" % (len(rows), len(want))
for r in rows:
    enc = {"utf16le": "utf-16-le", "utf16be": "utf-16-be"}[r["decoders"][0]]
    raw = open(r["path"], "rb").read()[r["start"]:r["end"]]
    assert raw.decode(enc) == r["match"], (r["path"], raw)
    assert (r["line"], r["column"]) == want[r["path"]], (r["path"], r["line"], r["column"])
PY
}
ks scan "${R[@]}" le.ini be.txt; expect_rc 1 "UTF-16 files"
check le.ini:3:9 be.txt:41:3 || fail "UTF-16 findings"
expect_out '"decoders":["utf16le"]'
expect_out '"decoders":["utf16be"]'
for args in "-j1" "-j2 --chunk-size 65536" "-j3 --chunk-size 4096 --io pread"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args big.txt; expect_rc 1 "big UTF-16 $args"
  check big.txt:40001:6 || fail "big UTF-16 file $args"
done
ks scan "${R[@]}" --no-decode le.ini be.txt big.txt; expect_rc 0 "--no-decode: UTF-16 bytes match nothing"
ks scan --no-builtin-rules --rules rules.yml --format text --color never --no-progress le.ini; expect_rc 1 "text"
expect_out "(decoded: utf16le)"
echo PASS
