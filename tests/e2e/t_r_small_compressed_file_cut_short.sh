#!/usr/bin/env bash
# t_r_small_compressed_file_cut_short: a stream that fails within its first 64 KiB out was taken for no stream (as
# libarchive takes it) and scanned as its compressed bytes without a word, so a small .gz cut short (a partial
# download, a log copied while it was written) lost every key in it, with exit 0. A .gz that is gzip for sure now
# gives what it holds up to the cut, and the cut is said; a .zst or .bz2 cut inside its first block (their libraries
# decode no part of a block) is said to be damaged. Written by the real gzip, zstd and bzip2; files and standard input.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
{ printf 'DB_HOST=db.internal\nAPI_KEY=KSTEST_GZ7CUT3SHORT9KEY\n'; seq -f 'SETTING_%g=on' 1 4000; } > app.env
gzip -9 -c app.env > app.env.gz
zstd -q -19 -c app.env > app.env.zst
bzip2 -9 -c app.env > app.env.bz2
for f in app.env.gz app.env.zst app.env.bz2; do
  head -c $(($(stat -c %s "$f") / 2)) "$f" > "cut.$f"
done
if gzip -dc cut.app.env.gz 2>/dev/null | cmp -s - app.env; then fail "gzip -d reads the cut .gz whole: not cut"; fi
ks scan "${R[@]}" cut.app.env.gz; expect_rc 1 cut.app.env.gz
expect_out '"object":"cut.app.env","start":28,'
expect_out '"secret":"KSTEST_GZ7CUT3SHORT9KEY"'
expect_err "cut.app.env.gz!cut.app.env: stopped: corrupt or truncated member: truncated gzip input"
ks_from cut.app.env.gz scan "${R[@]}" -; expect_rc 1 "cut.app.env.gz (stdin)"
expect_out '"secret":"KSTEST_GZ7CUT3SHORT9KEY"'
for z in zst bz2; do
  ks scan "${R[@]}" "cut.app.env.$z"; expect_rc 0 "cut.app.env.$z"
  expect_err "cut.app.env.$z: damaged, scanned as it is: "
  ks_from "cut.app.env.$z" scan "${R[@]}" -; expect_rc 0 "cut.app.env.$z (stdin)"
  expect_err "damaged, scanned as it is: "
done
echo PASS
