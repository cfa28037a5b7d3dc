#!/usr/bin/env bash
# t_r_a_container_after_a_note_in_trailing_data: what followed an archive's end was opened only when a container
# began it. `cat a.tar note b.tar.gz` lost b's keys, compressed, from a file and from standard input alike, and so
# did `cat a.zip note b.zip` through a pipe (a file reads b by its end record), each with exit 1 as if complete.
# Trailing data is now looked through, its first MiB, for a container that more than its magic confirms: the bytes
# before it are a member of their own ("[trailing@N]"), the container another ("[trailing@M]!..."), as a file's
# zip after a zip is named. Text that only looks like a header ("PK" in a note, "BZh9" at a line's start) and
# binary bytes with no container stay one member, scanned as they are; --archive-depth 1 opens nothing there.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, json, lzma, os, sys
sys.path.insert(0, os.path.join(os.environ["KS_SOURCE_DIR"], "tests", "e2e"))
from archives import tar, zipped
first = tar([("a/.env", b"x=1\nk=KSTEST_FIRSTARCHIVE0001\n")])
zfirst = zipped([("a/.env", b"x=1\nk=KSTEST_FIRSTARCHIVE0001\n")])
second = [("b/creds", b"one\ntwo\nkey KSTEST_SECONDARCHIVE001\n")]
note = b"a note: KSTEST_NOTEBETWEENTHEM1 and PK\x03\x04 as text, then\nBZh91 at a line's start\n"
want = {}
def case(name, head, tail):
    open(name, "wb").write(head + note + tail)
    want[name] = {"note": "[trailing@%d]" % len(head), "second": "[trailing@%d]!b/creds" % (len(head) + len(note))}
case("tar-note-targz.tar", first, gzip.compress(tar(second), mtime=0))
case("tar-note-zip.tar", first, zipped(second))
case("zip-note-zip.zip", zfirst, zipped(second))
case("tar-note-txz.tar", first, lzma.compress(tar(second)))
json.dump(want, open("want.json", "w"))
# no container after the note: binary bytes and the note's text stay one member
junk = bytes((i * 131 + 7) % 251 for i in range(70000)).replace(b"\x1f\x8b", b"\x1f\x8c")
open("tar-junk.tar", "wb").write(first + note + junk + b"\nlast KSTEST_AFTERTHEJUNK0001\n")
# (review) a zip whose first member is encrypted (its flag set, as a writer with a passphrase leaves it): the try
# that confirms a candidate took it for no zip, and its other members' keys were scanned compressed, or lost
import io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr(zipfile.ZipInfo("enc.bin"), b"x" * 40, compress_type=zipfile.ZIP_STORED)
    z.writestr("k.txt", b"x=1\nkey KSTEST_AFTERENCRYPTED01\n", compress_type=zipfile.ZIP_DEFLATED)
zb = bytearray(b.getvalue())
zb[6] |= 1
cd = zb.find(b"PK\x01\x02")
zb[cd + 8] |= 1
open("tar-note-enczip.tar", "wb").write(first + b"a note\n" + bytes(zb))
open("enc.want", "w").write("[trailing@%d]!k.txt" % (len(first) + 7))
PY
for f in tar-note-targz.tar tar-note-zip.tar zip-note-zip.zip tar-note-txz.tar; do
  for how in file stdin; do
    if [ $how = file ]; then ks scan "${R[@]}" "$f"; else ks_from "$f" scan "${R[@]}" -; fi
    expect_rc 1 "$f ($how)"
    python3 - "$T/out" "$f" <<'PY' || fail "$f ($how)"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
want = json.load(open("want.json"))[sys.argv[2]]
by = {x["secret"]: x for x in f}
assert len(f) == 3 and len(by) == 3, f
assert by["KSTEST_FIRSTARCHIVE0001"]["object"] == "a/.env", f
note, second = by["KSTEST_NOTEBETWEENTHEM1"], by["KSTEST_SECONDARCHIVE001"]
assert (note["object"], note["line"], note["column"]) == (want["note"], 1, 9), note
assert (second["object"], second["line"], second["column"]) == (want["second"], 3, 5), (second, want)
PY
  done
done
ks scan "${R[@]}" --archive-depth 1 tar-note-targz.tar; expect_rc 1 "depth 1"
expect_out '"object":"[trailing@10240]"'
! grep -q KSTEST_SECONDARCHIVE001 "$T/out" || fail "depth 1: the compressed key cannot be found"
for how in file stdin; do
  if [ $how = file ]; then ks scan "${R[@]}" tar-junk.tar; else ks_from tar-junk.tar scan "${R[@]}" -; fi
  expect_rc 1 "junk ($how)"
  python3 - "$T/out" <<'PY' || fail "junk ($how)"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(x["secret"] for x in f) == ["KSTEST_AFTERTHEJUNK0001", "KSTEST_FIRSTARCHIVE0001", "KSTEST_NOTEBETWEENTHEM1"], f
assert all(x["object"] == "[trailing@10240]" for x in f if x["secret"] != "KSTEST_FIRSTARCHIVE0001"), f
PY
done
for how in file stdin; do
  if [ $how = file ]; then ks scan "${R[@]}" tar-note-enczip.tar; else ks_from tar-note-enczip.tar scan "${R[@]}" -; fi
  expect_rc 1 "a zip whose first member is encrypted ($how)"
  expect_out "\"object\":\"$(cat enc.want)\""
  expect_out '"secret":"KSTEST_AFTERENCRYPTED01"'
  expect_err "enc.bin: encrypted: not scanned"
done
echo PASS
