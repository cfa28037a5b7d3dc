/* format_peers.c: findings in TruffleHog's `--json` lines and Gitleaks' JSON report, for pipelines built on those tools. */
#include <string.h>

#include "formats.h"
#include "output.h"
#include "peer_fp.h"

static void jstr(ks_strbuf *b, const char *s) { json_string(b, (const unsigned char *)s, strlen(s)); }

/* TruffleHog's proto enums (proto/sources.proto, proto/detectors.proto): a filesystem source, a git source, and
 * the detector type its user-defined regex detectors report, which is what a keysweep rule is. */
enum { TH_SOURCE_FILESYSTEM = 15, TH_SOURCE_GIT = 16, TH_SOURCE_STDIN = 40, TH_DETECTOR_CUSTOM_REGEX = 904 };

/* SourceMetadata of a git source: the commit that introduced the blob, the file in it, "Name <email>" and the
 * author date as TruffleHog writes them, the remote's URL (else the repository's path). */
static void trufflehog_git_source(ks_strbuf *b, const finding_view *f, const ks_git_origin *o)
{
    ks_strbuf t = {0};
    ks__sb_puts(b, "{\"SourceMetadata\":{\"Data\":{\"Git\":{\"commit\":");
    jstr(b, o->commit);
    ks__sb_puts(b, ",\"file\":");
    jstr(b, git_file(&t, f->git));
    t.len = 0;
    ks__sb_printf(&t, "%s <%s>", o->author, o->email);
    ks__sb_puts(b, ",\"email\":");
    json_string(b, (const unsigned char *)(t.s ? t.s : ""), t.len);
    const ks_git_repo_info *in = f->git->info;
    ks__sb_puts(b, ",\"repository\":");
    jstr(b, in && in->remote_url[0] ? in->remote_url : f->git->repository);
    char date[64];
    git_date_trufflehog(date, o);
    ks__sb_puts(b, ",\"timestamp\":");
    jstr(b, date);
    ks__sb_printf(b, ",\"line\":%llu}}},\"SourceID\":1,\"SourceType\":%d,\"SourceName\":\"trufflehog - git\"",
                  (unsigned long long)f->m->line, TH_SOURCE_GIT);
    if (t.oom)
        b->oom = 1;
    ks__sb_free(&t);
}

/* TruffleHog's DecoderName for the decoder that made the secret's bytes (the last of the chain):
 * its DecoderType names where it has one, else keysweep's name in capitals. */
static const char *trufflehog_decoder(const char *chain)
{
    if (!chain)
        return "PLAIN";
    const char *last = strrchr(chain, ',');
    last = last ? last + 1 : chain;
    static const char *const MAP[][2] = {{"base64", "BASE64"}, {"utf16le", "UTF16"},   {"utf16be", "UTF16"},
                                         {"escape", "ESCAPED_UNICODE"}, {"hex", "HEX"}, {"percent", "PERCENT"},
                                         {"html", "HTML"}};
    for (size_t i = 0; i < sizeof MAP / sizeof *MAP; i++)
        if (!strcmp(last, MAP[i][0]))
            return MAP[i][1];
    return "PLAIN";
}

void trufflehog_line(ks_strbuf *b, const finding_view *f, int redacted)
{
    const ks_match *m = f->m;
    const ks_git_origin *o = finding_origin(f);
    if (o) {
        trufflehog_git_source(b, f, o);
    } else if (!strcmp(f->file, "-") && !m->object) {
        /* TruffleHog's stdin source: its metadata is an empty Stdin message; the line is ours, so that a reader
         * of Data.Stdin (DefectDojo) finds an object with the line rather than null */
        ks__sb_printf(b, "{\"SourceMetadata\":{\"Data\":{\"Stdin\":{\"line\":%llu}}},\"SourceID\":1,\"SourceType\":%d,"
                         "\"SourceName\":\"trufflehog - stdin\"",
                      (unsigned long long)m->line, TH_SOURCE_STDIN);
    } else {
        ks__sb_puts(b, "{\"SourceMetadata\":{\"Data\":{\"Filesystem\":{\"file\":");
        ks_strbuf file = {0};
        peer_place place;
        peer_place_of(&place, &file, f->file, m, NULL);
        json_string(b, (const unsigned char *)place.file, place.file_len);
        if (file.oom)
            b->oom = 1;
        ks__sb_free(&file);
        ks__sb_printf(b, ",\"line\":%llu}}},\"SourceID\":1,\"SourceType\":%d,\"SourceName\":\"trufflehog - filesystem\"",
                      (unsigned long long)m->line, TH_SOURCE_FILESYSTEM);
    }
    /* TruffleHog's own detector where the rule has an equivalent; else what its custom regex detectors write:
     * CustomRegex, with the detector's name in ExtraData.name */
    const ks_rule_info *rule = f->rule;
    int own = rule->trufflehog_detector && rule->trufflehog_detector[0] && rule->trufflehog_type >= 0;
    ks__sb_printf(b, ",\"DetectorType\":%d,\"DetectorName\":", own ? rule->trufflehog_type : TH_DETECTOR_CUSTOM_REGEX);
    jstr(b, own ? rule->trufflehog_detector : "CustomRegex");
    ks__sb_puts(b, ",\"DetectorDescription\":");
    jstr(b, rule_description(f->rule));
    ks__sb_puts(b, ",\"DecoderName\":\"");
    ks__sb_puts(b, trufflehog_decoder(m->decoder));
    ks__sb_puts(b, "\",\"Verified\":false,\"VerificationFromCache\":false,\"Raw\":");
    json_string(b, m->secret, m->secret_len);
    ks__sb_puts(b, ",\"RawV2\":");
    json_string(b, m->match, m->match_len);
    /* TruffleHog's Redacted is for display: the first 4 bytes of a long secret, the marker with --redact */
    ks__sb_puts(b, ",\"Redacted\":");
    ks_strbuf r = {0};
    if (redacted)
        ks__sb_putn(&r, m->secret, m->secret_len); /* already the marker */
    else if (m->secret_len >= 16)
        ks__sb_printf(&r, "%.4s********", (const char *)m->secret);
    json_string(b, (const unsigned char *)(r.s ? r.s : ""), r.len);
    if (r.oom)
        b->oom = 1;
    ks__sb_free(&r);
    ks__sb_puts(b, ",\"ExtraData\":{\"name\":");
    jstr(b, rule->name);
    ks__sb_puts(b, ",\"rule_id\":");
    jstr(b, m->rule_id);
    ks__sb_printf(b, ",\"column\":\"%llu\",\"fingerprint\":\"%s\",\"validator\":", (unsigned long long)m->column,
              f->fingerprint);
    jstr(b, m->validator);
    ks__sb_puts(b, ",\"severity\":");
    jstr(b, finding_severity(m));
    if (m->near_miss) { /* ExtraData is a map of strings: the check that failed */
        ks__sb_puts(b, ",\"near_miss\":");
        jstr(b, finding_near_miss(m));
    }
    if (m->known_test_key)
        ks__sb_puts(b, ",\"known_test_key\":\"true\"");
    if (f->git) {
        ks__sb_puts(b, ",\"blob\":");
        jstr(b, f->git->blob);
    }
    ks__sb_puts(b, "},\"StructuredData\":null,\"SecretParts\":null}\n");
}

