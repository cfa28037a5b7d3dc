#!/usr/bin/env bash
# t_r_a_stream_in_trailing_data_before_another_container: an xz or zstd stream in trailing data with a container after
# it was tried with libarchive's filter, which takes what follows a stream for more of it and fails: `cat a.tar
# c.tar.xz b.tar.gz` took the xz for no container and c's key, compressed, was lost (exit 1 for b's as if complete);
# behind a note too. Written by the real tar, xz, zstd and pzstd; files and standard input.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
printf 'x=1\n' > a.txt && tar cf a.tar a.txt
mkdir c b s
{ printf 'key KSTEST_INSIDECTARXZ0001\n'; seq 1 3000; } > c/conf
printf 'one\ntwo\nkey KSTEST_SECONDARCHIVE001\n' > b/creds
tar cf - c | xz -c > c.tar.xz
tar cf - c | zstd -q -c > c.tar.zst
tar cf - c > c.tar && pzstd -q -p 1 c.tar -o c.tar.pz
tar cf - b | gzip -n -c > b.tar.gz
printf 'a note KSTEST_NOTEBETWEENTHEM1\n' > note
t=$(stat -c %s a.tar); nl=$(stat -c %s note)
check() { # $1: what; $2...: the findings expected, each "object|secret|line"
  python3 - "$T/out" "$@" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = sorted((x["object"], x["secret"], x["line"]) for x in map(json.loads, open(sys.argv[1])))
want = sorted(tuple(w.split("|")[:2]) + (int(w.split("|")[2]),) for w in sys.argv[3:])
assert got == want, (got, want)
PY
}
for k in xz zst pz; do
  m=$(stat -c %s c.tar.$k)
  cat a.tar c.tar.$k b.tar.gz > t_$k.bin
  for src in file stdin; do
    if [ $src = file ]; then ks scan "${R[@]}" t_$k.bin; else ks_from t_$k.bin scan "${R[@]}" -; fi
    expect_rc 1 "t_$k.bin ($src)"
    check "t_$k.bin ($src)" "[trailing@$t]!c/conf|KSTEST_INSIDECTARXZ0001|1" \
      "[trailing@$t]![trailing@$m]!b/creds|KSTEST_SECONDARCHIVE001|3"
  done
  cat a.tar note c.tar.$k b.tar.gz > n_$k.bin
  ks scan "${R[@]}" n_$k.bin; expect_rc 1 n_$k.bin
  check n_$k.bin "[trailing@$t]|KSTEST_NOTEBETWEENTHEM1|1" "[trailing@$((t + nl))]!c/conf|KSTEST_INSIDECTARXZ0001|1" \
    "[trailing@$((t + nl))]![trailing@$m]!b/creds|KSTEST_SECONDARCHIVE001|3"
done
echo PASS
