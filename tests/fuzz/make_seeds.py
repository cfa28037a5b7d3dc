#!/usr/bin/env python3
# make_seeds.py: writes the fuzz targets' starting corpora into tests/fuzz/corpus/<target>/ (run once; results are committed).
import glob
import os
import struct

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- fuzz_rules: small real rule files, both formats, and each kind of error the loader reports ----
for path in sorted(glob.glob(os.path.join(ROOT, "detectors/rules/*.yml")), key=os.path.getsize)[:12]:
    put("fuzz_rules", "builtin-" + os.path.basename(path), open(path, "rb").read())
RULE_SEEDS = {
    "flow": "rules:\n  - {id: a.b, name: n, pattern: '\\bAKIA[0-9A-Z]{16}\\b', min_entropy: 3, validate: generic}\n",
    "noseyparker": "rules:\n- name: Example token\n  id: np.example.1\n  pattern: '(?x)\\b (ex_[a-z0-9]{20}) \\b'\n"
                   "  examples: ['ex_abcdefghij0123456789']\n  references: [https://example.com]\n",
    "multiline": "rules:\n  - id: m\n    name: m\n    pattern: '(?m)^K:[0-9]{6}$'\n    confidence: high\n"
                 "    examples:\n      - 'K:123456'\n    negative_examples: [x]\n    categories: [c]\n    keywords: [K]\n",
    "unbounded": "rules:\n  - {id: u, name: u, pattern: 'a.*b'}\n",
    "too-wide": "rules:\n  - {id: w, name: w, pattern: 'a.{0,32768}'}\n",
    "empty-match": "rules:\n  - {id: e, name: e, pattern: 'x?'}\n",
    "backref": "rules:\n  - {id: r, name: r, pattern: '(ab)\\1'}\n",
    "lookbehind": "rules:\n  - {id: l, name: l, pattern: '(?<=k)abc'}\n",
    "bad-regex": "rules:\n  - {id: b, name: b, pattern: 'ab(c'}\n",
    "dup-id": "rules:\n  - {id: d, name: d, pattern: abc}\n  - {id: d, name: d, pattern: abd}\n",
    "no-name": "rules:\n  - id: x\n    pattern: abc\n",
    "bad-validator": "rules:\n  - {id: v, name: v, pattern: abc, validate: astrology}\n",
    "bad-entropy": "rules:\n  - {id: v, name: v, pattern: abc, min_entropy: lots}\n",
    "bad-yaml": "rules:\n  - {id: [unclosed\n",
    "not-a-list": "rules: 3\n",
    "anchors": "base: &b {name: n, pattern: abc}\nrules:\n  - {<<: *b, id: a1}\n",
    "utf8": "rules:\n  - {id: u8, name: \"\xc3\xa9\", pattern: '\xc3\xa9[a-z]{3}'}\n",
}
for k, v in RULE_SEEDS.items():
    put("fuzz_rules", k + ".yml", v)

# ---- fuzz_chunked: header (cuts, piece lengths, region size) + objects full of the fixed rules' tokens ----
TOKENS = [b"AKIAABCDEFGHIJKLMNOP", b"tok_abcdefgh12", b"tok_0123456789abcdefghijklmn",
          b'apikey = "AbCdEf0123456789"', b"-----BEGIN K-----\nQUJDREVGR0g=\n-----END K-----",
          b"S:123456", b"BOFabc", b"EOFxyz", b"xyzzy"]


def chunked(cuts, region, blob):
    return bytes([len(cuts)]) + b"".join(struct.pack("<H", c) for c in cuts) + bytes([region]) + blob


