#!/usr/bin/env bash
# t_r_zstd_xz_damaged_in_a_frame: a .zst of several frames (`cat a.zst b.zst`, or a tool writing one per chunk) or
# several .xz streams one after another, damaged inside one, lost every frame after the damage, with nothing said of
# them. The frames after it are now read from the next frame's magic, as the member "[damaged@N]": a key in the last
# frame is found there, and the damage is said. Written by the real zstd and xz; files, standard input, a tar. A small
# .zst damaged in its one block's header (libzstd fails on its first call, before it said it took the frame's header)
# was scanned as its bytes with nothing said: a whole, right frame header at the start now says it is zstd. A note
# after a damaged last frame was lost: the bytes from the block that failed are now scanned as they are.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
for i in 1 2 3; do seq -f "part $i line %g of the log" 1 20000 > "part$i"; done
echo 'API_KEY=KSTEST_ZX7AFTER3DAMAGE9' >> part3
for tool in zstd xz; do
  z=$tool; [ "$tool" = zstd ] && z=zst
  for i in 1 2 3; do "$tool" -q -c "part$i" > "part$i.$z"; done
  cat part1.$z part2.$z part3.$z > "logs.$z"
  third=$(($(stat -c %s part1.$z) + $(stat -c %s part2.$z)))
  middle=$(($(stat -c %s part1.$z) + $(stat -c %s part2.$z) / 2))
  printf '\377%.0s' $(seq 64) | dd of="logs.$z" bs=1 seek="$middle" conv=notrunc status=none
  if "$tool" -dc "logs.$z" 2>/dev/null | grep -q KSTEST_ZX7AFTER3DAMAGE9; then fail "$z -d reads past the damage"; fi
  ks scan "${R[@]}" "logs.$z"; expect_rc 1 "logs.$z"
  expect_out "\"object\":\"[damaged@$third]!data\",\"start\":"
  expect_out '"secret":"KSTEST_ZX7AFTER3DAMAGE9"'
  expect_err "logs.$z!logs: stopped: corrupt or truncated member: $tool: "
  ks_from "logs.$z" scan "${R[@]}" -; expect_rc 1 "logs.$z (stdin)"
  expect_out "\"object\":\"[damaged@$third]!data\",\"start\":"
  tar cf "logs-$z.tar" "logs.$z"
  ks scan "${R[@]}" "logs-$z.tar"; expect_rc 1 "logs-$z.tar"
  expect_out "\"object\":\"logs.$z![damaged@$third]!data\",\"start\":"
done
# a note after a damaged last frame: the bytes from the block that failed are scanned as they are
zstd -q -c part1 > last.zst
printf '\377%.0s' $(seq 64) | dd of=last.zst bs=1 seek=$(($(stat -c %s last.zst) / 2)) conv=notrunc status=none
printf '\nnote KSTEST_NOTEAFTERDAMAGE7\n' >> last.zst
ks scan "${R[@]}" last.zst; expect_rc 1 last.zst
expect_out '"secret":"KSTEST_NOTEAFTERDAMAGE7"'
expect_out '"object":"[damaged@'
head -c 60000 part1 | zstd -q -c > small.zst
python3 - small.zst <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())  # its one block given the reserved type (RFC 8878's frame layout)
fhd = b[4]; single = (fhd >> 5) & 1
at = 5 + (not single) + [0, 1, 2, 4][fhd & 3] + ([0, 2, 4, 8][fhd >> 6] if fhd >> 6 else single)
b[at] |= 6
open(sys.argv[1], "wb").write(b)
PY
ks scan "${R[@]}" small.zst; expect_rc 0 small.zst
expect_err "small.zst: damaged, scanned as it is: zstd: "
echo PASS
