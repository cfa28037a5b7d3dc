#!/usr/bin/env bash
# t_git_differential (issue 15): the findings of a full-history scan equal, finding for finding (blob, rule, start,
# end, line, column, secret), those of scanning every blob that `git cat-file --batch-all-objects --batch` prints,
# each written out as a file: over a repository of 120 commits with the built-in rules and real token shapes
# (checksummed GitHub tokens, AWS key pairs, Slack, PEM keys across lines, assignments, base64-encoded tokens, CRLF
# files), long delta chains after an aggressive repack, and loose objects committed after it; on 1 and 3 workers,
# and with the pack's delta trees resolved on 3 lanes (--archive-threads 3): the same jsonl, byte for byte.
. "$(dirname "$0")/lib.sh"
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git init -q repo
git -C repo config user.email dev@example.com
git -C repo config user.name Dev

# commits 1..N of a seeded generator: files edited, renamed, deleted, secrets added and removed
commits() {
  python3 - "$T/repo" "$1" "$2" <<'PY'
import base64, os, random, subprocess, sys, zlib
repo, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(20261205)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def word(n, alphabet=B62):
    return "".join(rnd.choice(alphabet) for _ in range(n))
def github():
    body = word(30)
    crc, tail = zlib.crc32(body.encode()), ""
    for _ in range(6):
        tail = B62[crc % 62] + tail
        crc //= 62
    return "ghp_" + body + tail
def pem():
    b64 = base64.b64encode(bytes(rnd.randrange(256) for _ in range(600))).decode()
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + \
        "\n-----END RSA PRIVATE KEY-----\n"
def secret_line(k):
    if k == 0: return "GITHUB_TOKEN=" + github()
    if k == 1: return "aws_access_key_id = AKIA" + word(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") + \
        "\naws_secret_access_key = " + word(40)
    if k == 2: return 'slack = "xoxb-%s-%s-%s"' % (word(11, "0123456789"), word(13, "0123456789"), word(24))
    if k == 3: return pem()
    if k == 4: return 'db_password = "%s!%s#%s"' % (word(5), word(4), word(5))
    return "encoded: " + base64.b64encode(("token=" + github()).encode()).decode()
# every generator call happens for every commit, so commits first..last are the same whichever run makes them
for c in range(1, last + 1):
    ops = []
    for f in range(rnd.randrange(1, 4)):
        name = "dir%d/file%d.%s" % (rnd.randrange(4), rnd.randrange(12), rnd.choice(["env", "txt", "yml", "py"]))
        lines = [word(rnd.randrange(10, 70)) for _ in range(rnd.randrange(20, 120))]
        for _ in range(rnd.randrange(0, 3)):
            lines.insert(rnd.randrange(len(lines) + 1), secret_line(rnd.randrange(6)))
        eol = "\r\n" if rnd.random() < 0.2 else "\n"
        ops.append((name, eol.join(lines) + eol, rnd.random()))
    if c < first:
        continue
    for name, text, r in ops:
        path = os.path.join(repo, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if r < 0.1 and os.path.exists(path):
            os.remove(path)
        else:
            # edits: keep most of the old file, so that deltas chain
            if os.path.exists(path) and r < 0.8:
                old = open(path, newline="").read()
                text = old[: len(old) // 2] + text
            open(path, "w", newline="").write(text)
    subprocess.run(["git", "-C", repo, "add", "-A"], check=True)
    subprocess.run(["git", "-C", repo, "commit", "-qm", "commit %d" % c, "--allow-empty"], check=True)
PY
}
commits 1 100
git -C repo repack -q -adf --depth=50 --window=50
git -C repo prune-packed
commits 101 120 # loose objects next to the pack
[ -n "$(find repo/.git/objects -path '*/[0-9a-f][0-9a-f]/*' -type f | head -1)" ] || fail "no loose objects"

# every blob once, as a file named by its id
mkdir blobs
git -C repo cat-file --batch-all-objects --batch-check='%(objecttype) %(objectname)' |
  awk '$1 == "blob" { print $2 }' >blob-ids
[ "$(lines blob-ids)" -gt 150 ] || fail "only $(lines blob-ids) blobs"
while read -r id; do git -C repo cat-file blob "$id" >"blobs/$id"; done <blob-ids

rows() { # FILE KIND: one sorted line per finding
  python3 - "$1" "$2" <<'PY'
import json, os, sys
out = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    blob = r["object"] if sys.argv[2] == "history" else os.path.basename(r["path"])
    out.append("%s %s %d %d %d %d %s" % (blob, r["rule_id"], r["start"], r["end"], r["line"], r["column"],
                                         json.dumps(r["secret"])))
print("\n".join(sorted(out)))
PY
}
R=(--format jsonl --no-progress --show-test-keys)
ks scan "${R[@]}" -j 1 blobs; expect_rc 1 "the blobs as files"
rows "$T/out" files >want
[ "$(lines want)" -ge 100 ] || fail "only $(lines want) findings in the blobs"
cut -d' ' -f2 want | sort -u >rules-found
for r in github.pat.classic aws.access_key_id slack.bot_token; do
  grep -qx "$r" rules-found || fail "no $r finding among the blobs: $(tr '\n' ' ' <rules-found)"
done
grep -q "PRIVATE" rules-found || grep -q "private_key" rules-found || fail "no private key found: $(tr '\n' ' ' <rules-found)"
for j in 1 3; do
  ks git "${R[@]}" -j $j repo; expect_rc 1 "history, -j$j"
  rows "$T/out" history >got
  diff want got >diff.txt || fail "history -j$j differs from the blobs (< blobs only, > history only): $(head -20 diff.txt)"
  cp "$T/out" "one-lane-j$j.jsonl"
  ks git "${R[@]}" -j $j --archive-threads 3 repo; expect_rc 1 "history, -j$j, 3 lanes"
  cmp -s "one-lane-j$j.jsonl" "$T/out" || fail "history -j$j on 3 lanes is not what one lane gives, in its order"
done
echo "ok: $(lines want) findings in $(lines blob-ids) blobs, the same from history:" $(cut -d' ' -f2 want | sort | uniq -c)
