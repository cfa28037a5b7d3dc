#!/usr/bin/env bash
# t_inline_allow: a finding whose line (any line of a multi-line match) contains keysweep:allow (or Gitleaks'
# gitleaks:allow, TruffleHog's trufflehog:ignore) is not reported,
# wherever the marker sits on the line and however long the file is; other lines still are; counts say why.
. "$(dirname "$0")/lib.sh"
write_test_rules
add_multi_line_rule
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
T2=KSTEST_ZZZZZZZZ00000000
mkdir d
{
  printf 'key = "%s"  # keysweep:allow\n' "$TOKEN"              # after the secret
  printf '// keysweep:allow\n'                                  # on the line above: not this line's
  printf 'other = "%s"\n' "$T2"                                  # reported
  printf '/* keysweep:allow */ k2 = %s\n' "$TOKEN"              # before the secret
  head -c 100000 /dev/zero | tr '\0' 'x'; printf '\n'            # a long line: the window moves
  printf 'KSBEGIN\nABCD1234\nKSEND keysweep:allow\n'             # on the last line of a multi-line match
  printf 'tail %s\n' "$T2"                                       # reported
} > d/f.txt
ks scan "${R[@]}" d; expect_rc 1 "two findings left"
python3 - "$T/out" "$T2" <<'PY' || fail "wrong findings reported"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["line"], r["secret"]) for r in rows] == [(3, sys.argv[2]), (9, sys.argv[2])], rows
PY
expect_err "2 findings, 3 allowed inline"

# Gitleaks' and TruffleHog's markers count as keysweep's: reviewed, not reported, counted as allowed
printf 'x = %s # gitleaks:allow\ny = %s // trufflehog:ignore\nz = %s # gitleaks:ignore\n' "$TOKEN" "$TOKEN" "$T2" > peers.txt
ks scan "${R[@]}" peers.txt; expect_rc 1 "peers' markers"
[ "$(lines "$T/out")" = 1 ] || fail "a finding on a gitleaks:allow or trufflehog:ignore line was reported"
expect_out "$T2"
expect_err "1 finding, 2 allowed inline"

# all allowed: exit 0
printf 'x = %s keysweep:allow\n' "$TOKEN" > ok.txt
ks scan "${R[@]}" ok.txt; expect_rc 0 "everything allowed"
[ ! -s "$T/out" ] || fail "an allowed finding was reported"

# stdin: the engine looks for the marker in the bytes it scans, so a pipe honours it like a file
printf 'x = %s keysweep:allow\ny = %s\n' "$TOKEN" "$T2" | (set +e; timeout "$(hang_s 300)" "$KEYSWEEP" scan "${R[@]}" - >"$T/out" 2>"$T/err"; echo $? >"$T/rc")
rc=$(cat "$T/rc"); expect_rc 1 "stdin"
expect_err "1 finding, 1 allowed inline"
expect_out "$T2"

# the same file through every chunk size, thread count and reader: the same decisions (the window crosses chunks)
for args in "-j1 --chunk-size 4096" "-j2 --chunk-size 4097 --io pread" "-j2 --chunk-size 65536"; do
  # shellcheck disable=SC2086
  ks scan "${R[@]}" $args d; expect_rc 1 "chunked: $args"
  expect_err "2 findings, 3 allowed inline"
done
echo PASS
