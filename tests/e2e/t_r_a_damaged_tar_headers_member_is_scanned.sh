#!/usr/bin/env bash
# t_r_a_damaged_tar_headers_member_is_scanned: a tar header whose checksum is wrong is passed over to the next
# header, as tar does, and that was said ("damaged, not scanned"): the member it led, whose data no header leads
# any more, was never scanned, and its key was lost. The blocks passed over are now scanned as the member
# "[damaged@N]" (N where the damaged header is), with exact lines, in a .tar and a .tar.gz, from a file and through
# standard input; the damage is still said, as a warning.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, os, sys
sys.path.insert(0, os.path.join(os.environ["KS_SOURCE_DIR"], "tests", "e2e"))
from archives import tar
t = bytearray(tar([("a.txt", b"first KSTEST_DAMAGEDFIRST0001\n"),
                   ("b/creds", b"one\ntwo\nkey KSTEST_DAMAGEDHEADER001\n"),   # line 3, column 5
                   ("c.txt", b"KSTEST_DAMAGEDTHIRD0001\n")]))
t[1024 + 148] ^= 1  # b/creds's header checksum
open("dmg.tar", "wb").write(t)
open("dmg.tar.gz", "wb").write(gzip.compress(bytes(t), mtime=0))
PY
for f in dmg.tar dmg.tar.gz; do
  for how in file stdin; do
    if [ $how = file ]; then ks scan "${R[@]}" "$f"; else ks_from "$f" scan "${R[@]}" -; fi
    expect_rc 1 "$f ($how)"
    grep -q "damaged: Damaged tar archive: 1024 bytes passed over to the next header, scanned as bytes" "$T/err" ||
      fail "$f ($how): the damage is said"
    python3 - "$T/out" <<'PY' || fail "$f ($how)"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
got = [(x["object"], x["secret"], x["line"], x["column"]) for x in f]
assert got == [("a.txt", "KSTEST_DAMAGEDFIRST0001", 1, 7), ("[damaged@1024]", "KSTEST_DAMAGEDHEADER001", 3, 5),
               ("c.txt", "KSTEST_DAMAGEDTHIRD0001", 1, 1)], got
PY
  done
done
echo PASS
