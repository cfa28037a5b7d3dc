#!/usr/bin/env bash
# t_r_lz4_legacy_zero_padding: lz4's legacy format (lz4 -l, the kernel's initramfs images) has no end marker.
# libarchive's filter took the zero padding after such a stream for a block ("lz4 decompression failed", the scan
# incomplete) and a .tar.gz appended to one for a block too, its key lost; a stream (legacy or frame) cut inside its
# first block (a partial download) was scanned as its compressed bytes, the tar's members in it lost, nothing said.
# keysweep now decodes lz4 itself: the stream ends at zero padding, a gzip member, or bytes that are no block, and
# what decodes of a cut block is scanned before the cut is said. Written by the real lz4; files and standard input.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
mkdir -p img/etc && printf 'token KSTEST_LZ4LEGACYPAD0001\n' > img/etc/secret.conf
seq 1 30000 | sed 's/^/filler line /' > img/etc/filler.txt
tar cf img.tar img && lz4 -q -l img.tar img.tar.lz4
head -c 4 img.tar.lz4 | od -An -tx1 | grep -q '02 21 4c 18' || fail "lz4 -l wrote no legacy stream"
cp img.tar.lz4 padded.lz4 && truncate -s $(( ($(stat -c %s img.tar.lz4) / 4096 + 2) * 4096 )) padded.lz4
mkdir -p extra && printf 'key KSTEST_LZ4LEGACYTGZ0001\n' > extra/key.txt && tar czf extra.tar.gz extra
head -c 4 extra.tar.gz | od -An -tx1 | grep -q '1f 8b 08 00' || fail "tar cz named a file in its gzip header"
cat img.tar.lz4 extra.tar.gz > with_tgz.lz4
ls=$(stat -c %s img.tar.lz4)
mkdir -p dl && printf 'key KSTEST_LZ4LEGACYCUT0001\n' > dl/first.txt && seq 1 400000 > dl/numbers.txt
tar cf dl.tar dl/first.txt dl/numbers.txt && lz4 -q -l dl.tar dl.tar.lz4
head -c $(( $(stat -c %s dl.tar.lz4) / 2 )) dl.tar.lz4 > cut.tar.lz4
lz4 -q dl.tar dlf.tar.lz4 && head -c $(( $(stat -c %s dlf.tar.lz4) / 2 )) dlf.tar.lz4 > cutf.tar.lz4
check() { # $1: what; $2...: the findings expected, each "object|secret|line"
  python3 - "$T/out" "$@" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = sorted((x.get("object", ""), x["secret"], x["line"]) for x in map(json.loads, open(sys.argv[1])))
want = sorted(tuple(w.split("|")[:2]) + (int(w.split("|")[2]),) for w in sys.argv[3:])
assert got == want, (got, want)
PY
}
ks scan "${R[@]}" padded.lz4; expect_rc 1 padded.lz4
check padded.lz4 "img/etc/secret.conf|KSTEST_LZ4LEGACYPAD0001|1"
grep -q "stopped\|failed" "$T/err" && fail "padded.lz4: $(cat "$T/err")"
ks_from padded.lz4 scan "${R[@]}" -; expect_rc 1 "padded.lz4 (stdin)"
check "padded.lz4 (stdin)" "img/etc/secret.conf|KSTEST_LZ4LEGACYPAD0001|1"
ks scan "${R[@]}" with_tgz.lz4; expect_rc 1 with_tgz.lz4
check with_tgz.lz4 "img/etc/secret.conf|KSTEST_LZ4LEGACYPAD0001|1" "[trailing@$ls]!extra/key.txt|KSTEST_LZ4LEGACYTGZ0001|1"
ks_from with_tgz.lz4 scan "${R[@]}" -; expect_rc 1 "with_tgz.lz4 (stdin)"
check "with_tgz.lz4 (stdin)" "img/etc/secret.conf|KSTEST_LZ4LEGACYPAD0001|1" "[trailing@$ls]!extra/key.txt|KSTEST_LZ4LEGACYTGZ0001|1"
tar cf both.tar padded.lz4 with_tgz.lz4
ks scan "${R[@]}" both.tar; expect_rc 1 both.tar
check both.tar "padded.lz4!img/etc/secret.conf|KSTEST_LZ4LEGACYPAD0001|1" \
  "with_tgz.lz4!img/etc/secret.conf|KSTEST_LZ4LEGACYPAD0001|1" "with_tgz.lz4![trailing@$ls]!extra/key.txt|KSTEST_LZ4LEGACYTGZ0001|1"
ks scan "${R[@]}" cut.tar.lz4; expect_rc 1 cut.tar.lz4
check cut.tar.lz4 "dl/first.txt|KSTEST_LZ4LEGACYCUT0001|1"
expect_err "truncated lz4 input"
ks scan "${R[@]}" cutf.tar.lz4; expect_rc 1 cutf.tar.lz4
check cutf.tar.lz4 "dl/first.txt|KSTEST_LZ4LEGACYCUT0001|1"
expect_err "truncated lz4 input"
ks_from cutf.tar.lz4 scan "${R[@]}" -; expect_rc 1 "cutf.tar.lz4 (stdin)"
check "cutf.tar.lz4 (stdin)" "dl/first.txt|KSTEST_LZ4LEGACYCUT0001|1"
echo PASS
