#!/usr/bin/env bash
# t_r_a_container_after_a_damaged_one_in_trailing_data: trailing data that began with a container's magic was taken
# for that container whole; when it did not open (a tar header whose checksum is wrong, a gzip header with no deflate
# data after it), its bytes were scanned as they are and nothing after them was looked for: `cat a.tar damaged.tar
# b.tar.gz` lost b's key, exit 1 for a's as if complete. The damaged bytes are now a member of their own and the
# container after them is opened, from a file, from standard input, and inside a .tar.gz.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, json, os, sys
sys.path.insert(0, os.path.join(os.environ["KS_SOURCE_DIR"], "tests", "e2e"))
from archives import tar
first = tar([("a/.env", b"x=1\nk=KSTEST_FIRSTARCHIVE0001\n")])
bad = bytearray(tar([("d/x", b"one\nkey KSTEST_INDAMAGEDTAR0001\n")])[:1024])
bad[148:156] = b"0000000\0"  # its checksum, wrong
broken_gz = b"\x1f\x8b\x08\x00garbage KSTEST_INBROKENGZIP0001\n"
second = gzip.compress(tar([("b/creds", b"one\ntwo\nkey KSTEST_SECONDARCHIVE001\n")]), mtime=0)
want = {}
for name, mid, secret, line in (("tar-damaged-targz.tar", bytes(bad), "KSTEST_INDAMAGEDTAR0001", 2),
                                ("tar-brokengz-targz.tar", broken_gz, "KSTEST_INBROKENGZIP0001", 1)):
    open(name, "wb").write(first + mid + second)
    want[name] = [["a/.env", "KSTEST_FIRSTARCHIVE0001", 2], ["[trailing@%d]" % len(first), secret, line],
                  ["[trailing@%d]!b/creds" % (len(first) + len(mid)), "KSTEST_SECONDARCHIVE001", 3]]
open("outer.tar.gz", "wb").write(gzip.compress(tar([("in.tar", first + bytes(bad) + second)]), mtime=0))
json.dump(want, open("want.json", "w"))
PY
check() { # $1: what; $2: the file's key in want.json; $3: what the object chain starts with
  python3 - "$T/out" "$T/want.json" "$2" "$3" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = sorted((x["object"], x["secret"], x["line"]) for x in map(json.loads, open(sys.argv[1])))
want = sorted((sys.argv[4] + o, s, l) for o, s, l in json.load(open(sys.argv[2]))[sys.argv[3]])
assert got == want, (got, want)
PY
}
for f in tar-damaged-targz.tar tar-brokengz-targz.tar; do
  ks scan "${R[@]}" $f; expect_rc 1 $f
  check $f $f ""
  ks_from $f scan "${R[@]}" -; expect_rc 1 "$f (stdin)"
  check "$f (stdin)" $f ""
done
ks scan "${R[@]}" outer.tar.gz; expect_rc 1 outer.tar.gz
check outer.tar.gz tar-damaged-targz.tar "in.tar!"
echo PASS
