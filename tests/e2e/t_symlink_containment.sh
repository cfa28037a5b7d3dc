#!/usr/bin/env bash
# t_symlink_containment (T6, T7, T8, T21): --follow never leaves the root; link graphs are walked once per directory; a file
# swapped for a symlink mid-scan never leaks the outside sentinel; a root named twice is scanned once.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
SENTINEL=KSTEST_OUTSIDE0SENTINEL
mkdir -p outside d/sub && printf '%s\n' "$SENTINEL" > outside/secret.txt && printf '%s\n' "$TOKEN" > d/sub/in.txt
ln -s "$T/outside/secret.txt" d/leak
ln -s "$T/outside" d/outdir
ln -s / d/rootlink
ks scan "${R[@]}" --follow d;  expect_rc 1 "follow with escaping links"
grep -q "$SENTINEL" "$T/out" && fail "a link outside the root was followed (T7)"
expect_err "d/leak: not followed: the link leads outside the scanned root"
expect_err "3 outside_root"
[ "$(lines "$T/out")" -eq 1 ] || fail "the file inside the root was not found"

# T6: six directories all linking to each other: linear in real directories
mkdir g
for i in 1 2 3 4 5 6; do mkdir "g/d$i"; printf '%s\n' "$TOKEN" > "g/d$i/f"; done
for i in 1 2 3 4 5 6; do for j in 1 2 3 4 5 6; do ln -s "../d$j" "g/d$i/l$j"; done; done
ks scan "${R[@]}" --follow g;  expect_rc 1 "exponential link graph"
[ "$(lines "$T/out")" -eq 6 ] || fail "expected each of 6 files once, got $(lines "$T/out")"
expect_err "loop"   # each directory is entered once; every other way in is a loop skip, not a walk

# T8: d2/f flips between a regular file and a symlink to the sentinel while scans run
mkdir d2 && printf 'x\n' > d2/f
( end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do
    ln -sf "$T/outside/secret.txt" d2/f.new && mv -f d2/f.new d2/f
    printf 'x\n' > d2/f.new && mv -f d2/f.new d2/f
  done ) &
flipper=$!
for i in $(seq 1 60); do
  ks scan "${R[@]}" d2
  grep -q "$SENTINEL" "$T/out" && { kill $flipper; fail "the sentinel leaked through a swapped symlink (T8)"; }
done
wait $flipper || true

# T21: the same root twice, and a hard link: content scanned once
ln d/sub/in.txt d/sub/hard.txt
ks scan "${R[@]}" d/sub d/sub ./d/sub;  expect_rc 1 "same root thrice"
[ "$(lines "$T/out")" -eq 1 ] || fail "expected one finding, got $(lines "$T/out")"
expect_err "named more than once: scanned once"
echo PASS
