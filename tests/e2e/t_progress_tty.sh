#!/usr/bin/env bash
# t_progress_tty: on a terminal the progress line is cleared before a finding is printed on the same terminal, and
# before the summary: no finding or summary glued to "N files, ... findings".
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || { echo "SKIP: script (util-linux) not installed"; exit 77; }
write_test_rules
# Standard input that stays open: the progress line is drawn while keysweep waits, then the finding comes.
# The pause is not a speed judgement: a shorter wait only makes the check weaker, never wrong.
cat > run.sh <<SH
(sleep 1; echo "key = $TOKEN"; sleep 0.5; echo "k2 = KSTEST_ZZZZZZZZ12345678") |
  "$KEYSWEEP" scan --color never --no-builtin-rules --rules "$T/rules.yml" -
SH
set +e
timeout -k 5 "$(hang_s 120)" script -qec "bash $T/run.sh" /dev/null >"$T/out" 2>"$T/err" </dev/null
rc=$?
set -e
expect_rc 1 "findings on a terminal"
python3 - "$T/out" <<'PY' || fail "progress line not cleared"
import re, sys
data = open(sys.argv[1], "rb").read()
assert b" findings" in data or b" finding" in data, "no progress line was drawn"
starts = [m.start() for m in re.finditer(rb"-:\d+:\d+: e2e\.token", data)]
assert len(starts) == 2, ("expected two findings", data)
summary = re.search(rb"keysweep: 1 files? scanned", data).start()
for at in starts + [summary]:
    before = data[:at]
    ok = before == b"" or before.endswith(b"\n") or before.endswith(b"\r\x1b[K")
    assert ok, ("glued to the progress line", data[max(0, at - 60):at + 20])
    # what the terminal shows on that line: everything after the last erase or newline is the finding
    line = re.split(rb"\n|\r\x1b\[K", before)[-1]
    assert line == b"", line
PY
echo PASS
