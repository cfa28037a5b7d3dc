# lib.sh: shared helpers for the end-to-end tests: a fresh temporary tree, the binary under a hard timeout, assertions.
set -euo pipefail
: "${KEYSWEEP:?set KEYSWEEP to the keysweep binary}"
T=$(mktemp -d /tmp/ks-e2e.XXXXXX)
cleanup() { chmod -R u+rwx "$T" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
export XDG_CACHE_HOME="$T/.cache"
cd "$T"

# ks ARGS...: runs keysweep with a hard timeout; stdout to $T/out, stderr to $T/err, status in $rc.
ks() {
  set +e
  timeout -k 5 "${KS_TIMEOUT:-60}" "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  set -e
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
