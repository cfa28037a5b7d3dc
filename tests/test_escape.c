/* test_escape.c: JSON, terminal, CSV and XML encoders: any bytes give valid strings and no raw control characters. */
#include <criterion/criterion.h>
#include <string.h>

#include "escape.h"
#include "output.h"

Test(escape, json_escapes_controls_quotes_and_invalid_utf8)
{
    ks_strbuf b = {0};
    const unsigned char in[] = "a\"b\\c\n\x01\x1b[2J\xff\xfe\xc3\xa9";
    json_string(&b, in, sizeof in - 1);
    cr_assert_str_eq(b.s, "\"a\\\"b\\\\c\\n\\u0001\\u001b[2J\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9\"");
    ks__sb_free(&b);
}

Test(escape, every_byte_value_gives_no_raw_control)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    ks_strbuf j = {0}, t = {0};
    json_string(&j, all, sizeof all);
    term_string(&t, all, sizeof all);
    for (size_t i = 0; i < j.len; i++)
        cr_assert((unsigned char)j.s[i] >= 0x20, "raw control 0x%02x in JSON", (unsigned char)j.s[i]);
    for (size_t i = 0; i < t.len; i++)
        cr_assert((unsigned char)t.s[i] >= 0x20 && (unsigned char)t.s[i] != 0x7f, "raw control in terminal text");
    cr_assert(utf8_valid((const unsigned char *)j.s, j.len));
    ks__sb_free(&j);
    ks__sb_free(&t);
}

Test(escape, terminal_neutralises_bidi_and_c1)
{
    ks_strbuf b = {0};
    const unsigned char in[] = "x\xe2\x80\xaey\xc2\x9bz";
    term_string(&b, in, sizeof in - 1);
    cr_assert_str_eq(b.s, "x\\xe2\\x80\\xaey\\xc2\\x9bz");
    ks__sb_free(&b);
}

/* json_string says whether its bytes were UTF-8, as utf8_valid does: the jsonl writer adds a *_b64 field
 * by it, no longer running utf8_valid over every path, secret and match a second time. */
Test(escape, json_string_tells_whether_the_bytes_were_utf8)
{
    const char *cases[] = {"plain", "h\xc3\xa9llo", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "tab\tquote\"",
                           "\xf0\x9f\x94\x91 key", "\xff", "ok\xf5\x80\x80\x80", ""};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ks_strbuf b = {0};
        const unsigned char *s = (const unsigned char *)cases[i];
        cr_assert_eq(json_string(&b, s, strlen(cases[i])), utf8_valid(s, strlen(cases[i])), "case %zu", i);
        ks__sb_free(&b);
    }
}

Test(escape, utf8_validation)
{
    cr_assert(utf8_valid((const unsigned char *)"h\xc3\xa9llo", 6));
    cr_assert_not(utf8_valid((const unsigned char *)"\xc0\xaf", 2)); /* overlong */
    cr_assert_not(utf8_valid((const unsigned char *)"\xed\xa0\x80", 3)); /* surrogate */
    cr_assert_not(utf8_valid((const unsigned char *)"\xe2\x82", 2)); /* truncated */
}

Test(escape, base64_roundtrip_shape)
{
    ks_strbuf b = {0};
    base64(&b, (const unsigned char *)"\xff\xfe\x00", 3);
    cr_assert_str_eq(b.s, "//4A");
    b.len = 0;
    base64(&b, (const unsigned char *)"ab", 2);
    cr_assert_str_eq(b.s, "YWI=");
    ks__sb_free(&b);
}

Test(escape, fingerprint_is_stable_and_distinct)
{
    char a[17], b[17], c[17];
    finding_fingerprint(a, "dir/f", "aws", 12);
    finding_fingerprint(b, "dir/f", "aws", 12);
    finding_fingerprint(c, "dir/f", "aws", 13);
    cr_assert_str_eq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_eq(strlen(a), 16);
}

