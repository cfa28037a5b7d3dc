#!/usr/bin/env bash
# t_pseudo_files (T4, issue 11): procfs files claim size 0 and are read to EOF, but never further than --max-file-size
# (64 MiB without it): /proc/self/pagemap, which yields data for the whole address space, ends promptly, counted as
# truncated, not as an error. Standard input is capped only by --max-file-size.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
ks scan "${R[@]}" /proc/self/status; expect_rc 1 "procfs"
expect_out '"rule_id":"e2e.vmrss"'
expect_err "1 file scanned, "   # read to its end: not truncated

[ -r /proc/self/pagemap ] || { echo "SKIP: no /proc/self/pagemap"; exit 77; }
ks scan "${R[@]}" --max-file-size 1M /proc/self/pagemap; expect_rc 0 "endless size-0 file, --max-file-size 1M"
expect_err "1 file scanned (1 truncated), 1.0 MiB"
expect_err "/proc/self/pagemap: size unknown: scanned its first 1.0 MiB"
expect_err "; 0 errors"
ks scan "${R[@]}" /proc/self/pagemap; expect_rc 0 "endless size-0 file, default cap"
expect_err "1 file scanned (1 truncated), 64.0 MiB"

# stdin: a token before the limit is found, one after it is not read; without the option nothing is cut.
python3 -c '
import sys
tok = sys.argv[1].encode()
sys.stdout.buffer.write(b"k = " + tok + b"\n" + b"\0" * (3 << 20) + b"\nk = " + tok + b"\n")' "$TOKEN" > two.bin
set +e; cat two.bin | timeout "$(hang_s 300)" "$KEYSWEEP" scan "${R[@]}" --max-file-size 1M - >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 1 "stdin over --max-file-size"
[ "$(lines "$T/out")" -eq 1 ] || fail "expected only the finding before the cut, got $(lines "$T/out")"
expect_err "(1 truncated)"
head -c $((70 << 20)) /dev/zero | cat - two.bin > big.bin
set +e; cat big.bin | timeout "$(hang_s 300)" "$KEYSWEEP" scan "${R[@]}" - >"$T/out" 2>"$T/err"; rc=$?; set -e
expect_rc 1 "stdin past 64 MiB"
[ "$(lines "$T/out")" -eq 2 ] || fail "stdin without --max-file-size was cut: $(lines "$T/out") findings"
grep -q truncated "$T/err" && fail "stdin without --max-file-size reported as truncated"
echo PASS
