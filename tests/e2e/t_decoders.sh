#!/usr/bin/env bash
# t_decoders (issue 14): secrets written the ways files hold them encoded (base64 values of a Kubernetes Secret, a
# base64 blob of a whole .env, PEM-wrapped base64, hex, a URL's percent-encoding, a JSON string of \u00XX escapes, a
# Python \x string, HTML entities in XML, base64 of base64, base64 inside a UTF-16 file and inside a .tar.gz) are
# found once each with their decoder chain, the encoded bytes at [start, end) decoding to the match, and the line
# and column of where the encoding starts; the same over threads and chunk sizes; --no-decode and
# --max-decode-depth do what they say; the other formats name the decoder.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import base64, gzip, html, io, os, tarfile, urllib.parse
T = ["KSTEST_DECODE%010d" % i for i in range(20)]  # 16 characters after KSTEST_
b64 = lambda s: base64.b64encode(s.encode()).decode()
os.makedirs("d", exist_ok=True)
w = lambda name, text: open("d/" + name, "w").write(text)
w("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  user: YWRtaW4=\n"
                 "  token: %s\n" % b64(T[0]))
w("env.b64", b64("# production\nDB_HOST=db.internal\nAPI_TOKEN=%s\nDEBUG=0\n" % T[1]) + "\n")
body = b64("-- exported settings, one per line, long enough to wrap at sixty-four --\nkey=%s\n" % T[2])
w("wrapped.txt", "-----BEGIN SETTINGS-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) +
  "\n-----END SETTINGS-----\n")
w("hex.cfg", "# hex\nvalue = %s\n" % T[3].encode().hex())
w("url.txt", "see https://example.test/cb?state=x&token=%s&next=1\n" % "".join("%%%02X" % ord(c) for c in T[4]))
w("app.json", '{\n  "name": "app",\n  "token": "%s"\n}\n' % "".join("\\u%04x" % ord(c) for c in T[5]))
w("conf.py", "KEY = b'%s'\n" % "".join("\\x%02x" % ord(c) for c in T[6]))
w("web.config", '<configuration>\n  <add key="t" value="%s"/>\n</configuration>\n' %
  "".join("&#%d;" % ord(c) for c in T[7]))
w("double.txt", "blob: %s\n" % b64(b64("inner=%s\n" % T[8])))
open("d/utf16.ini", "wb").write(b"\xff\xfe" + ("[a]\r\nblob=%s\r\n" % b64("t=%s\n" % T[9])).encode("utf-16-le"))
env = ("TOKEN=%s\n" % b64("k=%s\n" % T[10])).encode()
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w") as t:
    i = tarfile.TarInfo("srv/.env"); i.size = len(env); t.addfile(i, io.BytesIO(env))
open("d/release.tar.gz", "wb").write(gzip.compress(b.getvalue()))
# seen as it is and decoded: one finding, as it is (only the neighbours are escaped)
w("both.txt", "q=%41%42 t=" + T[11] + " r=%43\n")
# things that decode to nothing: a hash, random base64, identifiers
w("noise.txt", "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
               "img=q83vEjRWeJqrze8SNFZ4mqvN7xI0VniaBw==\nCONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS=y\n")
