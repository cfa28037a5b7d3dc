#!/usr/bin/env bash
# t_r_stream_after_a_shell_script: a makeself installer (a shell script, then a .tar.gz, .tar.bz2, .tar.xz,
# .tar.zst or a plain tar after one of its lines) was scanned as raw bytes, so a key in its payload was never found
# and the scan exited 0. The stream is now found at the line where it begins: the script is scanned as the file's
# own bytes (lines from its first), the payload's members as members, at every -j, whether the file is one chunk
# or many, and inside an archive. A line that only begins like a stream leaves the file scanned as bytes.
# Piped in (standard input), the same: the script is the stream's own bytes, its findings first.
# Review of the pipe: --max-file-size did not count the script (read past it, and past it without a bound when the
# line only looked like gzip); a line like a gzip header with a name lost the rest of a big stream (the name was
# looked for to its end, more than a replay keeps); trailing data was named from the payload, not the stream.
# Review: with --chunk-size under 1 MiB an installer bigger than a chunk was not opened; a match that began before
# such a line and ran past it was lost (the script was scanned cut at the line, the rest only from the line on).
. "$(dirname "$0")/lib.sh"
write_test_rules
cat >>rules.yml <<'YML'
  - id: e2e.block
    name: a block over three lines
    pattern: 'KSBLOCK\n(?P<secret>[^\n]{4,40})\nKSEND'
YML
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import bz2, gzip, io, lzma, random, subprocess, tarfile
# as makeself writes it: the script's line count is where the payload begins (tail -n +N "$0")
script = (b'#!/bin/sh\n# This script was generated using Makeself\nlabel="installer"\n'
          b'export DEPLOY_TOKEN=KSTEST_INSTALLSCRIPT001\n'                       # line 4, column 21
          b'offset=`head -n 6 "$0" | wc -c | tr -d " "`\ntail -c +$((offset+1)) "$0" | tar xzf - ; exit 0\n')
env = b"# deploy\nAPI_KEY=KSTEST_INSIDEPAYLOAD002\n"                           # line 2, column 9
rng = random.Random(7)
def payload(big):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in [("./setup/.env", env)] + ([("./blob.bin", rng.randbytes(5 << 20))] if big else []):
            i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
zstd = lambda d: subprocess.run(["zstd", "-q", "-c"], input=d, stdout=subprocess.PIPE, check=True).stdout
packs = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress, "zst": zstd, "tar": lambda d: d}
for kind, pack in packs.items():
    for big in (0, 1):  # bigger than a chunk (1 MiB), and than 4 MiB (decompressed on a thread of its own)
        open("inst-%s%s.run" % (kind, "-big" if big else ""), "wb").write(script + pack(payload(big)))
# the installer in a tar (a backup of /opt): found inside the member, the script being the member's own bytes
with tarfile.open("backup.tar", "w") as t:
    data = open("inst-gz.run", "rb").read()
    i = tarfile.TarInfo("opt/inst.run"); i.size = len(data); t.addfile(i, io.BytesIO(data))
# a script whose line begins like a bzip2 stream but is text: bytes as they are, its key at its own line
open("notastream.sh", "wb").write(b"#!/bin/sh\ncat <<EOF\nBZh91AY&SY is how bzip2 starts\nEOF\n"
                                  b"TOKEN=KSTEST_NOTASTREAMATALL1\n")                 # line 5, column 7
# a block whose middle line begins like a bzip2 stream (its first block's magic too): the file is bytes, the block
# found once, whole
open("block.sh", "wb").write(b"#!/bin/sh\ncat <<EOF\nKSBLOCK\nBZh91AY&SY fake\nKSEND\nEOF\n")
# a long script before a 300 KB payload, for --max-file-size; a line like a gzip header with a name, then 3.8 MB of
# text and a key at its end; a payload with text after it
pad = b"".join(b"# comment line %06d of the installer's script, padding it out\n" % i for i in range(3500))
open("long.run", "wb").write(script + pad + gzip.compress(payload(0) + rng.randbytes(300000)))
text = b"".join(b"line %07d of plain text after a line that began like gzip\n" % i for i in range(60000))
open("fakegz.run", "wb").write(script + pad + b"\x1f\x8b\x08\x08\0\0\0\0\0\x03" + text + b"KEY=KSTEST_AFTERFAKEGZIP001\n")
open("trail.run", "wb").write(script + gzip.compress(payload(0)) + b"\nTRAIL=KSTEST_TRAILINGTEXT0001\n")
# a gzip stream after a line, in a file that is no script: no lead is looked for
open("notascript.txt", "wb").write(b"plain text\n" + gzip.compress(env))
PY