void gitleaks_object(ks_strbuf *b, const finding_view *f)
{
    const ks_match *m = f->m;
    const ks_rule_info *r = f->rule;
    /* Gitleaks' own id where the rule has an equivalent, so that filters and .gitleaksignore written for
     * Gitleaks match; keysweep's id is then a tag */
    const char *rule_id = gitleaks_rule_id(r);
    ks__sb_puts(b, " {\n  \"RuleID\": ");
    jstr(b, rule_id);
    /* the rule's name: DefectDojo titles a finding "Hard coded <Description> found in <File>" */
    ks__sb_puts(b, ",\n  \"Description\": ");
    jstr(b, r->name);
    ks__sb_printf(b, ",\n  \"StartLine\": %llu,\n  \"EndLine\": %llu,\n  \"StartColumn\": %llu,\n  \"EndColumn\": %llu",
              (unsigned long long)m->line, (unsigned long long)f->last_line, (unsigned long long)m->column,
              (unsigned long long)f->last_column);
    ks__sb_puts(b, ",\n  \"Match\": ");
    json_string(b, m->match, m->match_len);
    ks__sb_puts(b, ",\n  \"Secret\": ");
    json_string(b, m->secret, m->secret_len);
    /* a history finding: the file in the commit that introduced the blob, and that commit's author */
    const ks_git_origin *o = finding_origin(f);
    ks_strbuf file = {0};
    peer_place place;
    peer_place_of(&place, &file, f->file, f->m, f->git);
    place.rule = rule_id;
    place.rule_len = strlen(rule_id);
    char date[64] = "";
    if (o)
        git_date_utc(date, o);
    ks__sb_puts(b, ",\n  \"File\": ");
    json_string(b, (const unsigned char *)place.file, place.file_len);
    ks__sb_puts(b, ",\n  \"SymlinkFile\": \"\",\n  \"Commit\": ");
    jstr(b, o ? o->commit : "");
    ks__sb_printf(b, ",\n  \"Entropy\": %.7g", f->entropy);
    ks__sb_puts(b, ",\n  \"Author\": ");
    jstr(b, o ? o->author : "");
    ks__sb_puts(b, ",\n  \"Email\": ");
    jstr(b, o ? o->email : "");
    ks__sb_puts(b, ",\n  \"Date\": ");
    jstr(b, date);
    ks__sb_puts(b, ",\n  \"Message\": ");
    jstr(b, o ? o->message : "");
    ks__sb_puts(b, ",\n  \"Tags\": [");
    for (size_t i = 0; i < r->n_categories; i++) {
        ks__sb_puts(b, i ? ", " : "");
        jstr(b, r->categories[i]);
    }
    /* Gitleaks has no severity field: a tag carries it, after the rule's categories */
    ks__sb_printf(b, "%s\"severity:%s\"", r->n_categories ? ", " : "", finding_severity(m));
    if (rule_id != r->id) /* only YAML rules name a Gitleaks id, and their ids are [A-Za-z0-9._-]: no escaping */
        ks__sb_printf(b, ", \"keysweep-rule:%s\"", m->rule_id);
    if (m->near_miss)
        ks__sb_puts(b, ", \"near-miss\"");
    if (m->known_test_key)
        ks__sb_puts(b, ", \"known-test-key\"");
    /* Gitleaks' fingerprint: commit:file:rule-id:line in history, file:rule-id:line for a directory scan */
    ks__sb_puts(b, "],\n  \"Fingerprint\": ");
    ks_strbuf fp = {0};
    gitleaks_fingerprint(&fp, &place);
    json_string(b, (const unsigned char *)(fp.s ? fp.s : ""), fp.len);
    if (fp.oom || file.oom)
        b->oom = 1;
    ks__sb_free(&fp);
    ks__sb_free(&file);
    ks__sb_puts(b, "\n }");
}
