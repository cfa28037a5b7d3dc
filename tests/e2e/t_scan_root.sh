#!/usr/bin/env bash
# t_scan_root (issue 11): `keysweep scan /` as root, with default options but a 1 MiB size cap (to stay cheap) and
# without the directories other tests churn, finishes with status 0 or 1: /proc, /sys and /dev are skipped as
# pseudo file systems, not read (before, /proc/PID/pagemap alone never ended) and not a storm of errors.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: scanning / is meaningful as root only"; exit 77; }
ex=(--exclude /tmp)                                   # other tests create and delete trees there meanwhile
[ -n "${KS_BUILD_DIR:-}" ] && ex+=(--exclude "$KS_BUILD_DIR")
# the checkout holds hostile inputs on purpose (fuzz seeds, and the perf suite's bombs in every build
# directory), which stop at their budgets and would rightly make the status 2
[ -n "${KS_SOURCE_DIR:-}" ] && ex+=(--exclude "$KS_SOURCE_DIR")
[ -d "$HOME/.cache/keysweep-bench" ] && ex+=(--exclude "$HOME/.cache/keysweep-bench")   # the perf suite's corpora
# Hostile archives anywhere on the machine (fuzz corpora and the perf suite's bombs in other
# checkouts) stop at their budgets, which by default makes the status 2, as it should: budgets have
# their own tests (t_containers, t_hostile_archives); here they are only reported.
# The history of every git repository the machine holds is work without a bound (a mirror of git/git alone is
# 8 GB of blobs): histories have their own tests (t_git_*), here the files are what is walked.
KS_TIMEOUT=1800 ks scan --max-file-size 1M --archive-limits warn --no-git-history --format jsonl "${ex[@]}" /
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "scan / ended with status $rc"
expect_err "; 0 errors"
if grep -Eq '^keysweep: /(proc|sys|dev)(/|:)' "$T/err"; then fail "diagnostics from a pseudo file system"; fi
if awk '$5 == "/proc" && $0 ~ / - proc /' /proc/self/mountinfo | grep -q .; then expect_err "pseudo-fs"; fi
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" || fail "invalid JSON Lines"
grep -q '"path":"/proc/' "$T/out" && fail "a finding from /proc: it was read"
echo PASS
