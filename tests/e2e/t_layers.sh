#!/usr/bin/env bash
# t_layers (issue 12): every #include points down the layer arrows (tests/check_layers.py), and a deliberate
# violation is caught twice: by the checker, and by the build, whose include paths grant only those arrows.
. "$(dirname "$0")/lib.sh"
SRC=${KS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -f "$SRC/tests/check_layers.py" ] || { echo "SKIP: sources not found"; exit 77; }
set +e; python3 "$SRC/tests/check_layers.py" "$SRC" >"$T/out" 2>&1; rc=$?; set -e
expect_rc 0 "the tree as it is"
expect_out " 0 violations"

# a copy with three violations: core reaching up into io, util reaching into the CLI by a relative path,
# the CLI reaching past the public API into the pipeline's private header
mkdir src && cp -r "$SRC"/{include,util,core,detectors,io,pipeline,cli} src/
sed -i '0,/#include "scanner_int.h"/s//#include "scanner_int.h"\n#include "reader.h"/' src/core/scan.c
sed -i '0,/#include "hash.h"/s//#include "hash.h"\n#include "..\/cli\/report.h"/' src/util/hash.c
sed -i '0,/#include "shard.h"/s//#include "shard.h"\n#include "pipeline_int.h"/' src/cli/scan_cmd.c
set +e; python3 "$SRC/tests/check_layers.py" src >"$T/out" 2>&1; rc=$?; set -e
expect_rc 1 "three violations"
expect_out "core/scan.c:"
expect_out "includes reader.h from io/: core may use only core, util and include/"
expect_out "util/hash.c:"
expect_out "includes ../cli/report.h from cli/"
expect_out "cli/scan_cmd.c:"
expect_out "includes pipeline_int.h from pipeline/: cli may use only cli, util and include/"
expect_out " 3 violations"

# the build refuses it too: core's include paths do not reach io/, the CLI's do not reach pipeline/
command -v cc >/dev/null && pkg-config --exists libhs libpcre2-8 || { echo PASS; exit 0; }
cflags=$(pkg-config --cflags libhs libpcre2-8)
# shellcheck disable=SC2086
cc -std=c11 -D_GNU_SOURCE -fsyntax-only -Isrc/include -Isrc/util -Isrc/core $cflags "$SRC/core/scan.c" \
  || fail "core/scan.c does not compile with core's include paths"
# shellcheck disable=SC2086
if cc -std=c11 -D_GNU_SOURCE -fsyntax-only -Isrc/include -Isrc/util -Isrc/core $cflags src/core/scan.c 2>"$T/err"; then
  fail "core/scan.c including reader.h compiled with core's include paths"
fi
expect_err "reader.h"
# shellcheck disable=SC2086
cc -std=c11 -D_GNU_SOURCE -fsyntax-only -Isrc/include -Isrc/util -Isrc/cli "$SRC/cli/scan_cmd.c" \
  || fail "cli/scan_cmd.c does not compile with the CLI's include paths"
if cc -std=c11 -D_GNU_SOURCE -fsyntax-only -Isrc/include -Isrc/util -Isrc/cli src/cli/scan_cmd.c 2>"$T/err"; then
  fail "cli/scan_cmd.c including pipeline_int.h compiled with the CLI's include paths"
fi
expect_err "pipeline_int.h"
echo PASS
