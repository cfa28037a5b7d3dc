#!/usr/bin/env bash
# t_exported_symbols (issue 12): libkeysweep.so exports exactly the functions include/keysweep.h declares,
# each under the KEYSWEEP_0 version node; no ks__ internal and no helper leaks.
. "$(dirname "$0")/lib.sh"
SRC=${KS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
lib="${KS_BUILD_DIR:-}/libkeysweep.so"
[ -f "$lib" ] && command -v nm >/dev/null || { echo "SKIP: no libkeysweep.so or nm"; exit 77; }
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort > exported
grep -v '^#' "$SRC/include/keysweep.h" | grep -o 'KS_API [^(]*(' | sed 's/.*[ *]\([a-z_0-9]*\)($/\1/' | sort > declared
[ -s declared ] || fail "could not read the declarations of keysweep.h"
sed 's/@.*//' exported | grep -v '^KEYSWEEP_0$' > exported.names
diff declared exported.names >"$T/out" || fail "exported and declared symbols differ (< declared only, > exported only)"
grep -v '@@KEYSWEEP_0$' exported | grep -v '^KEYSWEEP_0$' && fail "symbols without the KEYSWEEP_0 version"
echo PASS