put("fuzz_chunked", "all-tokens-lines", chunked([7, 40, 3], 16, b"BOFab\n" + b"\n".join(TOKENS) + b"\nEOFxyz"))
put("fuzz_chunked", "tokens-glued", chunked([1, 1, 1, 1, 1], 1, b"xAKIAABCDEFGHIJKLMNOPx tok_abcdefgh12_ S:12\nS:99\r\n"))
put("fuzz_chunked", "one-piece", chunked([], 200, b" ".join(TOKENS) * 3))
put("fuzz_chunked", "many-cuts", chunked(list(range(1, 16)), 5, b"\n".join(TOKENS * 2)))
put("fuzz_chunked", "nul-bytes", chunked([9, 9], 33, b"\0".join(TOKENS) + b"\0"))
put("fuzz_chunked", "crlf", chunked([2, 64], 3, b"\r\n".join(TOKENS) + b"\r\n"))
# UTF-16 (the text stream reads it as its characters): with a mark, cut mid code unit; by its zeros, no mark
put("fuzz_chunked", "utf16-le-with-mark-cut", chunked([7, 33, 100], 5, b"\xff\xfe" + b"\n".join(TOKENS).decode().encode("utf-16-le")))
put("fuzz_chunked", "utf16-be-by-its-zeros-cut", chunked([301, 1], 9, (b"S:1234\n" * 20 + b"tok_abcdefgh12\n").decode().encode("utf-16-be")))

# ---- fuzz_json_encoder: hostile names and every byte value ----
for name, data in {
    "ascii": b"src/config.yml", "controls": bytes(range(0, 32)) + b"\x7f", "all-bytes": bytes(range(256)),
    "escape-seq": b"\x1b]0;pwned\x07\x1b[2J", "bidi": "a\u202eb\u2066c\u2069".encode(), "c1": b"\xc2\x85\xc2\x9b",
    "invalid-utf8": b"\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", "quotes": b'"\\"\\\\',
    "truncated": "é€𝄞".encode()[:-1], "long-utf8": "ü€𝄞".encode() * 50,
}.items():
    put("fuzz_json_encoder", name, data)

# ---- fuzz_confirm: windows over the built-in rules' examples and negative examples ----
examples = []
for path in sorted(glob.glob(os.path.join(ROOT, "detectors/rules/*.yml"))):
    for rule in (yaml.safe_load(open(path)) or {}).get("rules", []):
        examples += [e.encode() for e in rule.get("examples", []) + rule.get("negative_examples", [])]
