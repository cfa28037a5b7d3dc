#!/usr/bin/env bash
# t_r_xz_padding_memory_and_nested_crc (a review of keysweep's own xz decoder and the CRC note): text after an xz
# stream and 1 MiB of its zero padding was lost through a pipe, and the tar holding such a file stopped there (the
# end was placed before the padding, which had been read past); an xz that needs more than 256 MiB of decoder
# memory was scanned as its compressed bytes and nothing said (now: said, exit 2); a zip member that is itself a
# container and fails its CRC was not named as damaged.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import io, lzma, struct, tarfile, zipfile, gzip
xz = lzma.compress(b"in xz KSTEST_XZAAAAAAAAAAAAAA\n", format=lzma.FORMAT_XZ)
padded = xz + b"\0" * (1 << 20) + b"tail KSTEST_TAILAAAAAAAAAAAA\n"
open("padded.xz", "wb").write(padded)
t = tarfile.open("layer.tar", "w")
for name, data in (("a/padded.xz", padded), ("a/after.txt", b"after KSTEST_AFTERAAAAAAAAAAA\n")):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()
# `xz --lzma2=dict=300MiB` of one line: 84 bytes whose header asks for 385 MiB to decode
open("dict300.xz", "wb").write(bytes.fromhex(
    "fd377a585a000004e6d6b44602002101210000006cef19cee0001b00175d0035994b941f8c4e30e9c78c45cd633f8d432de11d3000"
    "000000dfb41372d7767ffb0001331c548cecc01fb6f37d010000000004595a"))
with zipfile.ZipFile("crc.zip", "w") as z:
    z.writestr("a.txt.gz", gzip.compress(b"gz KSTEST_GZAAAAAAAAAAAAAA\n"))
    z.writestr("b.txt", "b KSTEST_BBBBBBBBBBBBBBBB\n")
d = bytearray(open("crc.zip", "rb").read())
cd = d.index(b"PK\x01\x02")
d[14] ^= 1        # a.txt.gz's CRC, in its local header
d[cd + 16] ^= 1   # and in the central directory
open("crc.zip", "wb").write(bytes(d))
PY
TRAIL="[trailing@$((1048576 + $(python3 -c 'import lzma; print(len(lzma.compress(b"in xz KSTEST_XZAAAAAAAAAAAAAA\n", format=lzma.FORMAT_XZ)))')))]"
ks scan "${R[@]}" padded.xz; expect_rc 1 "xz, padding, text"
expect_out '"secret":"KSTEST_XZAAAAAAAAAAAAAA"'
expect_out "\"object\":\"$TRAIL\""
ks_from padded.xz scan "${R[@]}" -; expect_rc 1 "xz, padding, text, piped"
expect_out "\"object\":\"$TRAIL\""
ks scan "${R[@]}" layer.tar; expect_rc 1 "in a tar"
expect_out "\"object\":\"a/padded.xz!$TRAIL\""
expect_out '"object":"a/after.txt"'
ks scan "${R[@]}" dict300.xz; expect_rc 2 "an xz that needs 385 MiB"
expect_err "needs more than 256 MiB of memory"
ks scan "${R[@]}" --archive-limits warn dict300.xz; expect_rc 0 "--archive-limits warn"
ks scan "${R[@]}" crc.zip; expect_rc 1 "a gzip member that fails its CRC"
expect_err "a.txt.gz: damaged, scanned as it is"
expect_out '"object":"a.txt.gz!a.txt"'
expect_out '"object":"b.txt"'
echo PASS
