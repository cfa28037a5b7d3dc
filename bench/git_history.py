#!/usr/bin/env python3
"""bench/git_history.py: git history in the perf suite. Builds a repository reproducibly (a source tree committed,
then changed over many commits by edits, renames, deletes and adds, with secrets planted and removed again, then
`git gc`), or takes real ones (--git-repo); times a full-history `keysweep scan` of each against
`git cat-file --batch-all-objects --batch --unordered > /dev/null` (the same blob bytes, only printed) and against
`git log -p --all | keysweep scan -` (what a `git log` scanner pays), runs alternating; reports blobs/s, unique blob
bytes/s, peak RSS and thread scaling, and checks that every planted secret is found. Prints one JSON object."""
import argparse
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import zlib

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
# fixed identities and clock: the same inputs give the same object ids
IDENT = {"GIT_AUTHOR_NAME": "Bench Author", "GIT_AUTHOR_EMAIL": "bench@example.org",
         "GIT_COMMITTER_NAME": "Bench Author", "GIT_COMMITTER_EMAIL": "bench@example.org"}
EPOCH = 1700000000


def log(msg):
    print("bench git: " + msg, file=sys.stderr, flush=True)


def github_pat(rng):
    """A classic GitHub token whose CRC32 tail is right, so the built-in rule reports it as a real one."""
    body = "".join(rng.choice(B62) for _ in range(30))
    crc, tail = zlib.crc32(body.encode()), ""
    for _ in range(6):
        tail, crc = B62[crc % 62] + tail, crc // 62
    return "ghp_" + body + tail


def source_files(roots, limit):
    """Regular files under roots, in a fixed order, up to `limit` bytes: (path in the repository, bytes)."""
    out, total = [], 0
    for root in roots:
        base = os.path.dirname(os.path.abspath(root))
        for d, dirs, files in os.walk(root):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(d, f)
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                size = os.path.getsize(p)
                if total + size > limit:
                    return out
                out.append((os.path.relpath(p, base), p))
                total += size
    return out


def fast_import_stream(w, files, commits, rng):
    """Writes a git fast-import stream to w; returns the planted secrets [(token, path, commit number)]."""
    mark = [0]

    def blob(data):
        mark[0] += 1
        w.write(b"blob\nmark :%d\ndata %d\n" % (mark[0], len(data)))
        w.write(data)
        w.write(b"\n")
        return mark[0]

    def commit(n, msg, ops):
        w.write(b"commit refs/heads/main\n")
        when = b"%d +0000" % (EPOCH + n * 3600)
        w.write(b"author Bench Author <bench@example.org> " + when + b"\n")
        w.write(b"committer Bench Author <bench@example.org> " + when + b"\n")
        m = msg.encode()
        w.write(b"data %d\n%s\n" % (len(m), m))
        for op in ops:
            w.write(op)
        w.write(b"\n")

    content, paths, src = {}, [], dict(files)

    def current(path):
        """A file's bytes now: changed ones are kept, the others read again from the source tree."""
        if path not in content:
            with open(src[path], "rb") as f:
                content[path] = f.read()
        return content[path]

    ops = []
    for rel, p in files:
        with open(p, "rb") as f:
            data = f.read()
        ops.append(b"M 100644 :%d %s\n" % (blob(data), rel.encode()))
        paths.append(rel)
    commit(0, "import the tree", ops)
    planted, pending = [], []  # pending: (commit number to delete at, path)
    for n in range(1, commits + 1):
        ops, msg = [], []
        for _ in range(rng.randint(1, 6)):
            k = rng.random()
            i = rng.randrange(len(paths))
            path = paths[i]
            if k < 0.75:  # edit: a line inserted somewhere
                lines = current(path).split(b"\n")
                at = rng.randrange(len(lines) + 1)
                lines.insert(at, b"/* change %d.%d */" % (n, rng.randrange(1 << 30)))
                content[path] = b"\n".join(lines)
                ops.append(b"M 100644 :%d %s\n" % (blob(content[path]), path.encode()))
                msg.append("edit " + path)
            elif k < 0.85:  # rename
                new = path + ".renamed%d" % n
                ops.append(b"R %s %s\n" % (path.encode(), new.encode()))
                paths[i] = new
                content[new] = current(path)
                del content[path]
                msg.append("rename " + path)
            elif k < 0.93 and len(paths) > 100:  # delete
                ops.append(b"D %s\n" % path.encode())
                paths.pop(i)
                content.pop(path, None)
                msg.append("delete " + path)
            else:  # add: a new file
                new = "added/f%d_%d.txt" % (n, rng.randrange(1 << 20))
                content[new] = ("\n".join("line %d of a file added in commit %d" % (j, n)
                                          for j in range(rng.randint(5, 200)))).encode()
                ops.append(b"M 100644 :%d %s\n" % (blob(content[new]), new.encode()))
                paths.append(new)
                msg.append("add " + new)
        if n % 100 == 50:  # plant a secret, removed again two commits later
            tok = github_pat(rng)
            path = "config/deploy_%d.env" % n
            ops.append(b"M 100644 :%d %s\n" % (blob(b"# deploy settings\nGITHUB_TOKEN=%s\n" % tok.encode()),
                                               path.encode()))
            planted.append({"token": tok, "path": path, "commit": n})
            pending.append((n + 2, path))
            msg.append("add deploy settings")
        for when, path in [p for p in pending if p[0] == n]:
            ops.append(b"D %s\n" % path.encode())
            pending.remove((when, path))
            msg.append("remove " + path)
        commit(n, "; ".join(msg), ops)
    return planted


