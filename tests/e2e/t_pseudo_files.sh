#!/usr/bin/env bash
# t_pseudo_files (T4): procfs files claim size 0 but are read to EOF.
. "$(dirname "$0")/lib.sh"
write_test_rules
ks scan --no-builtin-rules --rules "$T/rules.yml" --format jsonl /proc/self/status; expect_rc 1 "procfs"
expect_out '"rule_id":"e2e.vmrss"'
echo PASS
