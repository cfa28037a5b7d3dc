#!/usr/bin/env bash
# t_r_pzstd_skippable_frame: pzstd (and any writer of zstd's or lz4's skippable frames) begins its output with a
# skippable frame, not the zstd magic, so a .zst written by pzstd was scanned as its compressed bytes: a key in it was
# not found, exit 0. What follows skippable frames now says what the stream is. Files, standard input, inside a
# .tar.gz, with data after the stream, written by the real pzstd.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
{ seq 1 20000 | sed 's/^/line /'; printf 'key KSTEST_PZSTDSKIPPABLE01\n'; } > big.txt
pzstd -q -p 2 big.txt -o big.txt.zst
head -c 4 big.txt.zst | od -An -tx1 | grep -q '50 2a 4d 18' || fail "pzstd did not begin with a skippable frame"
printf 'after KSTEST_PZSTDTRAILNG0001\n' > note.txt
cat big.txt.zst note.txt > noted.zst
zs=$(stat -c %s big.txt.zst)
lz4 -q -c big.txt > frame.lz4
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<II', 0x184D2A5A, 3) + b'abc' + open('frame.lz4','rb').read())" > skip.lz4
tar cf t.tar big.txt.zst noted.zst skip.lz4 && gzip -n -f t.tar
check() { # $1: what; $2...: the findings expected, each "object|secret|line"
  python3 - "$T/out" "$@" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = sorted((x.get("object", ""), x["secret"], x["line"]) for x in map(json.loads, open(sys.argv[1])))
want = sorted(tuple(w.split("|")[:2]) + (int(w.split("|")[2]),) for w in sys.argv[3:])
assert got == want, (got, want)
PY
}
ks scan "${R[@]}" big.txt.zst; expect_rc 1 big.txt.zst
check big.txt.zst "big.txt|KSTEST_PZSTDSKIPPABLE01|20001"
ks_from big.txt.zst scan "${R[@]}" -; expect_rc 1 "big.txt.zst (stdin)"
check "big.txt.zst (stdin)" "data|KSTEST_PZSTDSKIPPABLE01|20001"
ks scan "${R[@]}" noted.zst; expect_rc 1 noted.zst
check noted.zst "noted|KSTEST_PZSTDSKIPPABLE01|20001" "[trailing@$zs]|KSTEST_PZSTDTRAILNG0001|1"
ks scan "${R[@]}" skip.lz4; expect_rc 1 skip.lz4
check skip.lz4 "skip|KSTEST_PZSTDSKIPPABLE01|20001"
ks scan "${R[@]}" t.tar.gz; expect_rc 1 t.tar.gz
check t.tar.gz "big.txt.zst!big.txt|KSTEST_PZSTDSKIPPABLE01|20001" "noted.zst!noted|KSTEST_PZSTDSKIPPABLE01|20001" \
  "noted.zst![trailing@$zs]|KSTEST_PZSTDTRAILNG0001|1" "skip.lz4!skip|KSTEST_PZSTDSKIPPABLE01|20001"
echo PASS
