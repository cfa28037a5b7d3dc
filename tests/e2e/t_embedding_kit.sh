#!/usr/bin/env bash
# t_embedding_kit: cmake --install lays out header, libraries, keysweep.pc and the man page; examples/stream_scan builds against them with pkg-config and streams a file.
. "$(dirname "$0")/lib.sh"
: "${KS_BUILD_DIR:?set KS_BUILD_DIR to the build directory}" "${KS_SOURCE_DIR:?set KS_SOURCE_DIR}"
CC=${CC:-cc}
# A sanitizer build's libkeysweep needs the sanitizer runtime in every program that links it; the
# plain build checks the kit, the sanitizer stage checks the library through the other tests.
if grep -q '^KS_SANITIZE:STRING=.' "$KS_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: sanitizer build"; exit 77
fi
for tool in cmake pkg-config "$CC"; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

P="$T/prefix"
cmake --install "$KS_BUILD_DIR" --prefix "$P" >"$T/install.log" 2>&1 || { cat "$T/install.log" >&2; fail "cmake --install failed"; }
pc=$(find "$P" -name keysweep.pc)
[ -n "$pc" ] || fail "no keysweep.pc installed"
libdir=$(dirname "$(dirname "$pc")")
[ "$libdir" = "$P/lib" ] || echo "note: libdir is $libdir"
for f in "$P/include/keysweep.h" "$libdir/libkeysweep.a" "$libdir/pkgconfig/keysweep.pc" \
         "$P/share/man/man1/keysweep.1" "$P/bin/keysweep"; do
  [ -f "$f" ] || fail "not installed: ${f#"$P"/}"
done
ls "$libdir"/libkeysweep.so* >/dev/null 2>&1 || fail "not installed: libkeysweep.so*"
[ -L "$libdir/libkeysweep.so" ] || fail "libkeysweep.so is not the development symlink"

# keysweep.pc is relocatable: it must point into this prefix, not the configured one.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(cd "$(pkg-config --variable=includedir keysweep)" && pwd -P)" = "$(cd "$P/include" && pwd -P)" ] \
  || fail "keysweep.pc includedir $(pkg-config --variable=includedir keysweep) is not in $P"
# (output captured first: with pipefail, `cmd | grep -q` fails when grep exits early and cmd gets SIGPIPE)
static_libs=$(pkg-config --static --libs keysweep)
grep -q -- '-lpthread' <<<"$static_libs" || fail "Libs.private lacks -lpthread"
grep -q -- '-lhs' <<<"$static_libs" || fail "Requires.private lacks libhs"

# The example, against the installed shared library.
src="$KS_SOURCE_DIR/examples/stream_scan.c"
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags keysweep) "$src" $(pkg-config --libs keysweep) \
  -Wl,-rpath,"$libdir" -o "$T/stream_scan" 2>"$T/cc.log" || { cat "$T/cc.log" >&2; fail "example does not build (shared)"; }
deps=$(ldd "$T/stream_scan")
grep -qF "$libdir/libkeysweep.so" <<<"$deps" || fail "example is not linked to the installed libkeysweep.so"

# And static: a copy of the prefix without the shared library, linked with --static, as the README says.
cp -a "$P" "$T/static-prefix"
rm -f "$T/static-prefix/${libdir#"$P"/}"/libkeysweep.so*
# shellcheck disable=SC2046
PKG_CONFIG_PATH="$T/static-prefix/${libdir#"$P"/}/pkgconfig" sh -c '
  "$0" -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags keysweep) "$1" $(pkg-config --libs --static keysweep) -o "$2"
' "$CC" "$src" "$T/stream_scan_static" 2>"$T/cc.log" || { cat "$T/cc.log" >&2; fail "example does not build (static)"; }
deps=$(ldd "$T/stream_scan_static" || true)
if grep -q libkeysweep <<<"$deps"; then fail "static example still needs libkeysweep.so"; fi

# A file with a known token; pieces of random size must not change what is found.
printf 'build:\n  env:\n    GITHUB_TOKEN=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\n' > ci.yml
expected='github.pat.classic offset=31 line=3 column=18 secret=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'
for prog in stream_scan stream_scan_static; do
  for args in "-m 1" "-m 3 -s 7" "-m 64 -s 12345" ""; do
    set +e
    # shellcheck disable=SC2086
    "$T/$prog" $args ci.yml >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    expect_rc 1 "$prog $args"
    [ "$(cat "$T/out")" = "$expected" ] || fail "$prog $args printed something else"
  done
done
set +e
"$T/stream_scan" -m 5 - <ci.yml >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_rc 1 "stdin"
[ "$(cat "$T/out")" = "$expected" ] || fail "stdin printed something else"
# An archive written into the stream is scanned as its members, each finding naming its member.
tar czf ci.tar.gz ci.yml
set +e
"$T/stream_scan" -m 7 ci.tar.gz >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_rc 1 "a tar.gz"
[ "$(cat "$T/out")" = "${expected/ offset=/ object=ci.yml offset=}" ] || fail "a tar.gz: the member's finding differs"
set +e
"$T/stream_scan" -b ci.tar.gz >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_rc 0 "a tar.gz as bytes (-b)"
echo 'nothing to see here' > clean.txt
set +e
"$T/stream_scan" clean.txt >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_rc 0 "clean file"
[ ! -s "$T/out" ] || fail "findings in a clean file"

# The tree-scan example: the library's walker and pipeline, with a counting allocator hook, find
# what the CLI finds in the same tree.
mkdir -p tree/sub/deeper && cp ci.yml tree/sub/deeper/ && cp clean.txt tree/ && ln -s /dev/zero tree/zero
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags keysweep) "$KS_SOURCE_DIR/examples/tree_scan.c" \
  $(pkg-config --libs keysweep) -Wl,-rpath,"$libdir" -o "$T/tree_scan" 2>"$T/cc.log" \
  || { cat "$T/cc.log" >&2; fail "tree_scan does not build"; }
for io in auto pread; do
  set +e
  "$T/tree_scan" -j 2 -i "$io" tree >"$T/out" 2>"$T/err"; rc=$?
  set -e
  expect_rc 1 "tree_scan -i $io"
  [ "$(cat "$T/out")" = "tree/sub/deeper/ci.yml:3:18 github.pat.classic" ] || fail "tree_scan -i $io printed something else"
  expect_err "2 files"
  expect_err "1 skipped"
  expect_err "0 errors"
done
set +e
"$T/tree_scan" tree/clean.txt >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_rc 0 "tree_scan on a clean file"

# The man page renders without warnings and names every option the commands' --help lists.
if command -v groff >/dev/null; then
  groff -man -Tascii -ww -z "$P/share/man/man1/keysweep.1" 2>"$T/groff.log"
  [ ! -s "$T/groff.log" ] || { cat "$T/groff.log" >&2; fail "groff warns about keysweep.1"; }
  groff -man -Tascii -P-cbou "$P/share/man/man1/keysweep.1" >"$T/man.txt"
  for cmd in "--help" "scan --help" "rules --help"; do
    # shellcheck disable=SC2086
    "$KEYSWEEP" $cmd 2>&1 | grep -oE -- '(^|[ [|,])--?[a-zA-Z][a-z-]*' | sed -E 's/^[ [|,]//' | sort -u |
      while read -r opt; do
        grep -qF -- "$opt" "$T/man.txt" || fail "keysweep.1 does not document $opt (from keysweep $cmd)"
      done
  done
fi
echo PASS
