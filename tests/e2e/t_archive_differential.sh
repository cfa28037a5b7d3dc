#!/usr/bin/env bash
# t_archive_differential (issue 14): findings inside archives equal the findings in the same files extracted to disk.
# A tree with KSTEST_ tokens and every built-in example (keysweep:allow markers among them, one file of many chunks)
# is packed as .tar.gz, .zip, .tar.xz, .tar.bz2, .tar.zst, a .gz per file, and a zip inside a .tar.gz; the CLI and the
# library's container streams (random pieces, ks_libscan) scan the archives, the CLI scans them extracted: every
# finding (member path == object, rule, start, end, line, column, secret) is the same.
. "$(dirname "$0")/lib.sh"
[ -x "${KS_LIBSCAN:-}" ] || { echo "SKIP: ks_libscan not built"; exit 77; }
write_test_rules
ks rules list --format jsonl; expect_rc 0 "rules list"
python3 - "$T/out" <<'PY'
import bz2, gzip, io, json, lzma, os, random, shutil, subprocess, sys, tarfile, zipfile
random.seed(14)
examples = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    examples += [e for e in r.get("examples", []) if "\n" not in e or len(e) < 4000]
tokens = ["KSTEST_%016X" % random.getrandbits(64) for _ in range(40)]
words = ["int", "x", "=", "0;", "return", "//", "foo_bar", "{", "}", "value", "config", "path"]
def filler(n):
    out, size = [], 0
    while size < n:
        w = random.choice(words) + ("\n" if random.random() < 0.1 else " ")
        out.append(w)
        size += len(w)
    return "".join(out)
names = ["srv/.env", "srv/app/config.yml", "docs/notes.txt", "deep/a/b/c/creds.ini", "big/data.txt", "tiny.txt"]
files = {}
picks = examples + tokens
random.shuffle(picks)
for n, name in enumerate(names):
    mine = picks[n::len(names)]
    size = 1_500_000 if name.startswith("big/") else 30000
    parts = []
    for k, ex in enumerate(mine):
        parts.append(filler(random.randrange(5, size // len(mine) + 10)))
        parts.append("\n" + ex + ("  # keysweep:allow" if k % 9 == 4 else "") + "\n")
    files[name] = "".join(parts).encode()
files["tiny.txt"] = ("TOKEN=%s\n" % tokens[0]).encode()
os.makedirs("a")
def tar_bytes(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members.items():
            i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
def zip_bytes(members, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return b.getvalue()
tar = tar_bytes(files)
archives = {
    "tree.tar.gz": gzip.compress(tar),
    "tree.tar.xz": lzma.compress(tar),
    "tree.tar.bz2": bz2.compress(tar),
    "tree.zip": zip_bytes(files),
    "stored.zip": zip_bytes(files, zipfile.ZIP_STORED),
}
inner = zip_bytes({k: v for k, v in files.items() if not k.startswith("big/")})
archives["nested.tar.gz"] = gzip.compress(tar_bytes({"inner.zip": inner, "docs/notes.txt": files["docs/notes.txt"]}))
archives["notes.txt.gz"] = gzip.compress(files["docs/notes.txt"])
if shutil.which("zstd"):
    archives["tree.tar.zst"] = subprocess.run(["zstd", "-q", "-c"], input=tar, stdout=subprocess.PIPE,
                                              check=True).stdout
for name, data in archives.items():
    open("a/" + name, "wb").write(data)
# Extracted to disk: archive A's member M at x/A/M, a nested archive's members below a directory named after it.
def extract(into, data, name):
    os.makedirs(into, exist_ok=True)
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = {i.filename: z.read(i) for i in z.infolist()}
    elif name.endswith(".gz") and not name.endswith(".tar.gz"):
        members = {name[:-3]: gzip.decompress(data)}
    else:
        if name.endswith(".zst"):
            data = subprocess.run(["zstd", "-q", "-d", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    for m, d in members.items():
        if m.endswith(".zip"):
            extract(os.path.join(into, m), d, m)
            continue
        os.makedirs(os.path.dirname(os.path.join(into, m)) or into, exist_ok=True)
        open(os.path.join(into, m), "wb").write(d)
for name, data in archives.items():
    extract("x/" + name, data, name)
PY
R=(--rules rules.yml --format jsonl -q --no-progress)
# project FILE ROOT: one line per finding: the archive, the member path (object or the path below the archive's
# directory, nested levels joined by '/'), rule, start, end, line, column, secret.
project() { python3 -c '
import json, sys
root = sys.argv[2] + "/"
rows = []
for r in map(json.loads, open(sys.argv[1])):
    path = r["path"][len(root):] if r["path"].startswith(root) else r["path"]
    if "object" in r:
        arch, member = path, r["object"].replace("!", "/")
    else:
        arch, _, member = path.partition("/")
    rows.append((arch, member, r["rule_id"], r["start"], r["end"], r["line"], r["column"], r.get("secret")))
for row in sorted(rows):
    print(json.dumps(row))' "$1" "$2"; }
ks scan "${R[@]}" x; expect_rc 1 "extracted"
project "$T/out" x > disk.rows
n=$(lines disk.rows)
[ "$n" -gt 300 ] || fail "only $n findings in the extracted files"
for a in tree.tar.gz tree.zip tree.tar.xz nested.tar.gz notes.txt.gz; do
  grep -q "^\[\"$a\"" disk.rows || fail "nothing found in the extracted $a"
done
grep -q '"inner.zip/srv/.env"' disk.rows || fail "the nested zip's members were not extracted"
for args in "-j1" "-j2 --chunk-size 4096" "-j2 --chunk-size 65537 --io pread"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args a; expect_rc 1 "archives $args"
  project "$T/out" a > cli.rows
  diff disk.rows cli.rows >"$T/diff" || { cp "$T/diff" "$T/out"; fail "archives ($args) and extracted files differ: < extracted only, > archives only"; }
done
set +e; "$KS_LIBSCAN" --rules rules.yml $(find a -type f | sort) >lib.jsonl 2>"$T/err"; lrc=$?; set -e
[ "$lrc" -eq 0 ] || fail "ks_libscan failed ($lrc): $(cat "$T/err")"
project lib.jsonl a > lib.rows
diff disk.rows lib.rows >"$T/diff" || { cp "$T/diff" "$T/out"; fail "library streams and extracted files differ: < extracted only, > streams only"; }
echo "PASS: $n findings in $(ls a | wc -l) archives, identical to the extracted files"
