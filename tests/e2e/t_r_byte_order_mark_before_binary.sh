#!/usr/bin/env bash
# t_r_byte_order_mark_before_binary (pipeline_stress seed 97841151531861, iteration 516): a file of binary bytes that
# happened to start with FF FE was scanned only as UTF-16 text, so the 81 secrets in its raw bytes were never found.
# A byte order mark followed by anything but mostly-ASCII UTF-16 is now scanned both ways: raw secrets are found
# as bytes, and a secret in UTF-16 text of another script (no zero bytes in the first 512) as text.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import random
rnd = random.Random(516)
def noise(n):
    return bytes(rnd.randrange(256) for _ in range(n))
# binary after a mark: raw tokens at known offsets, in one chunk and across many
for name, size in (("small.bin", 3000), ("big.bin", 300000)):
    b = bytearray(b"\xff\xfe" + noise(size))
    for off in range(200, size, size // 5):
        b[off:off + 25] = b"\nKSTEST_RAWRAWRAWRAW1234\n"
    open(name, "wb").write(bytes(b))
# UTF-16LE with a mark, Japanese text first, then an ASCII secret
s = "\u8a2d\u5b9a\u30d5\u30a1\u30a4\u30eb\u3067\u3059\u3002" * 60 + "\r\ntoken=KSTEST_UTFJAPANESE00001\r\n"
open("ja.ini", "wb").write(b"\xff\xfe" + s.encode("utf-16-le"))
PY
count_raw() {
  python3 - "$T/out" "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
path, want = sys.argv[2], int(sys.argv[3])
mine = [r for r in rows if r["path"] == path]
assert len(mine) == want, "%s: %d findings, expected %d" % (path, len(mine), want)
data = open(path, "rb").read()
for r in mine:
    assert "decoders" not in r, r
    assert data[r["start"]:r["end"]] == r["match"].encode(), r
PY
}
for args in "-j1" "-j2 --chunk-size 65536" "-j3 --chunk-size 4096 --io pread"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args small.bin big.bin; expect_rc 1 "binary after a byte order mark $args"
  count_raw small.bin 5 || fail "raw secrets after a mark, one chunk $args"
  count_raw big.bin 5 || fail "raw secrets after a mark, many chunks $args"
done
ks scan "${R[@]}" ja.ini; expect_rc 1 "UTF-16 of another script"
expect_out '"decoders":["utf16le"]'
expect_out '"line":2,"column":7'
expect_out '"secret":"KSTEST_UTFJAPANESE00001"'
echo PASS
