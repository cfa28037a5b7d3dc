#!/usr/bin/env bash
# t_special_files (T1, T2, T3): FIFOs, sockets and devices met while walking are never read; a device named explicitly
# makes the scan incomplete; a FIFO named explicitly is read as a stream, as standard input is (issue 17: <(cmd)).
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir d && printf '%s\n' "$TOKEN" > d/a.txt && mkfifo d/pipe && ln -s /dev/zero d/zero && ln -s /dev/urandom d/rnd
ks scan "${R[@]}" d;              expect_rc 1 "FIFO in the tree is skipped"
expect_err "1 special"
expect_err "2 symlink"
ks scan "${R[@]}" --follow d;     expect_rc 1 "symlinks to devices are skipped with --follow"
expect_err "3 special"
(printf 'x = %s\n' "$TOKEN" >d/pipe &)
ks scan "${R[@]}" d/pipe;         expect_rc 1 "explicit FIFO, read as a stream"
expect_out '"path":"d/pipe"' 
ks scan "${R[@]}" /dev/zero;      expect_rc 2 "explicit device"
expect_err "/dev/zero: not scanned"
echo PASS
