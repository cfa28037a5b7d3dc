#!/usr/bin/env bash
# t_r_a_piped_7z: a 7z piped in (`cat x.7z | keysweep scan -`) lost every member: libarchive's 7z reader seeks to
# the index at the archive's end, which a pipe cannot, and that was said as a corrupt member, a warning, exit 0. It
# is now held in memory whole (up to 64 MiB) and opened there as the file is, what follows it included; a bigger
# one is scanned as its bytes, said, and the scan is incomplete (exit 2).
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
write_sample_7z k.7z
{ cat k.7z; printf 'a note KSTEST_NOTEAFTERTHE7Z01\n'; } > kn.7z
ks scan "${R[@]}" kn.7z; expect_rc 1 "the file"
cp "$T/out" file.jsonl
ks_from kn.7z scan "${R[@]}" -; expect_rc 1 "piped"
python3 - file.jsonl "$T/out" <<'PY' || fail "piped 7z"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
p = [json.loads(l) for l in open(sys.argv[2])]
key = lambda x: (x["object"], x["secret"], x["line"], x["column"])
assert sorted(map(key, f)) == [("[trailing@158]", "KSTEST_NOTEAFTERTHE7Z01", 1, 8), ("deep/creds.txt", "KSTEST_SEVENZIPPIPED001", 3, 5)], f
assert sorted(map(key, p)) == sorted(map(key, f)), (p, f)
PY
! grep -q "corrupt" "$T/err" || fail "a piped 7z is no corrupt archive"
# past the limit: its magic, 64 MiB of zeros, a key: scanned as bytes (the key found), said, incomplete
{ printf '7z\274\257\047\034'; head -c $((64 << 20)) /dev/zero; printf '\nKSTEST_PASTTHE7ZSPOOL01\n'; } > big.7z
ks_from big.7z scan "${R[@]}" -; expect_rc 2 "a 7z past the limit is not opened"
expect_out '"secret":"KSTEST_PASTTHE7ZSPOOL01"'
expect_err "needs random access"
echo PASS
