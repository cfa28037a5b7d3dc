#!/usr/bin/env bash
# t_hostile_names (T22): any bytes in a path give valid JSON (with path_b64) and no raw escape in text or stderr.
. "$(dirname "$0")/lib.sh"
write_test_rules
mkdir d
python3 - "$TOKEN" <<'PY'
import os, sys
tok = sys.argv[1].encode()
names = [b"new\nline", b"esc\x1b]0;pwned\x07", b"clear\x1b[2J", b"bad\xff\xfe", b"rtl\xe2\x80\xaeexe.txt", b'q"uo\\te', b"n" * 255]
for n in names:
    with open(os.path.join(b"d", n), "wb") as f:
        f.write(b"x " + tok + b"\n")
PY
ks scan --no-builtin-rules --rules "$T/rules.yml" --format jsonl d; expect_rc 1 "hostile names"
python3 - "$T/out" <<'PY'
import base64, json, os, sys
raw = open(sys.argv[1], "rb").read()
assert b"\x1b" not in raw and b"\x07" not in raw, "raw control byte in JSON output"
paths = set()
for line in raw.decode("utf-8").splitlines():
    r = json.loads(line)
    p = base64.b64decode(r["path_b64"]) if "path_b64" in r else r["path"].encode()
    assert os.path.exists(p), p
    paths.add(p)
assert len(paths) == 7, paths
PY
ks scan --no-builtin-rules --rules "$T/rules.yml" --format text d; expect_rc 1 "text"
if grep -q $'\x1b' "$T/out" "$T/err"; then fail "raw ESC in text output"; fi
grep -qF 'esc\x1b]0;pwned\x07' "$T/out" || fail "escaped name not shown"
echo PASS
