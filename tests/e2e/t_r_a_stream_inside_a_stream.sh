#!/usr/bin/env bash
# t_r_a_stream_inside_a_stream: an lz4 stream inside a gzip, bzip2, xz or zstd stream (and a gzip inside an xz) was
# decoded by the outer stream's chain of libarchive filters as if it were the outer stream's bytes, so what followed
# it inside the outer stream was never scanned: a key after the lz4 frame of x.lz4.gz was lost, exit 0 for it. The
# inner stream is now a container of its own, and what follows its end is "[trailing@N]". Files and standard input,
# written by the real tools.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
printf 'one\nkey KSTEST_LZFOURINGZIP0001\n' > x
lz4 -q -c x > x.frame
printf 'one\ntwo\nkey KSTEST_GZIPINSIDEXZ0001\n' | gzip -n -c > g.frame
{ cat x.frame; printf 'note KSTEST_LZFOURTRAILER001\n'; } > x.lz4
{ cat g.frame; printf 'note KSTEST_GZIPTRAILERXZ001\n'; } > g.gz
gzip -n -c x.lz4 > x.lz4.gz
bzip2 -c x.lz4 > x.lz4.bz2
xz -c x.lz4 > x.lz4.xz
zstd -q -c x.lz4 > x.lz4.zst
xz -c g.gz > g.gz.xz
lz=$(stat -c %s x.frame); gz=$(stat -c %s g.frame)
check() { # $1: what; $2...: the findings expected, each "object|secret|line"
  python3 - "$T/out" "$@" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = sorted((x["object"], x["secret"], x["line"]) for x in map(json.loads, open(sys.argv[1])))
want = sorted(tuple(w.split("|")[:2]) + (int(w.split("|")[2]),) for w in sys.argv[3:])
assert got == want, (got, want)
PY
}
for f in x.lz4.gz x.lz4.bz2 x.lz4.xz x.lz4.zst; do
  ks scan "${R[@]}" $f; expect_rc 1 $f
  check $f "x|KSTEST_LZFOURINGZIP0001|2" "x.lz4![trailing@$lz]|KSTEST_LZFOURTRAILER001|1"
  ks_from $f scan "${R[@]}" -; expect_rc 1 "$f (stdin)"
  check "$f (stdin)" "data|KSTEST_LZFOURINGZIP0001|2" "data![trailing@$lz]|KSTEST_LZFOURTRAILER001|1"
done
ks scan "${R[@]}" g.gz.xz; expect_rc 1 g.gz.xz
check g.gz.xz "g|KSTEST_GZIPINSIDEXZ0001|3" "g.gz![trailing@$gz]|KSTEST_GZIPTRAILERXZ001|1"
echo PASS
