#!/usr/bin/env bash
# t_r_a_damaged_header_after_a_long_name: a tar header with a wrong checksum right after a GNU long-name or pax
# extended header made libarchive fail the whole tar ("Damaged tar archive", fatal), where a damaged header elsewhere
# is passed over: every member after it was lost, with exit 1 and a warning. The tar is now read on from that header:
# the blocks up to the next header are scanned as "[damaged@N]", the members after it as members, and what follows
# the tar's end as trailing data. A file, standard input, a .tar.gz, a tar in a tar and in a zip, and the library.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import gzip, io, tarfile, zipfile
def add(t, name, data):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
def header_at(d, name):  # the member's own header (after any long-name or pax header)
    for i in range(0, len(d), 512):
        h = d[i:i + 512]
        if h[257:262] == b"ustar" and h[:100].rstrip(b"\0") == name[:100] and h[156:157] in (b"0", b"\0"):
            return i
    raise KeyError(name)
for fmt, out in ((tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        add(t, "a.txt", b"token = KSTEST_RESUMEA000000001\n")
        add(t, "d1.txt", b"token = KSTEST_RESUMED000000001\n")         # damaged: passed over by libarchive
        add(t, "L" * 150, b"x\ntoken = KSTEST_RESUMEL000000001\n")     # damaged after its long name: fatal
        add(t, "b.txt", b"token = KSTEST_RESUMEB000000001\n")
        add(t, "M" * 120, b"token = KSTEST_RESUMEM000000001\n")        # again, in the tar read on
        add(t, "d2.txt", b"token = KSTEST_RESUMED000000002\n")         # and its next header too
        add(t, "c.txt", b"token = KSTEST_RESUMEC000000001\n")
        add(t, "e.txt", b"token = KSTEST_RESUMEE000000001\n")          # passed over by the handle that reads on
        add(t, "f.txt", b"token = KSTEST_RESUMEF000000001\n")
    d = bytearray(b.getvalue())
    for n in (b"d1.txt", b"L" * 150, b"M" * 120, b"d2.txt", b"e.txt"):
        d[header_at(d, n) + 148] ^= 1
    assert [header_at(d, n) for n in (b"L" * 150, b"M" * 120, b"e.txt")] == [3072, 6144, 9216]
    d += b"note KSTEST_RESUMETRAILING01\n"
    open(out + ".tar", "wb").write(d)
    open(out + ".tar.gz", "wb").write(gzip.compress(bytes(d), mtime=0))
    o = io.BytesIO()
    with tarfile.open(fileobj=o, mode="w") as t:
        add(t, "inner.tar", bytes(d))
        add(t, "z.txt", b"token = KSTEST_RESUMEZ000000001\n")
    open(out + "-in.tar", "wb").write(o.getvalue())
    with zipfile.ZipFile(out + "-in.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("inner.tar", bytes(d))
        z.writestr("z.txt", b"token = KSTEST_RESUMEZ000000001\n")
PY
check() { # $1: what; $2: the chain before the tar's members; $3: 1 when z.txt follows; $4: before [trailing@N]
  python3 - "$T/out" "$2" "$3" "${4-$2}" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
pre = sys.argv[2]
got = [(x["object"], x["secret"], x["line"], x["column"]) for x in map(json.loads, open(sys.argv[1]))]
want = [(pre + "a.txt", "KSTEST_RESUMEA000000001", 1, 9), (pre + "[damaged@1024]", "KSTEST_RESUMED000000001", 1, 521),
        (pre + "[damaged@3072]", "KSTEST_RESUMEL000000001", 2, 9), (pre + "b.txt", "KSTEST_RESUMEB000000001", 1, 9),
        (pre + "[damaged@6144]", "KSTEST_RESUMEM000000001", 1, 521),
        (pre + "[damaged@6144]", "KSTEST_RESUMED000000002", 2, 1001), (pre + "c.txt", "KSTEST_RESUMEC000000001", 1, 9),
        (pre + "[damaged@9216]", "KSTEST_RESUMEE000000001", 1, 521), (pre + "f.txt", "KSTEST_RESUMEF000000001", 1, 9),
        (sys.argv[4] + "[trailing@20480]", "KSTEST_RESUMETRAILING01", 1, 6)]
if sys.argv[3] == "1":
    want.append(("z.txt", "KSTEST_RESUMEZ000000001", 1, 9))
assert sorted(got) == sorted(want) and len(got) == len(want), got
PY
}
for f in gnu pax; do
  ks scan "${R[@]}" $f.tar; expect_rc 1 "$f.tar"; check "$f.tar" "" 0
  [ "$(grep -c 'damaged: Damaged tar archive' "$T/err")" -eq 4 ] || fail "$f.tar: each run of damaged blocks is said"
  ! grep -q "$f.tar: stopped" "$T/err" || fail "$f.tar: nothing was stopped"
  ks_from $f.tar scan "${R[@]}" -; expect_rc 1 "$f.tar (stdin)"; check "$f.tar (stdin)" "" 0
  # what follows the tar inside the gzip is named inside the gzip's member, as it is after a tar read to its end
  ks scan "${R[@]}" $f.tar.gz; expect_rc 1 "$f.tar.gz"; check "$f.tar.gz" "" 0 "$f.tar!"
  ks_from $f.tar.gz scan "${R[@]}" -; expect_rc 1 "$f.tar.gz (stdin)"; check "$f.tar.gz (stdin)" "" 0 "data!"
  ks scan "${R[@]}" -j3 $f-in.tar; expect_rc 1 "$f-in.tar"; check "$f-in.tar" "inner.tar!" 1
  ks scan "${R[@]}" $f-in.zip; expect_rc 1 "$f-in.zip"; check "$f-in.zip" "inner.tar!" 1
  if [ -x "${KS_LIBSCAN:-}" ]; then
    set +e; "$KS_LIBSCAN" --rules rules.yml $f.tar >"$T/out" 2>"$T/err"; rc=$?; set -e
    # every finding, and then KS_ECORRUPT from ks_container_stream_close (the tar is damaged: said), which is 2 here
    expect_rc 2 "the library's container stream"; check "$f.tar (library)" "" 0
    grep -q "damaged: Damaged tar archive: 1024 bytes passed over" "$T/err" || fail "$f.tar (library): said"
  fi
done
echo PASS
