#!/usr/bin/env bash
# t_zip_stripes.sh: a big zip's members decompressed on several threads at once (io/zip_stripes.c) give exactly the
# findings, objects, lines and order of one thread reading it, whatever is inside: members crossing blocks, empty and
# stored members, directories, an encrypted member, a zip inside the zip, and a member whose bytes are damaged.
source "$(dirname "$0")/lib.sh"
write_test_rules

python3 - "$T" <<'PY'
import io, os, random, sys, zipfile, zlib
t = sys.argv[1]
rng = random.Random(7)
def token():
    return "KSTEST_" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16))
def text(n_lines, every):
    out = []
    for i in range(n_lines):
        out.append(("key%d = %s" % (i, token())) if i % every == 0 else
                   "".join(rng.choice("abcdefghij klmnop") for _ in range(rng.randint(20, 90))))
    return ("\n".join(out) + "\n").encode()
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(5):
        z.writestr("inner/%d.txt" % i, text(300, 17))
members = []
with zipfile.ZipFile(os.path.join(t, "big.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("dir/"), b"")
    for i in range(60):  # small members, a few findings each
        z.writestr("small/%02d.env" % i, text(rng.randint(1, 200), 13))
    for i in range(4):  # members much longer than a 256 KiB block
        z.writestr("big/%d.log" % i, text(40000, 997))
    z.writestr("empty.txt", b"")
    z.writestr(zipfile.ZipInfo("stored.txt"), text(3000, 101))  # ZipInfo defaults to stored
    z.writestr("nested.zip", inner.getvalue())
    z.writestr("random.bin", bytes(rng.getrandbits(8) for _ in range(3 << 20)), compress_type=zipfile.ZIP_STORED)
    z.writestr("last.txt", text(50, 7))
size = os.path.getsize(os.path.join(t, "big.zip"))
assert size > 5 << 20, size  # bigger than what one worker reads whole (4 MiB)
# the same zip with one member's deflated bytes damaged: the scan stops there, saying so, either way
data = bytearray(open(os.path.join(t, "big.zip"), "rb").read())
zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
info = zf.getinfo("big/2.log")
start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
for k in range(start + 1000, start + 1400):
    data[k] ^= 0x5a
open(os.path.join(t, "damaged.zip"), "wb").write(bytes(data))
PY

for f in big damaged; do
  for j in 1 2 4; do
    # as many lanes as workers, whatever the CPUs (the default gives lanes only to CPUs beyond the first)
    ks scan --rules "$T/rules.yml" --format jsonl -j "$j" --archive-threads "$j" "$T/$f.zip"
    cp "$T/out" "$T/$f-j$j.jsonl"
    cp "$T/err" "$T/$f-j$j.err"
    echo "$rc" >"$T/$f-j$j.rc"
  done
done

[ "$(cat "$T/big-j1.rc")" = 1 ] || fail "big.zip: exit $(cat "$T/big-j1.rc")"
n=$(lines "$T/big-j1.jsonl")
[ "$n" -gt 500 ] || fail "big.zip: only $n findings"
grep -q '"object":"nested.zip!inner/4.txt"' "$T/big-j1.jsonl" || fail "no finding inside the nested zip"
grep -q '"object":"big/3.log"' "$T/big-j1.jsonl" || fail "no finding in a member crossing blocks"
grep -q '"object":"stored.txt"' "$T/big-j1.jsonl" || fail "no finding in the stored member"
for j in 2 4; do
  cmp -s "$T/big-j1.jsonl" "$T/big-j$j.jsonl" || { diff "$T/big-j1.jsonl" "$T/big-j$j.jsonl" | head -5 >&2; fail "big.zip: -j$j differs from -j1"; }
  [ "$(cat "$T/big-j$j.rc")" = 1 ] || fail "big.zip -j$j: exit $(cat "$T/big-j$j.rc")"
done

# damaged: the member named, the findings before it kept, the same at every -j; a corrupt container is what
# the data is, a warning, not an incomplete scan (cli/scan_cmd.c): exit 1 for the findings
for j in 1 2 4; do
  [ "$(cat "$T/damaged-j$j.rc")" = 1 ] || fail "damaged.zip -j$j: exit $(cat "$T/damaged-j$j.rc")"
  grep -q 'big/2.log' "$T/damaged-j$j.err" || { cat "$T/damaged-j$j.err" >&2; fail "damaged.zip -j$j: the member is not named"; }
done
d=$(lines "$T/damaged-j1.jsonl")
[ "$d" -gt 100 ] && [ "$d" -lt "$n" ] || fail "damaged.zip: $d findings of $n"
for j in 2 4; do
  cmp -s "$T/damaged-j1.jsonl" "$T/damaged-j$j.jsonl" || fail "damaged.zip: -j$j differs from -j1"
done
echo "ok: $n findings in big.zip alike at -j1, -j2, -j4; damaged.zip stops at its member with $d"
