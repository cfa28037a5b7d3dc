#!/usr/bin/env python3
# file_server_recall.py: plants one secret per way a file server holds it (plain, every container kind, nested chains,
# office documents, every encoding) and prints, per way, whether keysweep found it exactly once, with its object chain,
# line and decoders; the recall figure of issue 14 (0.105 before containers and decoders).
# usage: bench/file_server_recall.py KEYSWEEP [--keep DIR]
import argparse, base64, bz2, gzip, io, json, lzma, os, shutil, subprocess, sys, tarfile, tempfile, zipfile

RULES = """rules:
  - id: fs.token
    name: planted token
    pattern: '\\b(?P<secret>KSFS_[A-Z0-9]{20})\\b'
"""


def tar_bytes(files, mode="w"):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return b.getvalue()


def zip_bytes(files, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in files:
            z.writestr(name, data)
    return b.getvalue()


def env(t):
    return ("# service config\nDB_HOST=db.internal\nAPI_TOKEN=%s\n" % t).encode()  # line 3


def cases():
    """(way, file name, bytes, expected object, expected line, expected decoders) per planted secret."""
    n = iter(range(1000))
    out = []

    def add(way, name, make, obj, line=3, dec=None):
        t = "KSFS_PLANTED%013d" % next(n)  # 20 characters after KSFS_
        out.append((way, name, make(t), obj, line, dec, t))

    add("plain file", "plain.env", env, None)
    add("gzip", "a.env.gz", lambda t: gzip.compress(env(t)), "a.env")
    add("bzip2", "b.env.bz2", lambda t: bz2.compress(env(t)), "b.env")
    add("xz", "c.env.xz", lambda t: lzma.compress(env(t)), "c.env")
    add("tar", "d.tar", lambda t: tar_bytes([("srv/.env", env(t))]), "srv/.env")
    add("tar.gz", "e.tar.gz", lambda t: gzip.compress(tar_bytes([("srv/.env", env(t))])), "srv/.env")
    add("tar.bz2", "f.tar.bz2", lambda t: bz2.compress(tar_bytes([("srv/.env", env(t))])), "srv/.env")
    add("tar.xz", "g.tar.xz", lambda t: lzma.compress(tar_bytes([("srv/.env", env(t))])), "srv/.env")
    add("zip", "h.zip", lambda t: zip_bytes([("app/.env", env(t))]), "app/.env")
    add("jar (zip)", "i.jar", lambda t: zip_bytes([("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
                                                   ("application.properties", env(t))]), "application.properties")
    add("zip in zip", "j.zip", lambda t: zip_bytes([("inner.zip", zip_bytes([("deep/creds.txt", env(t))]))],
                                                  zipfile.ZIP_STORED), "inner.zip!deep/creds.txt")
    add("tar in tar.gz", "k.tar.gz", lambda t: gzip.compress(tar_bytes([("inner.tar", tar_bytes([("etc/x.conf",
                                                                                                   env(t))]))])),
        "inner.tar!etc/x.conf")
    add(".gz in tar.gz", "l.tar.gz", lambda t: gzip.compress(tar_bytes([("logs/app.log.gz", gzip.compress(env(t)))])),
        "logs/app.log.gz!app.log")
    add("docx", "m.docx", lambda t: zip_bytes([("[Content_Types].xml", b"<Types/>"), (
        "word/document.xml", ("<w:document><w:body><w:p><w:r><w:t>token</w:t></w:r></w:p>\n<w:p><w:r>\n<w:t>%s</w:t>"
                              "</w:r></w:p></w:body></w:document>" % t).encode())]), "word/document.xml", 3)
    add("xlsx", "n.xlsx", lambda t: zip_bytes([("[Content_Types].xml", b"<Types/>"), (
        "xl/sharedStrings.xml", ("<sst>\n<si><t>key</t></si>\n<si><t>%s</t></si></sst>" % t).encode())]),
        "xl/sharedStrings.xml", 3)
    if shutil.which("zstd"):
        add("tar.zst", "o.tar.zst", lambda t: subprocess.run(["zstd", "-q", "-c"], input=tar_bytes([("srv/.env",
                                                                                                       env(t))]),
                                                             capture_output=True, check=True).stdout, "srv/.env")
    ar = lambda t: (b"!<arch>\n" + b"%-16s%-12s%-6s%-6s%-8s%-10s`\n" % (b"conf.txt/", b"0", b"0", b"0", b"644",
                                                                        str(len(env(t))).encode()) + env(t) +
                    (b"\n" if len(env(t)) % 2 else b""))
    add("ar (.a, .deb)", "p.a", ar, "conf.txt")
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    add("base64 in a Kubernetes Secret", "q.yaml", lambda t: ("apiVersion: v1\nkind: Secret\ndata:\n  token: %s\n"
                                                               % b64(t)).encode(), None, 4, ["base64"])
    add("base64 blob of a whole .env", "r.env.b64", lambda t: (b64(env(t).decode()) + "\n").encode(), None, 1,
        ["base64"])
    add("UTF-16LE .ini with a BOM", "s.ini", lambda t: b"\xff\xfe" + ("[db]\r\nhost=x\r\ntoken=%s\r\n" % t)
        .encode("utf-16-le"), None, 3, ["utf16le"])
    add("JSON string of \\u00XX escapes", "t.json", lambda t: ('{\n "a": 1,\n "token": "%s"\n}\n' % "".join(
        "\\u%04x" % ord(c) for c in t)).encode(), None, 3, ["escape"])
    add("percent-encoded URL", "u.txt", lambda t: ("see\nhttps://h/cb?x=1\nhttps://h/cb?token=%s\n" % "".join(
        "%%%02X" % ord(c) for c in t)).encode(), None, 3, ["percent"])
    add("hex", "v.cfg", lambda t: ("a=1\nb=2\nkey=%s\n" % t.encode().hex()).encode(), None, 3, ["hex"])
    add("HTML entities in XML", "w.config", lambda t: ("<c>\n<a/>\n<add value=\"%s\"/></c>\n" % "".join(
        "&#%d;" % ord(c) for c in t)).encode(), None, 3, ["html"])
    add("base64 of base64", "x.txt", lambda t: ("a\nb\nblob: %s\n" % b64(b64("tok=%s\n" % t))).encode(), None, 3,
        ["base64", "base64"])
    add("base64 .env inside a .tar.gz", "y.tar.gz", lambda t: gzip.compress(tar_bytes([("k8s/secret.yaml", (
        "kind: Secret\ndata:\n  env: %s\n" % b64(env(t).decode())).encode())])), "k8s/secret.yaml", 3, ["base64"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("keysweep")
    ap.add_argument("--keep")
    a = ap.parse_args()
    d = a.keep or tempfile.mkdtemp(prefix="ks-recall-")
    os.makedirs(os.path.join(d, "tree"), exist_ok=True)
    open(os.path.join(d, "rules.yml"), "w").write(RULES)
    cs = cases()
    for way, name, data, *_ in cs:
        open(os.path.join(d, "tree", name), "wb").write(data)
    p = subprocess.run([a.keysweep, "scan", "--no-builtin-rules", "--rules", os.path.join(d, "rules.yml"), "--format",
                        "jsonl", "--no-progress", os.path.join(d, "tree")], capture_output=True, text=True)
    rows = [json.loads(l) for l in p.stdout.splitlines()]
    found = 0
    print("| way | file | object | line | decoders | found |")
    print("|---|---|---|---|---|---|")
    for way, name, data, obj, line, dec, t in cs:
        hits = [r for r in rows if r["secret"] == t]
        ok = len(hits) == 1 and hits[0].get("object") == obj and hits[0]["line"] == line and hits[0].get("decoders") == dec
        found += ok
        h = hits[0] if hits else {}
        print("| %s | %s | %s | %s | %s | %s |" % (way, name, h.get("object", "-"), h.get("line", "-"),
                                                 ",".join(h.get("decoders", [])) or "-",
                                                 "once" if ok else "%d findings%s" % (len(hits), " (mismatch)" if hits else "")))
    print("\nrecall (found exactly once, object and line right): %d/%d = %.3f; exit status %d" % (
        found, len(cs), found / len(cs), p.returncode))
    if not a.keep:
        shutil.rmtree(d)
    return 0 if found == len(cs) else 1


if __name__ == "__main__":
    sys.exit(main())
