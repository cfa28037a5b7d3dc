#!/usr/bin/env bash
# t_shard: --shard K/N for K in 0..N-1 partitions the files: the shards' findings together equal one full scan,
# no file is in two shards, and a file's shard depends only on its path relative to the root.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
mkdir -p tree
for i in $(seq 1 60); do
  mkdir -p "tree/d$((i % 7))/e$((i % 3))"
  printf 'n%d = %s\n' "$i" "$TOKEN" > "tree/d$((i % 7))/e$((i % 3))/f$i.txt"
done
ks scan "${R[@]}" tree; expect_rc 1 "full scan"
sort "$T/out" > full.jsonl
[ "$(lines full.jsonl)" = 60 ] || fail "expected 60 findings in the full scan"
: > union.jsonl
for k in 0 1 2; do
  ks scan "${R[@]}" --shard "$k/3" tree
  [ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "shard $k/3 failed with $rc"
  n=$(lines "$T/out")
  [ "$n" -gt 0 ] && [ "$n" -lt 60 ] || fail "shard $k/3 has $n of 60 files: not a share"
  expect_err "in other shards"
  cat "$T/out" >> union.jsonl
done
sort union.jsonl > union.sorted
cmp -s full.jsonl union.sorted || fail "the shards together differ from the full scan"
[ "$(sort -u union.sorted | wc -l)" = 60 ] || fail "a file was scanned by two shards"

# the same shard from another place in the file system picks the same files
ks scan "${R[@]}" --shard 1/3 tree; sed 's/"path":"tree\//"path":"/' "$T/out" | sort > rel.jsonl
ks scan "${R[@]}" --shard 1/3 "$T/tree"; sed "s|\"path\":\"$T/tree/|\"path\":\"|" "$T/out" | sort > abs.jsonl
python3 - rel.jsonl abs.jsonl <<'PY' || fail "the shard depends on how the root is named"
import json, sys
a = sorted(json.loads(l)["path"] for l in open(sys.argv[1]))
b = sorted(json.loads(l)["path"] for l in open(sys.argv[2]))
assert a == b and a, (a, b)
PY
ks scan "${R[@]}" --shard 0/1 tree; expect_rc 1 "0/1 is everything"; [ "$(lines "$T/out")" = 60 ] || fail "0/1 missed files"
for bad in 3/3 1 a/3 1/0 -1/3 1/3x; do
  ks scan "${R[@]}" --shard "$bad" tree; expect_rc 2 "--shard $bad"; expect_err "--shard"
done
echo PASS
