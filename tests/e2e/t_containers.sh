#!/usr/bin/env bash
# t_containers (issue 14): secrets inside compressed files and archives, nested, are found once each with the
# member's chain in "object" and the member's own line and column; the raw bytes of a container are not reported
# again; the options that turn containers off or narrow them do what they say.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import bz2, gzip, io, lzma, os, tarfile, zipfile
T1, T2, T3 = "KSTEST_AAAAAAAAAAAAAAA1", "KSTEST_BBBBBBBBBBBBBBB2", "KSTEST_CCCCCCCCCCCCCCC3"
env = ("x=1\n# config\nTOKEN=%s\n" % T1).encode()          # line 3, column 7
notes = ("first line\n  key: %s\n" % T2).encode()          # line 2, column 8
deep = (" %s near the start\n" % T3).encode()             # line 1, column 2
os.makedirs("c", exist_ok=True)
def tar_bytes(files, mode="w"):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode) as t:
        for name, data in files:
            i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
def zip_bytes(files, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in files:
            z.writestr(name, data)
    return b.getvalue()
w = lambda name, data: open("c/" + name, "wb").write(data)
w("env.gz", gzip.compress(env))
w("env.bz2", bz2.compress(env))
w("env.xz", lzma.compress(env))
w("release.tar.gz", gzip.compress(tar_bytes([("srv/.env", env), ("docs/notes.txt", notes)])))
w("release.tar", tar_bytes([("srv/.env", env)]))
w("bundle.zip", zip_bytes([("app/.env", env), ("notes.txt", notes)]))
w("stored.zip", zip_bytes([("app/.env", env)], zipfile.ZIP_STORED))
inner = zip_bytes([("deep/creds.txt", deep)], zipfile.ZIP_STORED)
w("outer.zip", zip_bytes([("inner.zip", inner)], zipfile.ZIP_STORED))
w("layers.tar.gz", gzip.compress(tar_bytes([("inner.tar", tar_bytes([("etc/notes.txt", notes)])),
                                             ("logs/app.log.gz", gzip.compress(deep))])))
# a gzip stream whose data start with a zero block (a disk image): not an empty tar
w("disk.img.gz", gzip.compress(b"\0" * 4096 + env))
# a library archive (ar), as .a and .deb are
ar = b"!<arch>\n" + b"%-16s%-12s%-6s%-6s%-8s%-10s`\n" % (b"notes.txt/", b"0", b"0", b"0", b"644", str(len(notes)).encode()) + notes
w("lib.a", ar + (b"\n" if len(notes) % 2 else b""))
# an office document is a zip of XML
w("report.docx", zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:t>" + deep + b"</w:t>")]))
PY
if command -v zstd >/dev/null; then python3 -c "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open('c/env.gz','rb').read()))" | zstd -q -o c/env.zst; fi

ks scan "${R[@]}" c; expect_rc 1 "containers"
project() { python3 -c '
import json, sys
for r in sorted(map(json.loads, open(sys.argv[1])), key=lambda r: (r["path"], r.get("object", ""), r["start"])):
    print(r["path"][2:], r.get("object", "-"), r["line"], r["column"], r["secret"])' "$1"; }
project "$T/out" > got
cat > want <<'EOF'
bundle.zip app/.env 3 7 KSTEST_AAAAAAAAAAAAAAA1
bundle.zip notes.txt 2 8 KSTEST_BBBBBBBBBBBBBBB2
disk.img.gz disk.img 3 7 KSTEST_AAAAAAAAAAAAAAA1
env.bz2 env 3 7 KSTEST_AAAAAAAAAAAAAAA1
env.gz env 3 7 KSTEST_AAAAAAAAAAAAAAA1
env.xz env 3 7 KSTEST_AAAAAAAAAAAAAAA1
layers.tar.gz inner.tar!etc/notes.txt 2 8 KSTEST_BBBBBBBBBBBBBBB2
layers.tar.gz logs/app.log.gz!app.log 1 2 KSTEST_CCCCCCCCCCCCCCC3
lib.a notes.txt 2 8 KSTEST_BBBBBBBBBBBBBBB2
outer.zip inner.zip!deep/creds.txt 1 2 KSTEST_CCCCCCCCCCCCCCC3
release.tar srv/.env 3 7 KSTEST_AAAAAAAAAAAAAAA1
release.tar.gz docs/notes.txt 2 8 KSTEST_BBBBBBBBBBBBBBB2
release.tar.gz srv/.env 3 7 KSTEST_AAAAAAAAAAAAAAA1
report.docx word/document.xml 1 7 KSTEST_CCCCCCCCCCCCCCC3
stored.zip app/.env 3 7 KSTEST_AAAAAAAAAAAAAAA1
EOF
[ -f c/env.zst ] && echo "env.zst env 3 7 KSTEST_AAAAAAAAAAAAAAA1" >> want
sort -o want want
sort -o got got
diff want got >"$T/diff" || { cp "$T/diff" "$T/out"; fail "findings in containers differ (< expected, > found)"; }
expect_err "archives opened"

# The text format names a member file!member:line:column; the fingerprint covers the chain.
ks scan --no-builtin-rules --rules rules.yml --format text --color never --no-progress c/outer.zip; expect_rc 1 "text"
expect_out "c/outer.zip!inner.zip!deep/creds.txt:1:2:"
ks scan "${R[@]}" c/stored.zip c/release.tar; expect_rc 1 "two chains"
fps=$(python3 -c 'import json,sys; print(len({json.loads(l)["fingerprint"] for l in open(sys.argv[1])}))' "$T/out")
[ "$fps" = 2 ] || fail "fingerprints do not tell members of different files apart"

# SARIF nests the member in its containers (artifacts with parentIndex, each URI relative to its parent);
# the Gitleaks and TruffleHog formats name it file!member as those tools do.
ks scan --no-builtin-rules --rules rules.yml --format sarif --no-progress c/outer.zip; expect_rc 1 "sarif"
python3 - "$T/out" <<'PY' || fail "SARIF artifacts of a nested member"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
arts, loc = run["artifacts"], run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
chain, i = [], loc["index"]
while i is not None:
    chain.append(arts[i]["location"]["uri"])
    i = arts[i].get("parentIndex")
assert loc["uri"] == "deep/creds.txt", loc
assert chain == ["deep/creds.txt", "inner.zip", "c/outer.zip"], chain
PY
ks scan --no-builtin-rules --rules rules.yml --format gitleaks --no-progress c/outer.zip; expect_rc 1 "gitleaks"
expect_out '"File": "c/outer.zip!inner.zip!deep/creds.txt"'
ks scan --no-builtin-rules --rules rules.yml --format trufflehog --no-progress c/outer.zip; expect_rc 1 "trufflehog"
expect_out '"file":"c/outer.zip!inner.zip!deep/creds.txt"'

# --archive-depth 1: the outer zip is opened, the zip inside it is scanned as bytes; 0: nothing is opened, and
# only what lies uncompressed in the files is found, at its offset in the file.
ks scan "${R[@]}" --archive-depth 1 c/outer.zip; expect_rc 1 "depth 1"
grep -q '"object":"inner.zip"' "$T/out" || fail "--archive-depth 1: the inner zip was not scanned as bytes"
ks scan "${R[@]}" --archive-depth 0 c/stored.zip c/env.gz; expect_rc 1 "depth 0"
[ "$(lines "$T/out")" = 1 ] && ! grep -q '"object"' "$T/out" || fail "--archive-depth 0 still opened a container"
ks scan "${R[@]}" --no-decompress c/env.gz c/release.tar.gz c/bundle.zip; expect_rc 1 "no-decompress"
grep -q '"path":"c/env.gz"' "$T/out" && fail "--no-decompress opened a .gz"
[ "$(grep -c '"path":"c/bundle.zip"' "$T/out")" = 2 ] || fail "--no-decompress should still open zip archives"
ks scan "${R[@]}" --max-archive-size 100 c/bundle.zip; expect_rc 0 "a container above --max-archive-size is bytes"

# A container cut short: what came before the cut is reported, and the file is named (a warning: every byte
# of it was read).
python3 - <<'PY'
import gzip, io, os, tarfile
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w") as t:
    for k in range(3):
        data = ("line\nTOKEN=KSTEST_DDDDDDDDDDDDDDD%d\n" % k).encode() + os.urandom(200000).hex().encode()
        i = tarfile.TarInfo("f%d.txt" % k); i.size = len(data); t.addfile(i, io.BytesIO(data))
z = gzip.compress(b.getvalue())
open("cut.tar.gz", "wb").write(z[: len(z) * 2 // 3])
PY
ks scan "${R[@]}" cut.tar.gz; expect_rc 1 "truncated archive: a warning, and the findings before it"
expect_err "cut.tar.gz"
expect_err "truncated"
grep -q 'KSTEST_DDDDDDDDDDDDDDD0' "$T/out" || fail "the member before the cut was not reported"

# A compression bomb is stopped early, with bounded memory; --archive-limits warn reports it and goes on.
head -c 2000000000 /dev/zero | gzip -1 > bomb.gz
set +e
/usr/bin/env time -f "%e %M" -o "$T/time" timeout -k 5 "$(hang_s 120)" "$KEYSWEEP" scan "${R[@]}" bomb.gz \
  >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 2 "bomb"
expect_err "bomb.gz!bomb: stopped"
read -r secs kib < <(tail -n 1 "$T/time") || true
[ "${kib:-0}" -lt $((256 * 1024)) ] || fail "the bomb took $kib KiB"
echo "bomb: ${secs}s, ${kib} KiB peak"
ks scan "${R[@]}" --archive-limits warn bomb.gz; expect_rc 0 "bomb, limits as warnings"
expect_err "stopped"

# Encrypted members are named and skipped; the others in the same zip are scanned.
if command -v zip >/dev/null; then
  mkdir -p enc && printf 'TOKEN=%s\n' KSTEST_EEEEEEEEEEEEEEE5 > enc/secret.txt
  (cd enc && zip -q -P hunter2 ../enc.zip secret.txt)
  ks scan "${R[@]}" enc.zip; expect_rc 0 "encrypted member"
  expect_err "enc.zip!secret.txt: encrypted: not scanned"
fi

# A file with a container's magic that is not one is scanned as the bytes it is.
printf '\x1f\x8bnot really gzip KSTEST_FFFFFFFFFFFFFFF6\n' > fake.gz
ks scan "${R[@]}" fake.gz; expect_rc 1 "fake gzip"
grep -q '"object"' "$T/out" && fail "a fake gzip got an object"
expect_out "KSTEST_FFFFFFFFFFFFFFF6"

# Containers arriving on standard input are opened as they stream (zip too, read as it streams); bytes that only
# look like one are scanned as bytes, none of them lost.
for f in release.tar.gz bundle.zip env.gz; do
  set +e
  timeout -k 5 "$(hang_s 120)" "$KEYSWEEP" scan "${R[@]}" - <c/$f >"$T/out" 2>"$T/err"; rc=$?
  set -e
  expect_rc 1 "stdin $f"
  grep -q '"object"' "$T/out" || fail "stdin $f: no member"
done
expect_out '"path":"-","object":"data"'
set +e
(cat fake.gz; head -c 3000000 /dev/zero | tr '\0' 'a'; echo; echo "late KSTEST_HHHHHHHHHHHHHHH8") |
  timeout -k 5 "$(hang_s 120)" "$KEYSWEEP" scan "${R[@]}" - >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_rc 1 "stdin fake gzip"
expect_out "KSTEST_FFFFFFFFFFFFFFF6"
expect_out "KSTEST_HHHHHHHHHHHHHHH8"
grep -q '"object"' "$T/out" && fail "a fake gzip on stdin got an object"

# Big containers (many chunks, over 4 MiB: decompressed on a thread of their own) are read through once, whatever
# the chunk size and threads.
python3 - <<'PY'
import gzip, io, os, random, tarfile
random.seed(7)
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w") as t:
    body = "".join("%08x %s\n" % (random.getrandbits(32), os.urandom(20).hex()) for _ in range(200000))
    data = (body + "TOKEN=KSTEST_GGGGGGGGGGGGGGG7\n").encode()
    i = tarfile.TarInfo("big/data.txt"); i.size = len(data); t.addfile(i, io.BytesIO(data))
open("big.tar.gz", "wb").write(gzip.compress(b.getvalue(), 1))
PY
for args in "-j1" "-j2 --chunk-size 4096" "-j3 --chunk-size 65536 --io pread"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args big.tar.gz; expect_rc 1 "big tar.gz $args"
  [ "$(lines "$T/out")" = 1 ] || fail "big tar.gz $args: $(lines "$T/out") findings"
  expect_out '"object":"big/data.txt","start":'
  expect_out '"line":200001,"column":7'
done
echo PASS
