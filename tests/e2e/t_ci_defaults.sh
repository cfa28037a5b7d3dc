#!/usr/bin/env bash
# t_ci_defaults: in a CI job (CI=true or 1, GITHUB_ACTIONS, GITLAB_CI, ...) a scan given neither --format nor -o writes
# text with every secret redacted to stdout, and the summary to stderr; --format or -o gets exactly what it names;
# outside CI (and with CI=false, whatever else is set) stdout that is not a terminal gets jsonl, secrets in full.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --no-progress)
mkdir src && printf 'key = %s\n' "$TOKEN" > src/app.env
V=(CI CONTINUOUS_INTEGRATION GITHUB_ACTIONS GITLAB_CI BUILDKITE CIRCLECI JENKINS_URL TF_BUILD TRAVIS TEAMCITY_VERSION
   BITBUCKET_BUILD_NUMBER DRONE CODEBUILD_BUILD_ID APPVEYOR SEMAPHORE BITRISE_IO)
unset "${V[@]}"

# ci_ks ASSIGNMENTS... -- ARGS...: keysweep with exactly these CI variables set
ci_ks() {
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  set +e
  env "${vars[@]}" timeout -k 5 "$(hang_s 300)" "$KEYSWEEP" "$@" >"$T/out" 2>"$T/err" </dev/null
  rc=$?
  set -e
}
is_ci_text() { # the CI default: a text line, the secret redacted, and the summary on stderr
  expect_rc 1 "$1"
  [ "$(lines "$T/out")" -eq 1 ] || fail "$1: not one text line"
  grep -qF "src/app.env:1:7: e2e.token (e2e test token) [high]: REDACTED" "$T/out" || fail "$1: not redacted text"
  ! grep -qF "$TOKEN" "$T/out" "$T/err" || fail "$1: the secret reached the log"
  expect_err "1 finding;"
}
is_jsonl_clear() {
  expect_rc 1 "$1"
  python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["secret"] == sys.argv[2], r' \
    "$T/out" "$TOKEN" || fail "$1: not jsonl with the secret in full"
}

for v in CI=true CI=1 CI=TRUE GITHUB_ACTIONS=true GITLAB_CI=true BUILDKITE=true CIRCLECI=true \
         JENKINS_URL=https://ci.example.com/ TF_BUILD=True TRAVIS=true TEAMCITY_VERSION=2024.1; do
  ci_ks "$v" -- scan "${R[@]}" src; is_ci_text "$v"
done
# not CI: no variable, an empty one, CI=false or CI=0 (which win over the others)
ci_ks -- scan "${R[@]}" src; is_jsonl_clear "no CI variable"
ci_ks GITHUB_ACTIONS= -- scan "${R[@]}" src; is_jsonl_clear "GITHUB_ACTIONS empty"
ci_ks CI=false GITHUB_ACTIONS=true -- scan "${R[@]}" src; is_jsonl_clear "CI=false"
ci_ks CI=0 -- scan "${R[@]}" src; is_jsonl_clear "CI=0"
# -q: still redacted text, no summary
ci_ks CI=true -- scan "${R[@]}" -q src; expect_rc 1 "CI -q"; [ ! -s "$T/err" ] || fail "CI -q printed a summary"
grep -q 'REDACTED' "$T/out" || fail "CI -q: not redacted"

# an explicit --format or -o gets exactly what it asks for, in CI or not
for env in CI=true CI=false; do
  ci_ks "$env" -- scan "${R[@]}" --format jsonl src; is_jsonl_clear "$env --format jsonl"
  ci_ks "$env" -- scan "${R[@]}" --format text src; expect_rc 1 "$env --format text"
  expect_out "src/app.env:1:7: e2e.token (e2e test token) [high]: $TOKEN"
  rm -f r.jsonl r.sarif
  ci_ks "$env" -- scan "${R[@]}" -o r.jsonl src; expect_rc 1 "$env -o r.jsonl"
  python3 -c 'import json,sys; assert json.loads(open("r.jsonl").readline())["secret"] == sys.argv[1]' "$TOKEN" \
    || fail "$env -o r.jsonl: not the secret in full"
  ci_ks "$env" -- scan "${R[@]}" -o r.sarif src; expect_rc 1 "$env -o r.sarif"
  grep -qF "$TOKEN" r.sarif || fail "$env -o r.sarif: not what was asked for"
  # --redact=N is obeyed wherever the report goes
  ci_ks "$env" -- scan "${R[@]}" --format text --redact=50 src; expect_out ": KSTEST_ABCDE*****"
done
# in CI, the default's redaction gives way to an explicit --redact=N
ci_ks CI=true -- scan "${R[@]}" --redact=50 src; expect_rc 1 "CI --redact=50"; expect_out "[high]: KSTEST_ABCDE*****"
ci_ks CI=true -- scan "${R[@]}" --redact=0 src; expect_rc 1 "CI --redact=0"; expect_out "[high]: $TOKEN"
echo PASS
