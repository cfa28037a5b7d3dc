#!/usr/bin/env bash
# t_r_lz4_frame_cut_in_a_later_block: liblz4 keeps a block it does not have whole to itself, so a .tar.lz4 cut inside
# a block after its first (a partial download) lost that whole block, up to 4 MiB of members, with the key in it.
# keysweep now reads a frame's block sizes itself and hands liblz4 whole blocks; a block cut short is decoded as far
# as it goes (with the 64 KiB before it, when the frame's blocks are linked), scanned, and the cut is said. Written
# by the real lz4 (4 MiB independent blocks, its default; 64 KiB linked; 256 KiB linked with block checksums), each
# cut one byte before the end of the block that holds the key; files and standard input. And a frame cut 13 bytes in,
# before anything it gave could be opened, which was scanned as its bytes without a word: now that is said.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
mkdir -p dl && seq 1 900000 > dl/a.txt && printf 'key KSTEST_LZ4LATERBLOCK001\n' > dl/key.txt && seq 1 300000 > dl/z.txt
tar cf dl.tar dl/a.txt dl/key.txt dl/z.txt
# cut_in_key_block TAR LZ4 OUT: OUT is LZ4 cut one byte before the end of the block that holds dl/key.txt's bytes
cut_in_key_block() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys, tarfile
tar, lz, out = sys.argv[1:]
key = next(m.offset_data for m in tarfile.open(tar) if m.name == "dl/key.txt")
b = open(lz, "rb").read()
assert b[:4] == b"\x04\x22\x4d\x18", "no lz4 frame"
flg, bd = b[4], (b[5] >> 4) & 7
at, bmax, done = 7 + (8 if flg & 8 else 0) + (4 if flg & 1 else 0), 64 << (10 + 2 * (bd - 4)), 0
while True:
    w = int.from_bytes(b[at:at + 4], "little")
    assert w, "the key is in no block"
    size = w & 0x7fffffff
    if done <= key < done + bmax:
        assert done > 0, "the key is in the first block"
        open(out, "wb").write(b[:at + 4 + size - 1])
        break
    at, done = at + 4 + size + (4 if flg & 0x10 else 0), done + bmax
PY
}
check() { # $1: what
  python3 - "$T/out" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = sorted((x.get("object", ""), x["secret"], x["line"]) for x in map(json.loads, open(sys.argv[1])))
assert got == [("dl/key.txt", "KSTEST_LZ4LATERBLOCK001", 1)], got
PY
}
for opts in "-B7" "-B4 -BD" "-B5 -BD -BX"; do
  n=f${opts// /}
  lz4 -q $opts dl.tar "$n.tar.lz4"
  cut_in_key_block dl.tar "$n.tar.lz4" "cut$n.tar.lz4"
  # what lz4 itself makes of the cut: the blocks before it, not the key
  if lz4 -dc "cut$n.tar.lz4" 2>/dev/null | grep -q KSTEST_; then fail "$opts: lz4 -d finds the key: not cut in its block"; fi
  ks scan "${R[@]}" "cut$n.tar.lz4"; expect_rc 1 "cut$n.tar.lz4"
  check "cut$n.tar.lz4"
  expect_err "truncated lz4 input"
  ks_from "cut$n.tar.lz4" scan "${R[@]}" -; expect_rc 1 "cut$n.tar.lz4 (stdin)"
  check "cut$n.tar.lz4 (stdin)"
  expect_err "truncated lz4 input"
done
head -c 13 f-B7.tar.lz4 > tiny.lz4
ks scan "${R[@]}" tiny.lz4; expect_rc 0 tiny.lz4
expect_err "tiny.lz4: damaged, scanned as it is: lz4: truncated lz4 input"
echo PASS
