#!/usr/bin/env bash
# t_hostile_archives (issue 14): archives built to hurt the tools that extract them are read, never followed: absolute
# and ../ member names are only names (nothing is written anywhere: members are scanned in memory), symlink, hard
# link, device and FIFO members are skipped cleanly, zip entries that overlap one another (the non-recursive zip
# bomb's trick) are each scanned once within the budgets, and a zip whose central directory lies about sizes ends
# with a clear diagnostic; never a crash, a hang or a write.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import io, os, struct, tarfile, zipfile, zlib
TOK = b"KSTEST_HOSTILEAAAAAAA01"
body = b"x=1\ntoken=" + TOK + b"\n"
os.makedirs("h", exist_ok=True)
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w") as t:
    def add(name, data=None, **kw):
        i = tarfile.TarInfo(name)
        for k, v in kw.items(): setattr(i, k, v)
        if data is not None:
            i.size = len(data); t.addfile(i, io.BytesIO(data))
        else:
            t.addfile(i)
    add("/etc/cron.d/evil", body)                      # absolute
    add("../../../../tmp/ks-hostile-escape", body)      # climbs out
    add("link", type=tarfile.SYMTYPE, linkname="/etc/shadow")
    add("hard", type=tarfile.LNKTYPE, linkname="/etc/passwd")
    add("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    add("fifo", type=tarfile.FIFOTYPE)
    add("ok/inside.txt", body)
open("h/names.tar", "wb").write(b.getvalue())
z = io.BytesIO()
with zipfile.ZipFile(z, "w") as zf:
    zf.writestr("../../evil.txt", body)
    zf.writestr("/abs/evil.txt", body)
open("h/names.zip", "wb").write(z.getvalue())
# Overlapping entries: one local file (deflated) that three central-directory entries point at.
data = zlib.compress(body, 9)[2:-4]
crc = zlib.crc32(body)
local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0, crc, len(data), len(body), 5, 0) + b"a.txt" + data
cd = b""
for name in (b"a.txt", b"b.txt", b"c.txt"):
    cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(data), len(body), len(name),
                      0, 0, 0, 0, 0, 0) + name
end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 3, 3, len(cd), len(local), 0)
open("h/overlap.zip", "wb").write(local + cd + end)
# A central directory that claims a huge uncompressed size for a small member.
liar = bytearray(local + cd[:46 + 5] + struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, 46 + 5, len(local), 0))
struct.pack_into("<I", liar, len(local) + 24, 0xFFFFFFF0)  # uncompressed size in the central directory
open("h/liar.zip", "wb").write(bytes(liar))
PY
rm -f /tmp/ks-hostile-escape
ks scan "${R[@]}" h/names.tar h/names.zip; expect_rc 1 "hostile names"
python3 - "$T/out" <<'PY' || fail "hostile names: findings"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
got = sorted((r["path"].split("/")[-1], r["object"]) for r in rows)
want = sorted([("names.tar", "/etc/cron.d/evil"), ("names.tar", "../../../../tmp/ks-hostile-escape"),
               ("names.tar", "ok/inside.txt"), ("names.zip", "../../evil.txt"), ("names.zip", "/abs/evil.txt")])
assert got == want, got
PY
[ ! -e /tmp/ks-hostile-escape ] && [ ! -e /etc/cron.d/evil ] && [ ! -e "$T/evil.txt" ] && [ ! -e /abs ] ||
  fail "a member was written to disk"
# symlink, hard link, device and FIFO members: no finding, no error, no hang
grep -q '"object":"link"\|"object":"dev"\|"object":"fifo"\|"object":"hard"' "$T/out" && fail "special members scanned"
# overlapping entries: each entry once, three findings, no more
ks scan "${R[@]}" h/overlap.zip; expect_rc 1 "overlapping zip entries"
[ "$(lines "$T/out")" -le 3 ] && [ "$(lines "$T/out")" -ge 1 ] || fail "overlapping entries: $(lines "$T/out") findings"
# a lying central directory: named, no crash, status says what happened
ks scan "${R[@]}" h/liar.zip
[ "$rc" -le 2 ] || fail "liar.zip: status $rc"
echo PASS
