#!/usr/bin/env bash
# t_special_files (T1, T2, T3): FIFOs, sockets and devices are never read; named explicitly they make the scan incomplete.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir d && printf '%s\n' "$TOKEN" > d/a.txt && mkfifo d/pipe && ln -s /dev/zero d/zero && ln -s /dev/urandom d/rnd
ks scan "${R[@]}" d;              expect_rc 1 "FIFO in the tree is skipped"
expect_err "1 special"
expect_err "2 symlink"
ks scan "${R[@]}" --follow d;     expect_rc 1 "symlinks to devices are skipped with --follow"
expect_err "3 special"
ks scan "${R[@]}" d/pipe;         expect_rc 2 "explicit FIFO"
expect_err "d/pipe: not scanned: not a regular file"
ks scan "${R[@]}" /dev/zero;      expect_rc 2 "explicit device"
expect_err "/dev/zero: not scanned"
echo PASS
