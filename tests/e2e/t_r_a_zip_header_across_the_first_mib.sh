#!/usr/bin/env bash
# t_r_a_zip_header_across_the_first_mib: a zip after a launch script whose first local header began just before 1 MiB,
# its name running past it, was not taken when the zip was looked for by that header (standard input, a member of an
# archive, the library's container stream): its deflated member was scanned compressed, its key lost, exit 0.
# KS_CONTAINER_LEAD_READ bytes are now read, so a header that begins in the first MiB is whole.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules rules.yml --format jsonl --no-progress)
python3 - <<'PY'
import io, os, sys, zipfile
sys.path.insert(0, os.environ["KS_SOURCE_DIR"] + "/tests/e2e")
import archives
lead = b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n"
lead += b"#" * ((1 << 20) - 100 - len(lead) - 1) + b"\n"            # the zip begins 100 bytes before 1 MiB
name = "BOOT-INF/classes/" + "d" * 180 + "/application.properties"    # its header runs past 1 MiB
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(name, b"spring.main.banner-mode=off\napp.key=KSTEST_ACROSSTHEFIRSTMB\n" * 3)
open("app.run", "wb").write(lead + b.getvalue())
open("layer.tar", "wb").write(archives.tar([("opt/app.run", lead + b.getvalue())]))
PY
check() { # $1: what; the key three times, in the zip's member, at line 2
  python3 - "$T/out" "$1" <<'PY' || fail "$1: $(cat "$T/out")"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
assert len(got) == 3 and all(g["object"].endswith("/application.properties") and g["secret"] == "KSTEST_ACROSSTHEFIRSTMB"
                             for g in got), got
assert sorted(g["line"] for g in got) == [2, 4, 6], got
PY
}
ks scan "${R[@]}" app.run; expect_rc 1 "a file (by its end record)"; check file
ks_from app.run scan "${R[@]}" -; expect_rc 1 "standard input"; check stdin
ks scan "${R[@]}" layer.tar; expect_rc 1 "a member"; check member
if [ -x "${KS_LIBSCAN:-}" ]; then
  set +e; "$KS_LIBSCAN" --rules rules.yml app.run >"$T/out" 2>"$T/err"; rc=$?; set -e
  expect_rc 0 "the library's container stream (ks_libscan: 0 unless it failed)"; check library
fi
echo PASS
