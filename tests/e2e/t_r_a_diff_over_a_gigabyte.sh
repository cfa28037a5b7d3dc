#!/usr/bin/env bash
# t_r_a_diff_over_a_gigabyte: a unified diff piped to `keysweep scan -` was read whole before its files were laid
# out, and refused past 1 GiB ("read the diff failed: File too large", exit 2): `git log -p --all` of a big history
# could not be scanned at all. The diff is now read as it comes, one file's new side held at a time: 1.1 GiB of it
# is scanned, the key in its last file found at its line, with peak memory far below the diff's size.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
cat >gen.py <<'PY'
import sys
out = sys.stdout.buffer
line = b"+" + b"x" * 98 + b"\n"                       # 100 bytes a line
files, lines = 1100, 10486                            # 1,100 files of about 1 MiB: 1.07 GiB of added lines
for k in range(files):
    out.write(b"diff --git a/f%d.txt b/f%d.txt\nnew file mode 100644\n--- /dev/null\n+++ b/f%d.txt\n" % (k, k, k))
    out.write(b"@@ -0,0 +1,%d @@\n" % lines)
    if k == files - 1:
        out.write(line * 4999 + b"+key=KSTEST_LASTFILEOFDIFF01\n" + line * (lines - 5000))   # line 5000, column 5
    else:
        out.write(line * lines)
PY
set +e
python3 gen.py | timeout -k 5 "$(hang_s 600)" /usr/bin/time -f "%M" -o rss "$KEYSWEEP" scan "${R[@]}" - \
  >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 1 "a 1.1 GiB diff"
expect_err "is a unified diff"
[ "$(lines "$T/out")" = 1 ] || fail "$(lines "$T/out") findings, expected 1"
expect_out '"path":"f1099.txt"'
expect_out '"line":5000,"column":5'
rss_kib=$(tail -1 rss)
# the whole diff held would be 1.1 GiB; one file's new side is 1 MiB (sanitizers add their own)
[ "$rss_kib" -lt $((400 * 1024)) ] || fail "peak RSS ${rss_kib} KiB: the diff was held whole"
echo PASS