def generate(cache, roots, limit, commits, seed=1):
    """The generated repository (bare, gc'ed), built once per parameters and cached."""
    name = "git-gen-%d-%d-%d" % (limit >> 20, commits, seed)
    dest = os.path.join(cache, name)
    repo, meta = os.path.join(dest, "repo.git"), os.path.join(dest, "planted.json")
    if os.path.exists(meta):
        return repo, json.load(open(meta))
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    files = source_files(roots, limit)
    log("generating %s: %d files, %d commits" % (repo, len(files), commits))
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo], check=True)
    p = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    planted = fast_import_stream(p.stdin, files, commits, random.Random(seed))
    p.stdin.close()
    if p.wait():
        raise RuntimeError("git fast-import failed for " + repo)
    # git gc: deltas against the history as git itself stores it
    subprocess.run(["git", "-C", repo, "gc", "-q", "--prune=now"], check=True)
    json.dump(planted, open(meta, "w"))
    return repo, planted


def timed(cmd, stdout=subprocess.DEVNULL, shell=False):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, shell=shell)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace")
    rc = os.waitstatus_to_exitcode(status)
    return secs, ru.ru_maxrss, rc, err


def blob_stats(repo):
    """Unique blobs and their bytes, as git counts them."""
    out = subprocess.run(["git", "-C", repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
                         capture_output=True, text=True, check=True).stdout
    n = b = 0
    for line in out.splitlines():
        t, s = line.split()
        if t == "blob":
            n, b = n + 1, b + int(s)
    commits = int(subprocess.run(["git", "-C", repo, "rev-list", "--all", "--count"], capture_output=True, text=True,
                                 check=True).stdout)
    pack = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(repo, "objects")) for f in fs)
    return n, b, commits, pack


def walk_scaling(bench_git, repo, threads, reps):
    """The pack walk alone (bench_git: every blob resolved, nothing scanned) on 1 lane and on min(8, threads):
    how unique blob bytes per second scale when delta trees are cut across lanes."""
    lanes = max(2, min(8, threads))
    one, many = [], []
    for _ in range(reps):
        for n, acc in ((1, one), (lanes, many)):
            p = subprocess.run([bench_git, "--lanes", str(n), repo], capture_output=True, text=True)
            if p.returncode:
                raise RuntimeError("bench_git --lanes %d %s failed: %s" % (n, repo, p.stderr))
            acc.append(json.loads(p.stdout)["seconds"])
    a, b = statistics.median(one), statistics.median(many)
    log("%s: pack walk alone %.2f s on 1 lane, %.2f s on %d: %.2fx" % (os.path.basename(repo.rstrip("/")), a, b,
                                                                      lanes, a / b))
    return {"walk_lanes": lanes, "walk_1_s": one, "walk_n_s": many, "walk_lanes_scaling": a / b}