Test(escape, csv_quotes_doubles_and_neutralises_formulas)
{
    static const struct { const char *in, *out; } cases[] = {
        {"plain", "plain"},           {"a,b", "\"a,b\""},          {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""}, {"cr\rx", "\"cr\rx\""},    {"=1+2", "'=1+2"},
        {"+x", "'+x"},                {"-2", "'-2"},               {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},              {"=a,b", "\"'=a,b\""},       {"a=b", "a=b"},
        {"", ""},                     {"\x01" "x", "\x01" "x"},    {"\xff", "\xef\xbf\xbd"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ks_strbuf b = {0};
        csv_cell(&b, (const unsigned char *)cases[i].in, strlen(cases[i].in));
        cr_assert_str_eq(b.s ? b.s : "", cases[i].out, "csv_cell(%s)", cases[i].in);
        ks__sb_free(&b);
    }
}

/* What an XML 1.0 parser accepts: no C0 control but tab, LF (text only) and CR as a reference, no U+FFFE/U+FFFF,
 * valid UTF-8, and & < > " ' only as the five entities' own. */
static void assert_xml_safe(const ks_strbuf *b, int attribute)
{
    const unsigned char *s = (const unsigned char *)b->s;
    cr_assert(utf8_valid(s, b->len));
    for (size_t i = 0; i < b->len; i++) {
        cr_assert(s[i] >= 0x20 || (!attribute && (s[i] == '\t' || s[i] == '\n')), "raw 0x%02x in XML", s[i]);
        cr_assert(!strchr("<>\"'", s[i]) || !s[i]);
        if (s[i] == '&') {
            static const char *const ok[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#13;", "&#10;", "&#9;"};
            int known = 0;
            for (size_t k = 0; k < sizeof ok / sizeof *ok; k++)
                known |= strncmp((const char *)s + i, ok[k], strlen(ok[k])) == 0;
            cr_assert(known, "stray & in XML");
        }
        if (i + 2 < b->len && s[i] == 0xef && s[i + 1] == 0xbf)
            cr_assert(s[i + 2] < 0xbe, "U+FFFE or U+FFFF in XML");
    }
}

Test(escape, xml_never_writes_what_xml_1_0_forbids)
{
    unsigned char all[256 + 6];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    memcpy(all + 256, "\xef\xbf\xbe\xef\xbf\xbf", 6);
    for (int attribute = 0; attribute < 2; attribute++) {
        ks_strbuf b = {0};
        xml_string(&b, all, sizeof all, attribute);
        assert_xml_safe(&b, attribute);
        ks__sb_free(&b);
    }
    ks_strbuf b = {0};
    const unsigned char in[] = "a&b<c>\"d'\r\n\t\x01\xc3\xa9";
    xml_string(&b, in, sizeof in - 1, 1);
    cr_assert_str_eq(b.s, "a&amp;b&lt;c&gt;&quot;d&apos;&#13;&#10;&#9;\xef\xbf\xbd\xc3\xa9");
    b.len = 0;
    xml_string(&b, in, sizeof in - 1, 0);
    cr_assert_str_eq(b.s, "a&amp;b&lt;c&gt;&quot;d&apos;&#13;\n\t\xef\xbf\xbd\xc3\xa9");
    ks__sb_free(&b);
}

/* What json_string writes, json_unescape reads back; escapes peers write (\/, \u003c, surrogate pairs) decode to
 * their characters; a lone surrogate is U+FFFD. */
Test(escape, json_unescape_reads_back_what_json_string_writes)
{
    const unsigned char in[] = "a\"b\\c\n\t\r\x01\x7f /<>&\xc3\xa9\xf0\x9f\x98\x80";
    ks_strbuf enc = {0}, dec = {0};
    json_string(&enc, in, sizeof in - 1);
    json_unescape(&dec, enc.s + 1, enc.len - 2);
    cr_assert_eq(dec.len, sizeof in - 1);
    cr_assert(memcmp(dec.s, in, dec.len) == 0);
    const char peer[] = "d\\/a\\u003c\\u00e9\\ud83d\\ude00\\ud800x\\b\\f";
    dec.len = 0;
    json_unescape(&dec, peer, sizeof peer - 1);
    cr_assert_str_eq(dec.s, "d/a<\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx\b\f");
    dec.len = 0;
    json_unescape(&dec, "", 0);
    cr_assert(dec.s != NULL && dec.len == 0);
    ks__sb_free(&enc);
    ks__sb_free(&dec);
}