PY
check() {
  python3 - "$T/out" <<'PY'
import base64, binascii, html, json, re, sys, urllib.parse
rows = [json.loads(l) for l in open(sys.argv[1])]
def dec(name, b):
    if name == "base64":
        s = re.sub(rb"[^A-Za-z0-9+/_-]", b"", b)
        return base64.b64decode(s + b"=" * (-len(s) % 4), altchars=b"-_" if b"-" in s or b"_" in s else None)
    if name == "hex": return binascii.unhexlify(b)
    if name == "percent": return urllib.parse.unquote_to_bytes(b)
    if name == "escape": return b.decode().encode().decode("unicode_escape").encode()
    if name == "html": return html.unescape(b.decode()).encode()
    if name == "utf16le": return b.decode("utf-16-le").encode()
want = {  # path: (secret number, decoders, line, column)
    "secret.yaml": (0, ["base64"], 7, 10), "env.b64": (1, ["base64"], 1, 58), "wrapped.txt": (2, ["base64"], 3, 39),
    "hex.cfg": (3, ["hex"], 2, 9), "url.txt": (4, ["percent"], 1, 43), "app.json": (5, ["escape"], 3, 13),
    "conf.py": (6, ["escape"], 1, 9), "web.config": (7, ["html"], 2, 23), "double.txt": (8, ["base64", "base64"], 1, 17),
    "utf16.ini": (9, ["utf16le", "base64"], 2, 8), "release.tar.gz": (10, ["base64"], 1, 9), "both.txt": (11, None, 1, 12),
}
got = {}
for r in rows:
    name = r["path"].split("/")[-1]
    assert name not in got, "two findings in " + name
    got[name] = r
assert sorted(got) == sorted(want), "files with findings: %s" % sorted(got)
for name, (n, chain, line, col) in want.items():
    r = got[name]
    assert r["secret"] == "KSTEST_DECODE%010d" % n, (name, r["secret"])
    assert r.get("decoders") == chain, (name, r.get("decoders"))
    assert (r["line"], r["column"]) == (line, col), (name, r["line"], r["column"], "want", line, col)
    if not chain or "object" in r or chain[0] == "utf16le":
        continue
    data = open(r["path"], "rb").read()
    enc = data[r["start"]:r["end"]]
    if chain[0] == "base64":  # [start, end) lies in one run, whose decoding holds the secret
        assert re.fullmatch(rb"[A-Za-z0-9+/_\n-]+", enc), (name, enc)
        # the run: the token's own characters and, for a wrapped body, the whole lines of base64 around it
        text = data.decode()
        lines = text.split("\n")
        pos, spans = 0, []
        for ln in lines:
            spans.append((pos, pos + len(ln), re.fullmatch(r"[A-Za-z0-9+/_=-]+", ln) is not None and "-----" not in ln))
            pos += len(ln) + 1
        first = next(i for i, (x, y, ok) in enumerate(spans) if x <= r["start"] < y + 1)
        last = next(i for i, (x, y, ok) in enumerate(spans) if x < r["end"] <= y + 1)
        if all(spans[i][2] for i in range(first, last + 1)):
            while first > 0 and spans[first - 1][2]: first -= 1
            while last + 1 < len(spans) and spans[last + 1][2]: last += 1
            a, b = spans[first][0], spans[last][1]
        else:
            a, b = r["start"], r["end"]
            while a > 0 and re.match(rb"[A-Za-z0-9+/_-]", data[a - 1:a]): a -= 1
            while b < len(data) and re.match(rb"[A-Za-z0-9+/_=-]", data[b:b + 1]): b += 1
        out = dec("base64", data[a:b].strip())
        if len(chain) == 2: out = dec("base64", re.search(rb"[A-Za-z0-9+/=]{20,}", out).group(0))
        assert r["secret"].encode() in out, (name, out)
    else:  # escapes map byte for byte: the encoded bytes decode to the match exactly
        assert dec(chain[0], enc) == r["match"].encode(), (name, enc, r["match"])
PY
}
ks scan "${R[@]}" d; expect_rc 1 "encoded secrets"
check || fail "decoded findings"
for args in "-j1 --chunk-size 4096" "-j3 --chunk-size 65536 --io pread"; do
  # shellcheck disable=SC2086
  cp "$T/out" "$T/first"
  ks scan "${R[@]}" $args d; expect_rc 1 "encoded secrets $args"
  check || fail "decoded findings $args"
done
# depth 1: base64 of base64 is not reached; base64 inside UTF-16 still is (UTF-16 is how the file is stored)
ks scan "${R[@]}" --max-decode-depth 1 d/double.txt d/utf16.ini; expect_rc 1 "depth 1"
[ "$(lines "$T/out")" -eq 1 ] && expect_out "utf16.ini" || fail "depth 1 finds one"
ks scan "${R[@]}" --no-decode d; expect_rc 1 "--no-decode"
[ "$(lines "$T/out")" -eq 1 ] && expect_out "both.txt" || fail "--no-decode finds only the plain token"
ks scan "${R[@]}" --max-decode-depth 9 d; expect_rc 2 "depth over the limit"
expect_err "--max-decode-depth"
# the other formats say which decoder it was
ks scan --no-builtin-rules --rules rules.yml --format text --color never --no-progress d/app.json; expect_rc 1 "text"
expect_out "(decoded: escape)"
ks scan --no-builtin-rules --rules rules.yml --format trufflehog --no-progress d/secret.yaml; expect_rc 1 "trufflehog"
expect_out '"DecoderName":"BASE64"'
echo PASS