def measure(ks, repo, threads, reps, gitlog, planted, cache_env, bench_git=None):
    blobs, blob_bytes, commits, pack = blob_stats(repo)
    log("%s: %d commits, %d blobs, %.1f MB of blobs, %.1f MB on disk" % (repo, commits, blobs, blob_bytes / 1e6,
                                                                         pack / 1e6))
    res = {"repo": repo, "commits": commits, "blobs": blobs, "blob_bytes": blob_bytes, "disk_bytes": pack}
    catfile, scan, scan1, scanl, rss = [], [], [], [], 0
    findings = None
    # a pack's delta trees on several lanes (--archive-threads, at most 8): asked for explicitly, as they are off
    # by default; the findings must be the same, in the same order
    lanes = max(2, min(8, threads - 1))
    for _ in range(reps):
        # alternating, so that all three see the same moments of a shared machine
        s, _, rc, err = timed(["git", "-C", repo, "cat-file", "--batch-all-objects", "--batch", "--unordered"])
        if rc:
            raise RuntimeError("git cat-file failed on %s: %s" % (repo, err))
        catfile.append(s)
        out = tempfile.TemporaryFile()
        s, r, rc, err = timed([ks, "scan", "-q", "--format", "jsonl", "-j", str(threads), repo], stdout=out)
        if rc not in (0, 1):
            raise RuntimeError("keysweep scan %s failed (%d): %s" % (repo, rc, err))
        scan.append(s)
        rss = max(rss, r)
        out.seek(0)
        findings = [json.loads(l) for l in out.read().decode().splitlines() if l.strip()]
        if threads > 1:
            s, _, rc, err = timed([ks, "scan", "-q", "--format", "jsonl", "-j", "1", repo])
            scan1.append(s)
        out_l = tempfile.TemporaryFile()
        s, _, rc, err = timed([ks, "scan", "-q", "--format", "jsonl", "-j", str(threads), "--archive-threads",
                               str(lanes), repo], stdout=out_l)
        out_l.seek(0)
        if [json.loads(l) for l in out_l.read().decode().splitlines() if l.strip()] != findings:
            raise RuntimeError("keysweep scan %s on %d lanes: not the findings of one lane" % (repo, lanes))
        scanl.append(s)
    c, k = statistics.median(catfile), statistics.median(scan)
    res.update({"catfile_s": catfile, "scan_s": scan, "threads": threads, "peak_rss_kib": rss,
                "findings": len(findings), "scan_over_catfile": k / c,
                "blobs_per_s": blobs / k, "blob_bytes_per_s": blob_bytes / k})
    if scan1:
        k1 = statistics.median(scan1)
        res.update({"scan_t1_s": scan1, "scaling": k1 / k})
    res.update({"lanes": lanes, "scan_lanes_s": scanl, "lanes_speedup": k / statistics.median(scanl)})
    if gitlog:
        s, _, rc, err = timed("git -C '%s' log -p --all | '%s' scan -q -j %d -" % (repo, ks, threads), shell=True)
        if rc not in (0, 1):
            raise RuntimeError("git log -p | keysweep failed on %s: %s" % (repo, err))
        res.update({"gitlog_s": s, "gitlog_over_scan": s / k})
    if planted is not None:
        got = {}
        for f in findings:
            sec = f.get("secret") or f.get("match") or ""
            got[sec] = got.get(sec, 0) + 1
        once = sum(1 for p in planted if got.get(p["token"]) == 1)
        res.update({"planted": len(planted), "planted_found_once": once,
                    "planted_recall": once / len(planted) if planted else 1.0})
    log("%s: scan %.2f s (-j%d), cat-file %.2f s: %.3f of it; %.0f blobs/s, %.1f MB/s%s%s; peak RSS %.0f MiB" % (
        os.path.basename(repo.rstrip("/")), k, threads, c, k / c, blobs / k, blob_bytes / k / 1e6,
        "; git log -p | keysweep %.1f s (%.1fx)" % (res["gitlog_s"], res["gitlog_over_scan"]) if gitlog else "",
        "; -j1/-j%d %.2f" % (threads, res["scaling"]) if scan1 else "", rss / 1024))
    log("%s: with the pack's delta trees on %d lanes %.2f s: %.2fx (same findings)" % (
        os.path.basename(repo.rstrip("/")), lanes, statistics.median(scanl), res["lanes_speedup"]))
    if bench_git:
        res.update(walk_scaling(bench_git, repo, threads, reps))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("keysweep")
    ap.add_argument("--cache", required=True, help="where the generated repository is kept")
    ap.add_argument("--source", action="append", default=[], help="tree(s) the generated repository starts from")
    ap.add_argument("--source-bytes", type=int, default=64 << 20, help="bytes of the source taken (default 64 MiB)")
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--git-repo", action="append", default=[], help="a real repository to measure too")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-git-log", action="store_true", help="skip `git log -p | keysweep` on the real repositories")
    ap.add_argument("--bench-git", help="bench_git, to time the pack walk alone on 1 lane and on several")
    a = ap.parse_args()
    out = {"generated": None, "real": []}
    if a.source:
        repo, planted = generate(a.cache, a.source, a.source_bytes, a.commits)
        out["generated"] = measure(a.keysweep, repo, a.threads, a.reps, True, planted, None, a.bench_git)
    for r in a.git_repo:
        out["real"].append(measure(a.keysweep, os.path.abspath(r), a.threads, a.reps, not a.no_git_log, None, None,
                                   a.bench_git))
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
