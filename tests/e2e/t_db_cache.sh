#!/usr/bin/env bash
# t_db_cache (issue 12): the library caches only where it is told to; the CLI tells it the usual place
# ($XDG_CACHE_HOME/keysweep, else ~/.cache/keysweep) unless --no-cache, or --cache-dir DIR.
. "$(dirname "$0")/lib.sh"
write_test_rules
R=(--no-builtin-rules --rules "$T/rules.yml" --format jsonl)
printf 'y = %s\n' "$TOKEN" > a.txt
ks scan "${R[@]}" a.txt; expect_rc 1 "first scan"
ls "$XDG_CACHE_HOME"/keysweep/db-*.hsdb >/dev/null 2>&1 || fail "the CLI did not cache under \$XDG_CACHE_HOME/keysweep"
export XDG_CACHE_HOME="$T/other-cache"
ks scan "${R[@]}" --no-cache a.txt; expect_rc 1 "--no-cache"
[ ! -e "$XDG_CACHE_HOME" ] || fail "--no-cache wrote $(find "$XDG_CACHE_HOME")"
ks scan "${R[@]}" --cache-dir "$T/mine" a.txt; expect_rc 1 "--cache-dir"
ls "$T"/mine/db-*.hsdb >/dev/null 2>&1 || fail "--cache-dir was not used"
[ ! -e "$XDG_CACHE_HOME" ] || fail "--cache-dir also wrote the default place"
unset XDG_CACHE_HOME
HOME="$T/home" ks scan "${R[@]}" a.txt; expect_rc 1 "no XDG_CACHE_HOME"
ls "$T"/home/.cache/keysweep/db-*.hsdb >/dev/null 2>&1 || fail "no cache under ~/.cache/keysweep"
echo PASS
