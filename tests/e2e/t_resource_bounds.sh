#!/usr/bin/env bash
# t_resource_bounds (T12, T14, T15, T16, T25): a growing file ends, a 64 MiB line and NUL bytes are scanned,
# 200k findings keep memory flat, and `ulimit -n 64` over 12k files finishes with every finding.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
peak_kib() { /usr/bin/time -f %M -o "$T/rss" timeout -k 5 "$(hang_s 600)" "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?; }

# T14 + T15: one 64 MiB line of base64 with tokens at the start, middle and end; NULs before two of them
python3 - "$TOKEN" <<'PY'
import base64, os, sys
tok = sys.argv[1].encode()
n = 64 << 20
data = bytearray(base64.b64encode(os.urandom(n * 3 // 4))[:n])
for at in (0, n // 2, n - len(tok)):
    data[at:at + len(tok)] = tok
    if at: data[at - 1:at] = b" "
    if at + len(tok) < n: data[at + len(tok):at + len(tok) + 1] = b" "
data[30] = 0  # NULs before the second and third tokens (T15)
data[70000] = 0
open("longline", "wb").write(data)
PY
set +e; peak_kib scan "${R[@]}" longline; set -e
expect_rc 1 "64 MiB line"
[ "$(lines "$T/out")" -eq 3 ] || fail "expected 3 findings on the long line, got $(lines "$T/out")"
[ "$(tail -1 "$T/rss")" -lt 262144 ] || fail "peak RSS $(tail -1 "$T/rss") KiB on a 64 MiB line"

# T16: 200k findings in one file: streamed out, memory flat
python3 -c "import sys; open('many','w').write(('%s\n' % sys.argv[1]) * 200000)" "$TOKEN"
set +e; peak_kib scan "${R[@]}" many; set -e
expect_rc 1 "many findings"
[ "$(lines "$T/out")" -eq 200000 ] || fail "expected 200000 findings, got $(lines "$T/out")"
[ "$(tail -1 "$T/rss")" -lt 131072 ] || fail "peak RSS $(tail -1 "$T/rss") KiB with 200k findings"

# T12: a file growing while it is read: the scan ends at the size it saw
printf '%s\n' "$TOKEN" > growing
( end=$((SECONDS + 3)); while [ $SECONDS -lt $end ]; do head -c 1048576 /dev/zero >> growing; done ) &
grower=$!
sleep 0.3
ks scan "${R[@]}" growing;  [ "$rc" -eq 1 ] || fail "growing file: status $rc"
wait $grower || true

# T25: 12k files in 600 directories under ulimit -n 64
python3 - "$TOKEN" <<'PY'
import os, sys
for d in range(600):
    os.makedirs("fds/%03d/x/y" % d, exist_ok=True)
    for f in range(20):
        open("fds/%03d/x/y/%d" % (d, f), "w").write("a\n%s\n" % sys.argv[1])
PY
set +e
(ulimit -n 64; timeout -k 5 "$(hang_s 600)" "$KEYSWEEP" scan "${R[@]}" fds >"$T/out" 2>"$T/err" </dev/null); rc=$?
set -e
expect_rc 1 "ulimit -n 64"
[ "$(lines "$T/out")" -eq 12000 ] || fail "expected 12000 findings under ulimit -n 64, got $(lines "$T/out")"
grep -q "Too many open files" "$T/err" && fail "ran out of descriptors"
echo PASS
