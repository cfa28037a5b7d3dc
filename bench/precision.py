#!/usr/bin/env python3
"""bench/precision.py: the precision corpus of issue 16: scans real trees that hold no planted secrets, counts
findings per rule, and scores them against the judged verdicts in bench/precision-verdicts.tsv."""
import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VERDICTS = os.path.join(HERE, "precision-verdicts.tsv")
# The trees of issue 16: Debian's Python SDK packages (and the rest of /usr/lib/python3), and an npm tree of SDKs.
DEFAULT_TREES = [("python", "/usr/lib/python3"), ("npm", "/tmp/npmsdk/node_modules")]
SETUP = """python: apt-get install -y python3-boto3 python3-botocore python3-azure python3-google-auth python3-stripe \\
    python3-twilio python3-github python3-paramiko python3-libcloud python3-oauth2client python3-msal
npm: mkdir /tmp/npmsdk && cd /tmp/npmsdk && npm install aws-sdk @azure/identity stripe twilio @slack/web-api \\
    openai firebase-admin"""
# fp: not a credential at all (identifier, UUID, pagination token, placeholder). example: credential-shaped
# documentation or test material (a correct detection; the known-test-key list is what hides those). tp: real.
KINDS = ("fp", "example", "tp")


def secret_id(secret):
    """Verdicts are keyed by a hash of the secret, so the file never holds credential-shaped text."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def load_verdicts(path):
    verdicts = {}
    if not os.path.exists(path):
        return verdicts
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 3 or parts[2] not in KINDS:
                sys.exit(f"{path}:{n}: want 'rule<TAB>secret-id<TAB>{'|'.join(KINDS)}<TAB>note'")
            verdicts[parts[1]] = (parts[2], parts[3] if len(parts) > 3 else "")
    return verdicts


def scan(keysweep, root, extra):
    cmd = [keysweep, "scan", "--format", "jsonl", "--no-progress", "-q", "--no-cache", *extra, root]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    return [json.loads(l) for l in p.stdout.decode("utf-8", "surrogateescape").splitlines() if l.strip()]


def score(findings, verdicts):
    """Per rule: findings, distinct secrets, and findings per verdict (None: not judged yet)."""
    rules = collections.defaultdict(lambda: collections.Counter())
    distinct = collections.defaultdict(dict)
    for f in findings:
        sid = secret_id(f["secret"])
        kind = verdicts.get(sid, (None,))[0]
        rules[f["rule_id"]]["findings"] += 1
        rules[f["rule_id"]][kind or "unjudged"] += 1
        d = distinct[f["rule_id"]].setdefault(sid, {"n": 0, "f": f, "kind": kind})
        d["n"] += 1
    return rules, distinct


def short(s, n=60):
    s = s.replace("\n", "\\n").replace("|", "\\|")
    return s if len(s) <= n else s[: n - 3] + "..."


def report(name, root, findings, verdicts, show_all):
    rules, distinct = score(findings, verdicts)
    total = collections.Counter()
    for c in rules.values():
        total.update(c)
    n, fp = total["findings"], total["fp"]
    pct = 100.0 * fp / n if n else 0.0
    print(f"\n### {name}: `{root}`\n")
    print(f"{n} findings, {fp} false ({pct:.1f}%), {total['example']} documentation/test examples, "
          f"{total['tp']} real, {total['unjudged']} not judged\n")
    print("| rule | findings | distinct | false | example | real | not judged |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for rule in sorted(rules, key=lambda r: (-rules[r]["findings"], r)):
        c = rules[rule]
        print(f"| {rule} | {c['findings']} | {len(distinct[rule])} | {c['fp']} | {c['example']} | {c['tp']} | "
              f"{c['unjudged']} |")
    listed = [(r, sid, d) for r in sorted(distinct) for sid, d in distinct[r].items()
              if show_all or d["kind"] in ("fp", None)]
    if listed:
        print("\n| rule | verdict | times | secret | match | first path | note |")
        print("|---|---|---:|---|---|---|---|")
        for rule, sid, d in sorted(listed, key=lambda x: (x[0], -x[2]["n"])):
            f = d["f"]
            note = verdicts.get(sid, ("", ""))[1]
            path = f["path"][len(root):].lstrip("/") if f["path"].startswith(root) else f["path"]
            print(f"| {rule} | {d['kind'] or 'NOT JUDGED ' + sid} | {d['n']} | `{short(f['secret'], 40)}` | "
                  f"`{short(f['match'])}` | {short(path, 70)} | {note} |")
    return n, fp, {r: c["fp"] for r, c in rules.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("trees", nargs="*", metavar="NAME=DIR", help="trees to scan (default: python and npm)")
    ap.add_argument("--keysweep", default=os.path.join(ROOT, "build", "keysweep"))
    ap.add_argument("--verdicts", default=VERDICTS)
    ap.add_argument("--all", action="store_true", help="list every distinct secret, not only false or unjudged")
    ap.add_argument("--scan-arg", action="append", default=[], help="extra argument for keysweep scan")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every finding is judged, at most 5%% are false and no rule has more than 3")
    args = ap.parse_args()
    trees = [tuple(t.split("=", 1)) for t in args.trees] or DEFAULT_TREES
    verdicts = load_verdicts(args.verdicts)
    ok = True
    for name, root in trees:
        if not os.path.isdir(root):
            sys.exit(f"precision: {root} is missing; set it up with\n{SETUP}")
        findings = scan(args.keysweep, root, args.scan_arg)
        n, fp, per_rule = report(name, root, findings, verdicts, args.all)
        unjudged = sum(1 for f in findings if secret_id(f["secret"]) not in verdicts)
        if unjudged or (n and fp * 20 > n) or any(v > 3 for v in per_rule.values()):
            ok = False
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
