#!/usr/bin/env bash
# t_library_equals_cli (issue 12): an embedder gets exactly the CLI's findings on the same bytes. A corpus with every
# built-in example, Gitleaks rules with path conditions and path allowlists, keysweep:allow markers, files cut into
# many chunks and the same files in a .tar.gz and a .zip is scanned by the CLI (several chunk sizes and threads) and
# by a program that uses only the public API (container streams in random pieces, the path in ks_scan_opts; and the
# public tree scan, ks_pipeline_walk, with several chunk sizes, threads and readers): the findings, with the member's
# object, are identical.
. "$(dirname "$0")/lib.sh"
[ -x "${KS_LIBSCAN:-}" ] || { echo "SKIP: ks_libscan not built"; exit 77; }
cat > g.toml <<'TOML'
[[rules]]
id = "php-only"
description = "a token that counts only in PHP files"
regex = '''PHPTOK_[A-Z0-9]{12}'''
path = '''\.php$'''

[[rules]]
id = "not-in-vendor"
description = "a token exempt under vendor/"
regex = '''VNDTOK_[A-Z0-9]{12}'''
[[rules.allowlists]]
paths = ['''(^|/)vendor/''']
TOML
ks rules list --format jsonl; expect_rc 0 "rules list"
python3 - "$T/out" <<'PY'
import json, os, random, sys
random.seed(3)
examples = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    examples += [e for e in r.get("examples", []) if "\n" not in e or len(e) < 4000]
os.makedirs("c/vendor/lib", exist_ok=True)
os.makedirs("c/src", exist_ok=True)
def filler(n):
    words = ["int", "x", "=", "0;", "return", "//", "foo_bar", "{", "}", "value", "config"]
    out = []
    size = 0
    while size < n:
        w = random.choice(words) + ("\n" if random.random() < 0.12 else " ")
        out.append(w)
        size += len(w)
    return "".join(out)
specials = ["PHPTOK_ABCDEF123456", "VNDTOK_ZYXWVU987654"]
names = ["src/a.php", "src/a.txt", "vendor/lib/b.php", "vendor/lib/c.txt", "src/big.txt", "top.cfg"]
for n, name in enumerate(names):
    parts = []
    size = 3_000_000 if "big" in name else 20000
    picks = examples[n::len(names)] + specials * 3
    random.shuffle(picks)
    for k, ex in enumerate(picks):
        parts.append(filler(random.randrange(10, size // len(picks) + 20)))
        mark = "  # keysweep:allow" if k % 7 == 3 else ""
        parts.append("\n" + ex + mark + "\n")
    with open("c/" + name, "w") as f:
        f.write("".join(parts))
# The same files in containers (the big one aside): members meet the path conditions as "c/pack.tar.gz!pkg/...".
import gzip, io, tarfile, zipfile
small = [n for n in names if "big" not in n]
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w") as t:
    for name in small:
        t.add("c/" + name, arcname="pkg/" + name)
open("c/pack.tar.gz", "wb").write(gzip.compress(b.getvalue()))
with zipfile.ZipFile("c/pack.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for name in small:
        z.write("c/" + name, "pkg/" + name)
PY
R=(--rules g.toml --format jsonl -q)
project() { python3 -c '
import json, sys
rows = sorted((r["path"], r.get("object", ""), r["rule_id"], r["start"], r["end"], r["line"], r["column"], r.get("secret")) for r in map(json.loads, open(sys.argv[1])))
for r in rows: print(json.dumps(r))' "$1"; }
set +e; "$KS_LIBSCAN" --rules g.toml $(find c -type f | sort) >lib.jsonl 2>"$T/err"; lrc=$?; set -e
[ "$lrc" -eq 0 ] || fail "ks_libscan failed ($lrc): $(cat "$T/err")"
project lib.jsonl > lib.rows
n=$(lines lib.rows)
[ "$n" -gt 100 ] || fail "the library found only $n findings"
grep -q '"php-only"' lib.rows || fail "the path-conditioned rule found nothing in a.php"
grep '"php-only"' lib.rows | grep -qv '\.php"' && fail "the path-conditioned rule reported outside PHP files"
grep '"not-in-vendor"' lib.rows | grep -q 'vendor/' && fail "the vendor/ allowlist was not applied"
grep -q '"c/pack.zip", "pkg/src/a.php", "php-only"' lib.rows || fail "the path-conditioned rule found nothing in a zip's a.php"
grep -q '"c/pack.tar.gz", "pkg/src/a.txt"' lib.rows || fail "nothing found in the tar.gz's members"
for args in "-j1" "-j2 --chunk-size 4096" "-j2 --chunk-size 65537 --io pread"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args c; expect_rc 1 "CLI $args"
  project "$T/out" > cli.rows
  diff lib.rows cli.rows >"$T/diff" || { cp "$T/diff" "$T/out"; fail "library and CLI ($args) differ: < library only, > CLI only"; }
done
for args in "--threads 1" "--threads 2 --chunk-size 4096" "--threads 3 --chunk-size 65537 --io pread"; do
  # shellcheck disable=SC2086
  set +e; "$KS_LIBSCAN" --tree --rules g.toml $args c >tree.jsonl 2>"$T/err"; trc=$?; set -e
  [ "$trc" -eq 0 ] || fail "ks_libscan --tree $args failed ($trc): $(cat "$T/err")"
  project tree.jsonl > tree.rows
  diff lib.rows tree.rows >"$T/diff" || { cp "$T/diff" "$T/out"; fail "streams and the tree scan ($args) differ"; }
done
echo "PASS: $n findings, identical"