step = 24
for i in range(0, len(examples), step):
    blob = b"\n".join(examples[i:i + step])
    hdr = struct.pack("<HHI", i % 7, 0xffff, (i * 7919) & 0xffffffff)
    put("fuzz_confirm", "examples-%03d" % (i // step), hdr + blob)
put("fuzz_confirm", "past-4gib", struct.pack("<HHI", 3, 200, 0x80000001) + b"\n".join(examples[:8]))

# ---- fuzz_container: one small container of each kind the reader opens, nested ones, a bomb and a fake ----
import bz2  # noqa: E402
import gzip  # noqa: E402
import io  # noqa: E402
import lzma  # noqa: E402
import tarfile  # noqa: E402
import zipfile  # noqa: E402


def tar_bytes(files):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return b.getvalue()


def zstd_bytes(data):
    import subprocess
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout


def zip_bytes(files, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in files:
            z.writestr(name, data)
    return b.getvalue()


ENV = b"x=1\nTOKEN=AKIAQYLPMN5HHHFPZAM2\n"
SCRIPT = b"#!/bin/sh\n# Makeself\nTOKEN=AKIAQYLPMN5HHHFPZAM3\ntail -n +5 \"$0\" | tar xzf -; exit 0\n"
AR_HEAD = b"%-16s%-12s%-6s%-6s%-8s%-10s`\n" % (b"x.o/", b"0", b"0", b"0", b"100644", str(len(ENV)).encode())
for name, data in {
    "gz": gzip.compress(ENV, mtime=0), "bz2": bz2.compress(ENV), "xz": lzma.compress(ENV),
    "tar": tar_bytes([("a/.env", ENV), ("b.txt", b"hello\n")]),
    "targz": gzip.compress(tar_bytes([("a/.env", ENV)]), mtime=0),
    "zip": zip_bytes([("a/.env", ENV), ("n.txt", b"x\n")]),
    "zipzip": zip_bytes([("in.zip", zip_bytes([("deep.txt", ENV)]))], zipfile.ZIP_STORED),
    "ar": b"!<arch>\n" + AR_HEAD + ENV,
    "zeros": gzip.compress(b"\0" * 200000, mtime=0),
    "fake": b"\x1f\x8bnot gzip at all\n",
    # gzip is read by ISA-L (io/inflate_gzip.c): members one after another, every optional header field, a cut
    "gz-members": gzip.compress(ENV, mtime=0) + gzip.compress(b"second\n", mtime=0) + b"\0\0tail",
    "gz-fields": b"\x1f\x8b\x08\x1e\0\0\0\0\0\x03\x02\0xyname\0comment\0\x12\x34" + gzip.compress(ENV, mtime=0)[10:],
    "gz-cut": gzip.compress(tar_bytes([("a/.env", ENV * 40)]), mtime=0)[:-20],
    # zstd too is decoded by keysweep (io/inflate_zstd.c): a frame, a .tar.zst, one cut short
    "zst": zstd_bytes(ENV),
    "tarzst": zstd_bytes(tar_bytes([("a/.env", ENV)])),
    "zst-cut": zstd_bytes(tar_bytes([("a/.env", ENV * 40)]))[:-20],
    # a makeself installer: a script, then a .tar.gz after one of its lines; and the same inside a tar
    "script-targz": SCRIPT + gzip.compress(tar_bytes([("a/.env", ENV)]), mtime=0),
    "tar-script-xz": tar_bytes([("inst.run", SCRIPT + lzma.compress(tar_bytes([("a/.env", ENV)])))]),
    # a tar whose second header's checksum is wrong: the blocks passed over are scanned as "[damaged@N]"
    "tar-damaged-header": (lambda t: t[:1024 + 148] + bytes([t[1024 + 148] ^ 1]) + t[1024 + 149:])(
        tar_bytes([("a.env", ENV), ("b.env", ENV * 20), ("c.txt", b"x\n")])),
    # a zip whose second member's deflated data is damaged: piped, it is read on from the next local header
    "zip-corrupt-member-read-on": (lambda z: z[:z.index(b"PK\3\4", 4) + 30 + 5 + 4] + b"\xff" * 16 +
                                   z[z.index(b"PK\3\4", 4) + 30 + 5 + 4 + 16:])(
        zip_bytes([("a.env", ENV * 8), ("b.txt", bytes(range(256)) * 4), ("c.env", ENV * 8)])),
}.items():
    put("fuzz_container", name, data)

# ---- fuzz_decode: byte 0 picks the encodings (inner, outer), 1 the stream piece, 2 the region size ----
DEC_TEXT = b"cfg:\n  pw=p@ss:w0rd!\n  id=KS_AB12CD34 tok_abcd9876 end\n"
for name, (enc, piece, region) in {
    "plain": (0, 3, 1), "b64-mid": (1, 7, 2), "hex-mid": (2, 1, 0), "pct-all": (3 << 3, 40, 5),
    "esc-mid-b64-all": (4 | 1 << 3, 2, 9), "html-all": (5 << 3, 255, 255), "b64-b64": (1 | 1 << 3, 5, 3),
}.items():
    put("fuzz_decode", name, bytes([enc, piece, region]) + DEC_TEXT)
put("fuzz_decode", "wrapped", b"\x00\x01\x01" + b"aWQ9S1NfQUIxMkNEMzQgdG9rX2FiY2Q5ODc2IGVuZCBvZiBsaW5l\nIGFuZCBtb3Jl"
    b"IHRleHQgdG8gd3JhcA==\n%41%42\\u0043&#68;&amp;\n")

# ---- fuzz_git_pack: byte 0 picks the mode (0 idx+pack, 1 synthesized objects, 2 a delta alone, 3 a loose object);
# its top bit turns on verification (modes 0, 1) or deflating the input first (mode 3) ----
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import zlib  # noqa: E402


def git_pack_seed(commands):
    """A tiny repository made by git, packed: (idx, pack) bytes of its one pack."""
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=d, GIT_AUTHOR_NAME="s", GIT_AUTHOR_EMAIL="s@e",
                   GIT_COMMITTER_NAME="s", GIT_COMMITTER_EMAIL="s@e", GIT_AUTHOR_DATE="2020-01-01T00:00:00Z",
                   GIT_COMMITTER_DATE="2020-01-01T00:00:00Z")
        subprocess.run(["sh", "-ec", "git init -q -b main . && " + commands], cwd=d, env=env, check=True)
        pack_dir = os.path.join(d, ".git/objects/pack")
        name = [n for n in os.listdir(pack_dir) if n.endswith(".pack")][0]
        pack = open(os.path.join(pack_dir, name), "rb").read()
        idx = open(os.path.join(pack_dir, name[:-5] + ".idx"), "rb").read()
        return idx, pack


def mode0(idx, pack, verify=0):
    return bytes([0 | verify << 7]) + struct.pack("<I", len(idx)) + idx + pack


EDITS = ("seq 1 60 > f && git add f && git commit -q -m 0 && "
         "for i in 1 2 3 4 5 6 7 8; do sed -i \"$((i * 5))s/.*/changed $i/\" f && echo $i >> f && "
         "git commit -q -am $i; done && git repack -q -adf --depth=50 --window=50")
put("fuzz_git_pack", "git-chain", mode0(*git_pack_seed(EDITS)))
put("fuzz_git_pack", "git-chain-verify", mode0(*git_pack_seed(EDITS), verify=1))
put("fuzz_git_pack", "git-types", mode0(*git_pack_seed(
    "printf 'a\\n' > a && printf '' > e && mkdir d && printf 'b\\n' > d/b && git add -A && git commit -q -m x && "
    "git tag -a -m t v1 && git gc -q")))


def delta(base_len, result_len, ops):
    def varint(v):
        out = bytearray()
        while True:
            b = v & 0x7f
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return bytes(out)
    return varint(base_len) + varint(result_len) + ops


def obj(kind, base, payload):
    return bytes([kind, base, len(payload)]) + payload


# mode 1: kinds 0-3 whole objects, 4 OFS_DELTA, 5 REF_DELTA in the list, 6 REF_DELTA outside (odd base: found),
# 7 a blob whose header lies about its size; kind's top bit: a 64-bit offset entry
COPY_ALL_3 = delta(3, 3, b"\x90\x03")
put("fuzz_git_pack", "synth-chain", b"\x01" + obj(2, 0, b"abc") + obj(4, 0, COPY_ALL_3) + obj(4, 1, COPY_ALL_3)
    + obj(0x84, 2, delta(3, 5, b"\x90\x03\x02xy")))
COMMIT = (b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0123456789abcdef0123456789abcdef01234567\n"
          b"author A <a@x> 1 +0000\ncommitter C <c@x> 1700000000 +0000\n\nm\n")
put("fuzz_git_pack", "synth-commit", b"\x01" + obj(0, 0, COMMIT) + obj(4, 0, delta(len(COMMIT), len(COMMIT), bytes([0x90, len(COMMIT)]))))
put("fuzz_git_pack", "synth-cycle", b"\x01" + obj(5, 1, COPY_ALL_3) + obj(5, 0, COPY_ALL_3) + obj(2, 0, b"abc"))
put("fuzz_git_pack", "synth-outside", b"\x81" + obj(6, 1, delta(16, 4, b"\x90\x04")) + obj(6, 2, b"\x01\x01\x01x")
    + obj(7, 9, b"liar"))
put("fuzz_git_pack", "synth-types", b"\x01" + obj(0, 0, b"tree") + obj(1, 0, b"x" * 40) + obj(3, 0, b"")
    + obj(0x80, 0, b"large offset"))
# mode 2: [base length][base][delta]
put("fuzz_git_pack", "delta-copy-insert", b"\x02\x0a0123456789" + delta(10, 8, b"\x91\x02\x05\x03xyz"))
put("fuzz_git_pack", "delta-past-base", b"\x02\x040123" + delta(4, 8, b"\x91\x02\x08"))
put("fuzz_git_pack", "delta-op0", b"\x02\x02ab" + delta(2, 1, b"\x00"))
# mode 3: a loose object, raw zlib (0x03) or deflated by the target (0x83)
put("fuzz_git_pack", "loose-blob", b"\x03" + zlib.compress(b"blob 5\0hello"))
put("fuzz_git_pack", "loose-plain", b"\x83" + b"commit 12\0tree 0123456")
put("fuzz_git_pack", "loose-liar", b"\x83" + b"blob 99\0short")