# installer_found WHAT: $T/out holds the script's key (the file's own, line 4) and then the payload's (a member)
installer_found() {
  python3 - "$T/out" <<'PY' || fail "$1: findings"
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
assert [x["secret"] for x in f] == ["KSTEST_INSTALLSCRIPT001", "KSTEST_INSIDEPAYLOAD002"], f
script, member = f
assert "object" not in script and (script["line"], script["column"], script["start"]) == (4, 21, 91), script
assert member["object"] == "./setup/.env" and (member["line"], member["column"]) == (2, 9), member
PY
}

for kind in gz bz2 xz zst tar; do
  for big in "" -big; do
    f=inst-$kind$big.run
    for j in 1 3 "2 --chunk-size 64K"; do
      # shellcheck disable=SC2086
      ks scan "${R[@]}" -j $j "$f"; expect_rc 1 "$f -j$j"
      installer_found "$f -j$j"
    done
    grep -qE "[12] archives? opened" "$T/err" || fail "$f: no archive opened"
  done
done
for f in inst-gz.run inst-xz-big.run inst-tar.run; do
  for j in 1 2; do
    ks_from "$f" scan "${R[@]}" -j "$j" -; expect_rc 1 "$f piped, -j$j"
    installer_found "$f piped -j$j"
  done
  expect_err "1 file scanned, "
  grep -qE "archives? opened" "$T/err" || fail "$f piped: no archive opened"
done
ks_from long.run scan "${R[@]}" --max-file-size 300K -; expect_rc 1 "long.run piped, cut at 300 KiB"
expect_err "1 file scanned, 300.0 KiB"
expect_err "truncated"
ks_from fakegz.run scan "${R[@]}" -; expect_rc 1 "fakegz.run piped"
expect_out '"secret":"KSTEST_AFTERFAKEGZIP001"'
expect_out '"line":63507,"column":5'
ks_from fakegz.run scan "${R[@]}" --max-file-size 100K -; expect_rc 1 "fakegz.run piped, cut at 100 KiB"
expect_err "1 file scanned (1 truncated), 100.0 KiB"
[ "$(lines "$T/out")" = 1 ] || fail "fakegz.run cut at 100 KiB: $(lines "$T/out") findings, expected the script's"
ks scan "${R[@]}" trail.run; expect_rc 1 "trail.run"
expect_out '"object":"[trailing@'
grep -o '"object":"[^"]*"' "$T/out" >trail.file
ks_from trail.run scan "${R[@]}" -; expect_rc 1 "trail.run piped"
grep -o '"object":"[^"]*"' "$T/out" | cmp -s - trail.file || fail "trail.run: the pipe names its members otherwise"
ks scan "${R[@]}" backup.tar; expect_rc 1 "the installer in a tar"
python3 - "$T/out" <<'PY' || fail "backup.tar: findings"
import json, sys
f = {x["secret"]: x for x in map(json.loads, open(sys.argv[1]))}
assert set(f) == {"KSTEST_INSTALLSCRIPT001", "KSTEST_INSIDEPAYLOAD002"}, f
s, m = f["KSTEST_INSTALLSCRIPT001"], f["KSTEST_INSIDEPAYLOAD002"]
assert s["object"] == "opt/inst.run" and (s["line"], s["column"], s["start"]) == (4, 21, 91), s
assert m["object"] == "opt/inst.run!./setup/.env" and (m["line"], m["column"]) == (2, 9), m
PY
ks scan "${R[@]}" notastream.sh; expect_rc 1 "a line that only looks like bzip2"
[ "$(lines "$T/out")" = 1 ] || fail "notastream.sh: $(lines "$T/out") findings, expected 1"
expect_out '"start":61,"end":84,"line":5,"column":7'
expect_out '"secret":"KSTEST_NOTASTREAMATALL1"'
expect_out '"line":5,"column":7'
for how in file pipe; do
  if [ $how = file ]; then ks scan "${R[@]}" block.sh; else ks_from block.sh scan "${R[@]}" -; fi
  expect_rc 1 "a block across a line that only looks like bzip2 ($how)"
  [ "$(lines "$T/out")" = 1 ] || fail "block.sh ($how): $(lines "$T/out") findings, expected 1"
  expect_out '"rule_id":"e2e.block"'
  expect_out '"line":3,"column":1'
done
ks_from notastream.sh scan "${R[@]}" -; expect_rc 1 "a line that only looks like bzip2, piped"
expect_out '"start":61,"end":84,"line":5,"column":7'
ks scan "${R[@]}" notascript.txt; expect_rc 0 "no script, no lead looked for: compressed bytes"
ks scan "${R[@]}" --archive-depth 0 inst-gz.run; expect_rc 1 "containers off: the installer is bytes"
[ "$(lines "$T/out")" = 1 ] || fail "--archive-depth 0: $(lines "$T/out") findings, expected the script's"
echo PASS
