#!/usr/bin/env bash
# t_gitleaks_rules: --rules FILE.toml imports a Gitleaks configuration rule by rule: failures named, secretGroup, paths, allowlists.
. "$(dirname "$0")/lib.sh"

cat > gitleaks.toml <<'TOML'
title = "e2e gitleaks config"

[extend]
useDefault = true

[allowlist]
description = "global"
paths = ['''(?:^|/)vendor/''']
stopwords = ["placeholder"]

[[rules]]
id = "acme-key"
description = "Acme API key"
regex = '''(?i)acme[_-]?key\s{0,3}=\s{0,3}["']?(ACME_[A-Z0-9]{16})["']?'''
entropy = 3
keywords = ["acme"]
tags = ["api"]

[[rules]]
id = "zeta-token"
description = "Zeta token in PHP files"
regex = '''(zeta|ZETA)_tok=([a-z0-9]+)'''
secretGroup = 2
path = '''\.php$'''

[[rules]]
id = "needs-lookahead"
regex = '''lookahead(?=ahead)'''

[[rules]]
id = "keystore-file"
path = '''\.jks$'''

[[rules]]
id = "omega-token"
regex = '''omega=([A-Z]{10})'''
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''# test fixture''']
TOML

mkdir -p src vendor/lib
echo 'acme_key = "ACME_K7Q2M9X4B8N1V5C3"' > src/config.txt
echo 'acme_key = "ACME_K7Q2M9X4B8N1V5C3"' > vendor/lib/config.txt            # global allowlist path
echo 'zeta_tok=s3cr3tvalue42' > src/app.php
echo 'zeta_tok=s3cr3tvalue42' > src/app.txt                                # the rule applies to *.php only
printf 'omega=ABCDEFGHIJ\nomega=KLMNOPQRST  # test fixture\n' > src/omega.txt
echo 'acme_key = "ACME_PLACEHOLDER12345"' > src/sample.txt                # global stopword

ks scan --no-builtin-rules --rules gitleaks.toml --format jsonl src vendor
expect_rc 1 "findings"
expect_err "gitleaks.toml:26: rule 'needs-lookahead': not loaded: Vectorscan rejects the regex"
expect_err "gitleaks.toml:30: rule 'keystore-file': not loaded: path-only rule"
expect_err "gitleaks.toml: loaded 3 of 5 Gitleaks rules; 2 not loaded (above)"
expect_err "gitleaks.toml:4: note: [extend] useDefault is ignored"
[ "$(lines "$T/out")" -eq 3 ] || fail "expected 3 findings, got $(lines "$T/out")"
python3 - "$T/out" <<'PY' || fail "findings differ"
import json, sys
got = sorted((f["rule_id"], f["path"], f["secret"], f["line"]) for f in map(json.loads, open(sys.argv[1])))
want = sorted([
    ("acme-key", "src/config.txt", "ACME_K7Q2M9X4B8N1V5C3", 1),
    ("zeta-token", "src/app.php", "s3cr3tvalue42", 1),
    ("omega-token", "src/omega.txt", "ABCDEFGHIJ", 1),
])
assert got == want, got
PY

# The same rules through `rules list`.
ks rules list --no-builtin-rules --rules gitleaks.toml
expect_rc 0 "rules list"
expect_out "acme-key"
expect_out "3 rules"

# Malformed TOML stops before scanning, naming file and line.
printf '[[rules]]\nid = "a"\nregex = """abc\n' > broken.toml
ks scan --no-builtin-rules --rules broken.toml src
expect_rc 2 "malformed TOML"
expect_err "broken.toml:3: TOML error: unterminated string"

# A configuration none of whose rules can run is an error too.
printf '[[rules]]\nid = "backref"\nregex = "(a)\\\\1"\n' > none.toml
ks scan --no-builtin-rules --rules none.toml src
expect_rc 2 "no loadable rule"
expect_err "rule 'backref': not loaded: Vectorscan rejects the regex"
echo PASS
