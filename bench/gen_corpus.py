#!/usr/bin/env python3
"""gen_corpus.py: deterministic synthetic corpus with planted secrets of every built-in rule, and its manifest."""
import argparse
import json
import os
import random
import re

WORDS = [b"int", b"return", b"static", b"void", b"x", b"=", b"0;", b"if", b"(err)", b"{", b"}", b"//", b"struct",
         b"foo_bar", b"0x1f", b"const", b"char", b"*p", b"->", b"len", b"goto", b"out;", b"#include", b"<linux/fs.h>"]


def filler(rng, n):
    out = bytearray()
    while len(out) < n:
        out += rng.choice(WORDS)
        out += b"\n" if rng.random() < 0.12 else b" "
    return out[:n]


# Names that the built-in path rules accept (credential-files.yml): a new path rule needs its file here.
FILE_NAMES = (".netrc", "_netrc", ".git-credentials", ".pgpass", "pgpass.conf")


def plant(data, at, text, manifest, path, rule):
    """Writes text at `at`, surrounded by newlines, and records where the example lies."""
    blob = b"\n" + text + b"\n"
    data[at:at + len(blob)] = blob
    manifest.append({"path": path, "rule_id": rule, "start": at + 1, "end": at + 1 + len(text)})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", required=True, help="`keysweep rules list --format jsonl` output")
    ap.add_argument("--out", required=True)
    ap.add_argument("--small-files", type=int, default=20000)
    ap.add_argument("--big-files", type=int, default=3)
    ap.add_argument("--big-mb", type=int, default=256)
    ap.add_argument("--sparse-gb", type=int, default=0, help="one sparse file of this size (0: none)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rules = [json.loads(line) for line in open(a.rules)]
    # a rule with a path condition reports only in files its path accepts: its examples go to files so named
    examples = [(r["id"], ex.encode()) for r in rules if not r.get("path") for ex in r["examples"]]
    os.makedirs(a.out, exist_ok=True)
    manifest = []
    for n, r in enumerate(r for r in rules if r.get("path")):
        name = next((c for c in FILE_NAMES if re.search(r["path"], "/home/u/" + c)), None)
        if name is None:
            raise SystemExit("gen_corpus: no file name in FILE_NAMES satisfies the path of " + r["id"])
        for k, ex in enumerate(r["examples"]):
            path = os.path.join(a.out, "named", "r%03d-%d" % (n, k), name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = filler(rng, 300) + b"\n" * (len(ex) + 2) + filler(rng, 300)
            plant(data, 300, ex.encode(), manifest, path, r["id"])
            with open(path, "wb") as f:
                f.write(data)
    # many small files: every example of every rule at least once
    for i in range(a.small_files):
        path = os.path.join(a.out, "small", "d%03d" % (i % 512), "f%06d.txt" % i)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = rng.randint(200, 24000)
        data = filler(rng, size)
        if i < len(examples) or rng.random() < 0.05:
            rule, ex = examples[i % len(examples)]
            if len(ex) + 4 < size:
                plant(data, rng.randint(0, size - len(ex) - 3), ex, manifest, path, rule)
        with open(path, "wb") as f:
            f.write(data)
    # a few big files: examples across the default chunk boundaries (1 MiB) and at the ends
    for b in range(a.big_files):
        path = os.path.join(a.out, "big", "big%d.log" % b)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = a.big_mb << 20
        data = filler(rng, 1 << 20) * (size >> 20)
        spots = []
        for k in range(1, size >> 20):
            rule, ex = examples[rng.randrange(len(examples))]
            spots.append(((k << 20) - rng.randint(1, len(ex)), rule, ex))
        last = examples[rng.randrange(len(examples))]
        spots.append((size - len(last[1]) - 2, last[0], last[1]))
        prev_end = 0
        for at, rule, ex in sorted(spots):
            if at > prev_end and at + len(ex) + 2 <= size:
                plant(data, at, ex, manifest, path, rule)
                prev_end = at + len(ex) + 2
        with open(path, "wb") as f:
            f.write(data)
    if a.sparse_gb:
        path = os.path.join(a.out, "sparse", "huge.img")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = a.sparse_gb << 30
        with open(path, "wb") as f:
            f.truncate(size)
            for at in ((4 << 30) - 7, (4 << 30) + 4096, size - 200):
                rule, ex = examples[rng.randrange(len(examples))]
                f.seek(at - 1)
                f.write(b"\n" + ex + b"\n")
                manifest.append({"path": path, "rule_id": rule, "start": at, "end": at + len(ex)})
    with open(os.path.join(a.out, "manifest.jsonl"), "w") as f:
        for m in manifest:
            f.write(json.dumps(m) + "\n")
    print(json.dumps({"planted": len(manifest), "rules": len(rules), "examples": len(examples)}))


if __name__ == "__main__":
    main()
