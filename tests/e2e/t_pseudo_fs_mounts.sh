#!/usr/bin/env bash
# t_pseudo_fs_mounts (issue 11): proc, sysfs, tracefs, debugfs, cgroup2, devtmpfs and a bind mount of /proc inside a
# tree are skipped and counted as pseudo-fs, never entered (tracefs' trace_pipe would block a reader forever); a path
# inside one named explicitly is scanned; -x / --one-file-system also stays off a tmpfs mounted in the tree.
# Mounts are made in a private mount namespace, so none outlives the test.
if [ -z "${KS_IN_MOUNT_NS:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: mounting needs root"; exit 77; }
  KS_IN_MOUNT_NS=1 exec unshare --mount --propagation private bash "$0" "$@" \
    || { echo "SKIP: no private mount namespace here"; exit 77; }
fi
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir -p tree/sub
printf 'k = %s\n' "$TOKEN" > tree/sub/plain
mkdir tree/proc && mount -t proc proc tree/proc 2>/dev/null || { echo "SKIP: cannot mount procfs here"; exit 77; }
pseudo=1
try_mount() { # TYPE DIR [OPTIONS...]: mounts when this kernel and sandbox allow it, and counts it
  local type=$1 dir=$2; shift 2
  mkdir -p "$dir"
  if mount "$@" "$dir" 2>/dev/null || mount -t "$type" none "$dir" 2>/dev/null; then pseudo=$((pseudo + 1));
  else echo "note: cannot mount $type here; the test goes on without it"; rmdir "$dir"; fi
}
try_mount sysfs tree/sys -t sysfs sysfs
try_mount tracefs tree/sub/tracing -t tracefs nodev
try_mount debugfs tree/debug -t debugfs debugfs
try_mount cgroup2 tree/cgroup -t cgroup2 cgroup2
try_mount devtmpfs tree/dev -t devtmpfs devtmpfs
try_mount bind tree/sub/proc-again --bind /proc
mkdir tree/mem && mount -t tmpfs tmpfs tree/mem || fail "cannot mount a tmpfs"
printf 'k = %s\n' "$TOKEN" > tree/mem/in-tmpfs

# The walk skips every pseudo file system: no VmRSS line of any /proc/PID/status is found, nothing blocks.
ks scan "${R[@]}" tree;  expect_rc 1 "pseudo file systems in the tree"
expect_err "$pseudo pseudo-fs"
expect_err "; 0 errors"
grep -q e2e.vmrss "$T/out" && fail "a pseudo file system was entered: a /proc status file was scanned"
[ "$(grep -c e2e.token "$T/out")" -eq 2 ] || fail "expected the plain and the tmpfs finding, got: $(cat "$T/out")"

# An explicit path inside one is honoured: the user asked for it.
ks scan "${R[@]}" tree/proc/self/status;  expect_rc 1 "explicit procfs file"
expect_out '"rule_id":"e2e.vmrss"'
if [ -d tree/sys ]; then
  ks scan "${R[@]}" tree/sys/kernel;  [ "$rc" -le 2 ] || fail "explicit sysfs directory: status $rc"
  expect_err "files scanned"
fi

# -x and --one-file-system: the tmpfs is another file system; the pseudo ones are still counted as such.
for x in -x --one-file-system; do
  ks scan "${R[@]}" "$x" tree;  expect_rc 1 "$x"
  expect_err "$pseudo pseudo-fs, 1 other-fs"
  [ "$(grep -c e2e.token "$T/out")" -eq 1 ] || fail "$x: expected only the plain finding, got: $(cat "$T/out")"
  grep -q in-tmpfs "$T/out" && fail "$x crossed into the tmpfs"
done
# A root that is itself a mount is walked, -x or not.
ks scan "${R[@]}" -x tree/mem;  expect_rc 1 "-x with a mount as the root"
expect_out in-tmpfs
echo PASS
