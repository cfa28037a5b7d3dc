#!/usr/bin/env bash
# t_equivalence (I3, T17-T20): sorted findings are byte-identical across threads x io backend x chunk size,
# on a corpus with tokens across chunk boundaries, repeated tokens, and tokens at the first and last byte.
. "$(dirname "$0")/lib.sh"
write_test_rules
python3 - "$TOKEN" <<'PY'
import os, random, sys
tok = sys.argv[1].encode()
random.seed(7)
os.makedirs("c/sub", exist_ok=True)
def filler(n):
    words = [b"int", b"x", b"=", b"0;", b"return", b"//", b"foo_bar", b"{", b"}"]
    out = bytearray()
    while len(out) < n:
        out += random.choice(words) + (b"\n" if random.random() < 0.15 else b" ")
    return out[:n]
for i, size in enumerate([0, len(tok), 4096, 4097, 65536, 65537, 300000, 1 << 20, (1 << 20) + 333, 2500000]):
    data = filler(size)
    spots = [0, max(0, size - len(tok))]
    for edge in (4096, 4097, 65536, 1 << 20):
        for k in range(1, 4):
            for d in (-len(tok) - 1, -len(tok) // 2, -1, 0, 1):
                spots.append(k * edge + d)
    for at in spots:
        if 0 <= at and at + len(tok) <= size:
            data[at:at + len(tok)] = tok
            if at > 0: data[at - 1:at] = b"\n"
            if at + len(tok) < size: data[at + len(tok):at + len(tok) + 1] = b" "
    if size > 100:  # the same token three times on one line
        data[50:50 + 3 * (len(tok) + 1)] = (tok + b" ") * 3
    with open(f"c/{'sub/' if i % 2 else ''}f{i}", "wb") as f:
        f.write(bytes(data))
PY
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl -q)
ks scan "${R[@]}" -j1 --io pread --chunk-size 1G c; expect_rc 1 "reference run"
sort "$T/out" > ref.jsonl
n=$(lines ref.jsonl)
[ "$n" -gt 50 ] || fail "reference found only $n"
# every finding's bytes are exactly the token (I2)
python3 - ref.jsonl "$TOKEN" <<'PY'
import json, sys
tok = sys.argv[2].encode()
for line in open(sys.argv[1]):
    r = json.loads(line)
    data = open(r["path"], "rb").read()
    assert data[r["start"]:r["end"]] == tok, r
    assert data[:r["start"]].count(b"\n") + 1 == r["line"], r
    assert r["start"] - (data.rfind(b"\n", 0, r["start"]) + 1) + 1 == r["column"], r
PY
for threads in 1 2 7; do
  for io in uring pread; do
    for chunk in 4096 4097 65536 default; do
      args=(-j "$threads" --io "$io")
      [ "$chunk" = default ] || args+=(--chunk-size "$chunk")
      ks scan "${R[@]}" "${args[@]}" c
      if [ "$rc" -eq 2 ] && [ "$io" = uring ] && grep -q "io_uring unavailable" "$T/err"; then continue; fi
      expect_rc 1 "threads=$threads io=$io chunk=$chunk"
      sort "$T/out" | cmp -s - ref.jsonl || fail "findings differ: threads=$threads io=$io chunk=$chunk"
    done
  done
done
echo PASS
