#!/usr/bin/env bash
# t_r_lz4_damaged_in_its_middle: an .lz4 damaged in its middle (a bad sector, a flipped run of bytes) gave the blocks
# before the damage and nothing after it, though lz4 keeps literals as they are: a key in a later block was there
# for grep to find, and keysweep lost it (exit 0). Now the bytes from the damaged block on are scanned as they are,
# as the member "[damaged@N]", N where the damaged block begins. Written by the real lz4 (64 KiB independent blocks;
# 256 KiB linked ones with block checksums), one block early in it overwritten; a file, standard input, a tar member.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import random
random.seed(7)
words = ["alpha", "beta", "gamma", "delta", "epsilon"]
with open("notes.txt", "w") as f:
    for i in range(200000):
        if i == 150000:
            f.write("deploy key KSTEST_Q7ZK2M9XW4RT8PLV for prod\n")
        f.write("line %d %s\n" % (i, " ".join(random.choice(words) for _ in range(6))))
PY
# damage LZ4 OUT: OUT is LZ4 with its second block's bytes all 0xff; prints where that block begins
damage() {
  python3 - "$1" "$2" <<'PY'
import sys
src, out = sys.argv[1:]
b = bytearray(open(src, "rb").read())
flg = b[4]
at = 7 + (8 if flg & 8 else 0) + (4 if flg & 1 else 0)
at += 4 + (int.from_bytes(b[at:at + 4], "little") & 0x7fffffff) + (4 if flg & 0x10 else 0)
w = int.from_bytes(b[at:at + 4], "little")
assert w and not w >> 31, "the second block is stored"
b[at + 4:at + 4 + w] = b"\xff" * w
open(out, "wb").write(b)
print(at)
PY
}
check() { # $1: what, $2: the object expected
  python3 - "$T/out" "$2" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = [(x.get("object", ""), x["secret"]) for x in map(json.loads, open(sys.argv[1]))]
assert got == [(sys.argv[2], "KSTEST_Q7ZK2M9XW4RT8PLV")], got
PY
}
for opts in "-B4" "-B5 -BD -BX"; do
  n=f${opts// /}
  lz4 -q $opts notes.txt "$n.lz4"
  at=$(damage "$n.lz4" "bad$n.lz4")
  [ "$(grep -c KSTEST_Q7ZK2M9XW4RT8PLV "bad$n.lz4")" = 1 ] || fail "$opts: the key is not in the lz4 bytes as it is"
  if lz4 -t "bad$n.lz4" 2>/dev/null; then fail "$opts: lz4 -t passes the damaged file"; fi
  ks scan "${R[@]}" "bad$n.lz4"; expect_rc 1 "bad$n.lz4"
  check "bad$n.lz4" "[damaged@$at]"
  expect_err "bad$n.lz4!bad$n: stopped: corrupt or truncated member: lz4: "
  ks_from "bad$n.lz4" scan "${R[@]}" -; expect_rc 1 "bad$n.lz4 (stdin)"
  check "bad$n.lz4 (stdin)" "[damaged@$at]"
  tar cf "bad$n.tar" "bad$n.lz4"
  ks scan "${R[@]}" "bad$n.tar"; expect_rc 1 "bad$n.tar"
  check "bad$n.tar" "bad$n.lz4![damaged@$at]"
done
echo PASS
