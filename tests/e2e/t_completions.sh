#!/usr/bin/env bash
# t_completions (issue 17): `keysweep completion bash|zsh|fish` completes commands, every option each command's
# --help lists (git's revision options only under git), --format's formats and the values of --color, --io and
# --archive-limits, and files where a file goes; bash's and fish's are run as the shells run them (fish's
# `complete -C`), zsh's is checked for syntax and for the _arguments specs it hands zsh.
. "$(dirname "$0")/lib.sh"

# every --option a command's help lists, one a line
help_options() { "$KEYSWEEP" "$@" --help | grep -oE -- '^  (-[a-zA-Z], )?--[a-z][a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort -u || true; }

ks completion bash; expect_rc 0 "bash"
cp "$T/out" keysweep.bash
# bc WORDS...: what bash completes for the last word of "keysweep WORDS..." (empty last word: after a space)
bc() {
  bash -c 'source "$1"; shift; COMP_WORDS=(keysweep "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _keysweep
           printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$T/keysweep.bash" "$@"
}
[ "$(bc '' | tr '\n' ' ')" = "--help --version completion git help rules scan " ] || fail "bash: commands: $(bc '')"
[ "$(bc scan --fo | tr '\n' ' ')" = "--follow --format " ] || fail "bash: scan --fo: $(bc scan --fo)"
[ "$(bc scan --format '' | tr '\n' ' ')" = "csv gitleaks json jsonl junit sarif text trufflehog " ] ||
  fail "bash: formats: $(bc scan --format '')"
[ "$(bc scan --color a | tr '\n' ' ')" = "always auto " ] || fail "bash: --color"
[ "$(bc git --archive-limits w)" = "warn" ] || fail "bash: --archive-limits"
[ "$(bc rules c)" = "check" ] || fail "bash: rules subcommands"
[ "$(bc completion '' | tr '\n' ' ')" = "bash fish zsh " ] || fail "bash: shells"
mkdir -p dir && : > dir/report.sarif
[ "$(bc scan -q --output dir/re)" = "dir/report.sarif" ] || fail "bash: --output completes files"
[ "$(bc scan dir/r)" = "dir/report.sarif" ] || fail "bash: paths complete as files"
[ -z "$(bc scan --threads '')" ] || fail "bash: --threads offered something"
# every option of each command's help, and git's revision options only under git
for cmd in scan git "rules list"; do
  set -- $cmd
  got=$(bc "$@" -- | grep -v '^--$' | sort -u)
  want=$(help_options "$@")
  # keysweep git takes every option of scan too, as its help says
  [ "$1" != git ] || want=$( (help_options git; help_options scan) | sort -u)
  # rules' help gives its options in its usage lines
  [ "$1" != rules ] || want=$( ("$KEYSWEEP" rules --help | grep -oE -- '--[a-z][a-z0-9-]+'; echo --help) | sort -u)
  [ "$got" = "$want" ] || fail "bash: $cmd: options differ from its --help: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
done
bc scan --sta | grep -q . && fail "bash: scan offers --staged, which only keysweep git takes"
[ "$(bc git --sta)" = "--staged" ] || fail "bash: git --staged"

# fish, as fish completes a command line
if command -v fish >/dev/null; then
  ks completion fish; expect_rc 0 "fish"
  cp "$T/out" keysweep.fish
  fish -n keysweep.fish || fail "fish: syntax"
  fc() { fish -c 'source $argv[1]; complete -C "$argv[2]"' "$T/keysweep.fish" "$1" | cut -f1 | sort | tr '\n' ' '; }
  [ "$(fc 'keysweep ')" = "completion git help rules scan " ] || fail "fish: commands: $(fc 'keysweep ')"
  [ "$(fc 'keysweep --')" = "--help --version " ] || fail "fish: top options: $(fc 'keysweep --')"
  [ "$(fc 'keysweep scan --form')" = "--format " ] || fail "fish: --form: $(fc 'keysweep scan --form')"
  [ "$(fc 'keysweep git --format j')" = "json jsonl junit " ] || fail "fish: formats: $(fc 'keysweep git --format j')"
  [ -z "$(fc 'keysweep scan --stag')" ] || fail "fish: scan offers --staged"
  [ "$(fc 'keysweep git --stag')" = "--staged " ] || fail "fish: git --staged"
else
  echo "fish not installed: its part skipped (scripts/install-deps installs it)"
fi

# zsh: syntax, and the specs _keysweep gives _arguments (zsh's completion system itself needs a terminal)
if command -v zsh >/dev/null; then
  ks completion zsh; expect_rc 0 "zsh"
  cp "$T/out" _keysweep
  head -1 _keysweep | grep -qx '#compdef keysweep' || fail "zsh: not a #compdef file"
  zsh -n _keysweep || fail "zsh: syntax"
  specs=$(zsh -c '_arguments() { print -rl -- "$@" }; compadd() { print -rl -- "$@" }
                  words=(keysweep scan --f); CURRENT=3; source ./_keysweep')
  grep -qxF -- "--format:format:(text jsonl json sarif trufflehog gitleaks csv junit)" <<<"$specs" || fail "zsh: --format spec: $specs"
  grep -qxF -- "--output:output:_files" <<<"$specs" || fail "zsh: --output spec"
  grep -qxF -- "--redact=-" <<<"$specs" || fail "zsh: --redact takes =N"
  grep -qxF -- "--staged" <<<"$specs" && fail "zsh: scan offers --staged"
  [ "$(grep -c '^--' <<<"$specs")" = "$(help_options scan | wc -l)" ] || fail "zsh: scan's options differ from its --help"
else
  echo "zsh not installed: its part skipped (scripts/install-deps installs it)"
fi

# mistakes
ks completion; expect_rc 2 "no shell"
ks completion tcsh; expect_rc 2 "unknown shell"; expect_err "unknown shell 'tcsh'"
ks completion bash zsh; expect_rc 2 "two shells"
echo PASS
