# lib.sh: shared helpers for the end-to-end tests: a fresh temporary tree, the binary under a hard timeout, assertions.
set -euo pipefail
: "${KEYSWEEP:?set KEYSWEEP to the keysweep binary}"
T=$(mktemp -d /tmp/ks-e2e.XXXXXX)
# Mounts a test made below $T (pseudo file systems among them) go first, so rm never walks into them.
cleanup() {
  local m
  for m in $(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo 2>/dev/null | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  chmod -R u+rwx "$T" 2>/dev/null || true
  rm -rf --one-file-system "$T"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$T/.cache"
# Not a CI job, wherever the suite runs (CI=false overrides every other CI variable): a scan without --format or -o
# writes what it writes on a workstation. t_ci_defaults sets CI variables on purpose.
export CI=false
cd "$T"

# hang_s SECONDS: a time limit that only catches hangs, never judges speed: a test that fails because the
# machine is busy is a false alarm. ctest passes KS_TIME_SCALE (sanitizer slowdown x KS_TEST_TIMEOUT_SCALE at
# configure time); run by hand, KS_TEST_TIMEOUT_SCALE alone stretches every limit.
hang_s() { echo $(( $1 * ${KS_TIME_SCALE:-${KS_TEST_TIMEOUT_SCALE:-1}} )); }

# ks ARGS...: runs keysweep under a hang detector; stdout to $T/out, stderr to $T/err, status in $rc.
ks() {
  set +e
  timeout -k 5 "$(hang_s "${KS_TIMEOUT:-300}")" "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  set -e
}

# ks_from FILE ARGS...: ks with FILE on standard input.
ks_from() {
  local in=$1
  shift
  set +e
  timeout -k 5 "$(hang_s "${KS_TIMEOUT:-300}")" "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err" <"$in"
  rc=$?
  set -e
}

# wait_until PID CMD...: polls until CMD succeeds (the process got that far); returns 1 if PID ends first or
# the hang limit passes. Tests wait for what they need instead of sleeping a guessed time.
wait_until() {
  local pid=$1 end=$((SECONDS + $(hang_s 300)))
  shift
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ $SECONDS -lt $end ] || return 1
    sleep 0.05
  done
}

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout:" >&2; head -c 3000 "$T/out" >&2 || true
  echo "--- stderr:" >&2; head -c 3000 "$T/err" >&2 || true
  exit 1
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "expected exit status $1, got $rc ($2)"; }
expect_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1'"; }
expect_out() { grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1'"; }
lines() { wc -l <"$1" | tr -d ' '; }

# A rule file used by most tests: tokens that never occur by accident.
write_test_rules() {
  cat >"$T/rules.yml" <<'YML'
rules:
  - id: e2e.token
    name: e2e test token
    pattern: '\b(?P<secret>KSTEST_[A-Z0-9]{16})\b'
    examples: ['KSTEST_ABCDEFGH12345678']
    negative_examples: ['KSTEST_short']
  - id: e2e.vmrss
    name: procfs line
    pattern: '(?m)^VmRSS:\s{1,20}[0-9]{1,12} kB'
YML
}
TOKEN=KSTEST_ABCDEFGH12345678

# write_sample_7z FILE: a 7z holding deep/creds.txt ("one\ntwo\nkey KSTEST_SEVENZIPPIPED001\n"), as libarchive's 7z
# writer writes it (Debian 12 has no 7z writer to make one with).
write_sample_7z() {
  base64 -d >"$1" <<'B64'
N3q8ryccAAOBFFwJLgAAAAAAAABQAAAAAAAAABUtNg4AN5uIzPbGYDHYTqlb0OK5YqRNuBBnjmaowrQcmyWO8d3J9Yl3RNztVf/4v/AAAQQGAAEJLgAHCwEAASMDAQEFXQAAgAAMJAAICgEVwvfdAAAFAREfAGQAZQBlAHAALwBjAHIAZQBkAHMALgB0AHgAdAAAABUGAQAggKSBAAA=
B64
}

# add_multi_line_rule: appends e2e.multi to rules.yml, a match over three lines (KSBEGIN, the secret: 8 capitals or
# digits, KSEND) with a description; lines written next to rules.yml continue the rule (references...).
add_multi_line_rule() {
  cat >>"$T/rules.yml" <<'YML'
  - id: e2e.multi
    name: multi-line block
    description: A block that spans three lines.
    pattern: 'KSBEGIN\n(?P<secret>[A-Z0-9]{8})\nKSEND'
YML
}
