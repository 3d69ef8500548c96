/*  test_jsonl.c - the simdjson reader of `ktag -i jsonl` (clients/cli/
    jsonl.cpp) takes the lines jansson reads the same way, with the same
    id, text and title, and leaves every other line to jansson: the ones
    jansson refuses, the ones whose fields have other types, and those
    where the two libraries differ (integers above INT64_MAX, NUL in a key).
*/
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/check.h"
#include "ktag_cli.h"

static ktag_cli_config_t s_config;

/* Parse `line` both without padding (the reader copies it) and from a
 * padded buffer (in place).  @returns what the parser returned; both ways
 * must agree. */
static int
s_parse(ktag_cli_jsonl_t *p, const char *line, size_t len, ktag_cli_jsonl_doc_t *doc)
{
    char *padded = calloc(1, len + KTAG_CLI_JSONL_PADDING);
    memcpy(padded, line, len);
    ktag_cli_jsonl_doc_t copy;
    int in_place = ktag_cli_jsonl_parse(p, padded, len, len + KTAG_CLI_JSONL_PADDING, &s_config, &copy);
    int copied = ktag_cli_jsonl_parse(p, line, len, len, &s_config, doc);
    CHECK_INT(in_place, copied);
    free(padded);
    return copied;
}

#define S_LINE(lit) lit, sizeof(lit) - 1

static void
s_taken(ktag_cli_jsonl_t *p)
{
    ktag_cli_jsonl_doc_t d;
    CHECK_INT(s_parse(p, S_LINE("{\"id\": 7, \"text\": \"삼성전자 급등\"}"), &d), 0);
    CHECK_INT(d.id_kind, KTAG_CLI_JSONL_ID_INT);
    CHECK_INT(d.id_int, 7);
    CHECK(d.text_len == strlen("삼성전자 급등") && memcmp(d.text, "삼성전자 급등", d.text_len) == 0);
    CHECK(d.title == NULL);

    CHECK_INT(s_parse(p, S_LINE("  {\"text\":\"a\\n\\u00e9\\ud83d\\ude00\\u0000b\",\"id\":\"x\\\"y\","
                                "\"title\":\"t\",\"extra\":[1,{\"k\":-9223372036854775808},1e-400]}\r"), &d), 0);
    CHECK_INT(d.id_kind, KTAG_CLI_JSONL_ID_STR);
    CHECK(d.id_len == 3 && memcmp(d.id_str, "x\"y", 3) == 0);
    CHECK(d.text_len == 10 && memcmp(d.text, "a\n\xC3\xA9\xF0\x9F\x98\x80\0b", 10) == 0);
    CHECK(d.title_len == 1 && d.title[0] == 't');

    /* A null id or title is no id or title; the last of repeated keys wins,
     * as in jansson; escaped keys are compared decoded. */
    CHECK_INT(s_parse(p, S_LINE("{\"id\":null,\"title\":null,\"text\":\"a\",\"te\\u0078t\":\"b\"}"), &d), 0);
    CHECK_INT(d.id_kind, KTAG_CLI_JSONL_ID_NONE);
    CHECK(d.title == NULL);
    CHECK(d.text_len == 1 && d.text[0] == 'b');

    /* The id is an integer anywhere in int64. */
    CHECK_INT(s_parse(p, S_LINE("{\"id\":-9223372036854775808,\"text\":\"a\"}"), &d), 0);
    CHECK(d.id_kind == KTAG_CLI_JSONL_ID_INT && d.id_int == INT64_MIN);
    CHECK_INT(s_parse(p, S_LINE("{\"id\":9223372036854775807,\"text\":\"a\"}"), &d), 0);
    CHECK(d.id_kind == KTAG_CLI_JSONL_ID_INT && d.id_int == INT64_MAX);

    /* An empty text is taken: the caller's rule for it is the same either way. */
    CHECK_INT(s_parse(p, S_LINE("{\"text\":\"\"}"), &d), 0);
    CHECK_INT((int) d.text_len, 0);

    /* Other field names. */
    s_config.text_field = "body";
    s_config.id_field = "key";
    CHECK_INT(s_parse(p, S_LINE("{\"key\":\"k1\",\"text\":1,\"body\":\"b\"}"), &d), 0);
    CHECK(d.id_kind == KTAG_CLI_JSONL_ID_STR && d.id_len == 2 && d.text_len == 1 && d.text[0] == 'b');
    s_config.text_field = "text";
    s_config.id_field = "id";
}

static void
s_left_to_jansson(ktag_cli_jsonl_t *p)
{
    static const char *const lines[] = {
        /* jansson refuses these too */
        "{\"text\":\"a\"} x", "{\"text\":\"a\",}", "{\"text\":\"\\ud800\"}", "{\"text\":\"\\udc00\"}",
        "{\"text\":\"a\\x\"}", "{\"x\":01,\"text\":\"a\"}", "{\"x\":1e400,\"text\":\"a\"}",
        "{\"x\":100000000000000000000,\"text\":\"a\"}", "{\"text\":\"\xff\"}", "{\"text\":\"\xed\xa0\x80\"}",
        "{\"text\":\"a\x01\"}", "\xEF\xBB\xBF{\"text\":\"a\"}", "", "   ", "{\"text\":\"a\"",
        /* jansson refuses, simdjson takes: integers above INT64_MAX, NUL in a key */
        "{\"id\":9223372036854775808,\"text\":\"a\"}", "{\"x\":[18446744073709551615],\"text\":\"a\"}",
        "{\"x\":{\"y\":{\"z\":9223372036854775808}},\"text\":\"a\"}", "{\"te\\u0000xt\":\"a\",\"text\":\"a\"}",
        "{\"x\":[{\"\\u0000\":1}],\"text\":\"a\"}",
        /* fields of other types: jansson words the error */
        "[\"text\"]", "\"text\"", "7", "null", "{}", "{\"id\":1}", "{\"text\":7}", "{\"text\":null}",
        "{\"text\":[\"a\"]}", "{\"id\":1.0,\"text\":\"a\"}", "{\"id\":true,\"text\":\"a\"}",
        "{\"id\":[1],\"text\":\"a\"}", "{\"id\":{},\"text\":\"a\"}", "{\"text\":\"a\",\"title\":1}",
        "{\"text\":\"a\",\"title\":false}", "{\"text\":\"a\",\"text\":1}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        ktag_cli_jsonl_doc_t d;
        int rc = s_parse(p, lines[i], strlen(lines[i]), &d);
        if (rc != -1)
            fprintf(stderr, "taken, should be left to jansson: %s\n", lines[i]);
        CHECK_INT(rc, -1);
    }
    /* Nesting deeper than simdjson's limit (1024) is jansson's to judge. */
    size_t depth = 1500, len = 0;
    char *deep = malloc(2 * depth + 32);
    len += (size_t) sprintf(deep, "{\"text\":\"a\",\"x\":");
    for (size_t i = 0; i < depth; i++)
        deep[len++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[len++] = ']';
    deep[len++] = '}';
    ktag_cli_jsonl_doc_t d;
    CHECK_INT(s_parse(p, deep, len, &d), -1);
    free(deep);
}

/* A line of `n` text bytes.  @returns it (malloc'ed), its length in *len. */
static char *
s_long_line(size_t n, size_t *len)
{
    char *line = malloc(n + 32);
    *len = (size_t) sprintf(line, "{\"text\":\"");
    memset(line + *len, 'a', n);
    *len += n;
    *len += (size_t) sprintf(line + *len, "\"}");
    return line;
}

/* Long lines between short ones: the parser grows, shrinks back and keeps
 * working; a line above 4 MiB is left to jansson (simdjson would hold ten
 * times its size). */
static void
s_sizes(ktag_cli_jsonl_t *p)
{
    ktag_cli_jsonl_doc_t d;
    for (int round = 0; round < 2; round++) {
        size_t len, n = (3u << 20) + (size_t) round;
        char *line = s_long_line(n, &len);
        CHECK_INT(s_parse(p, line, len, &d), 0);
        CHECK(d.text_len == n && d.text[n - 1] == 'a');
        free(line);
        CHECK_INT(s_parse(p, S_LINE("{\"text\":\"b\"}"), &d), 0);
        CHECK(d.text_len == 1 && d.text[0] == 'b');
    }
    size_t len;
    char *line = s_long_line(5u << 20, &len);
    CHECK_INT(s_parse(p, line, len, &d), -1);
    free(line);
    CHECK_INT(s_parse(p, S_LINE("{\"text\":\"c\"}"), &d), 0);
    CHECK(d.text_len == 1 && d.text[0] == 'c');
}

/* What jansson reads in `line` (the CLI's reference reader, same flags):
 * @returns 0 and fills `doc` for a line the fast path should take, else -1. */
static int
s_jansson(const char *line, size_t len, ktag_cli_jsonl_doc_t *doc, json_t **root)
{
    memset(doc, 0, sizeof *doc);
    *root = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(*root))
        return -1;
    json_t *id = json_object_get(*root, "id"), *text = json_object_get(*root, "text"),
           *title = json_object_get(*root, "title");
    if (json_is_integer(id)) {
        doc->id_kind = KTAG_CLI_JSONL_ID_INT;
        doc->id_int = json_integer_value(id);
    } else if (json_is_string(id)) {
        doc->id_kind = KTAG_CLI_JSONL_ID_STR;
        doc->id_str = json_string_value(id);
        doc->id_len = json_string_length(id);
    } else if (id && !json_is_null(id)) {
        return -1;
    }
    if (!json_is_string(text) || (title && !json_is_string(title) && !json_is_null(title)))
        return -1;
    doc->text = json_string_value(text);
    doc->text_len = json_string_length(text);
    if (json_is_string(title)) {
        doc->title = json_string_value(title);
        doc->title_len = json_string_length(title);
    }
    return 0;
}

static bool
s_same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Seeded random lines built from JSON pieces: whenever the fast path takes
 * a line, jansson reads it and finds the same id, text and title; and the
 * fast path takes most of the lines jansson reads as documents. */
static void
s_random_lines(ktag_cli_jsonl_t *p)
{
    static const char *const pieces[] = {
        "{", "}", "[", "]", ",", ":", " ", "\"text\"", "\"id\"", "\"title\"", "\"x\"", "\"te\\u0078t\"",
        "\"삼성전자\"", "\"a\\\"b\"", "\"\\u0000\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\xff\"",
        "\"\x01\"", "0", "-0", "7", "-12", "1.5", "1e400", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "18446744073709551616", "true", "null", "\"", "\\", "\xEF\xBB\xBF",
    };
    static const char *const docs[] = {
        "{\"id\":%s,\"text\":%s}", "{\"text\":%s,\"id\":%s}", "{\"id\":%s,\"text\":%s,\"title\":\"t\"}",
        "{\"x\":[%s],\"text\":%s}", "{\"id\":%s,\"x\":{\"y\":%s},\"text\":\"a\"}",
    };
    const size_t npieces = sizeof pieces / sizeof *pieces;
    unsigned long long state = 20261202;
    size_t taken = 0, documents = 0, disagreements = 0;
    char line[512];
    for (int round = 0; round < 30000; round++) {
        size_t len = 0;
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        if (round % 2 == 0) {
            /* A document shape with random values. */
            const char *a = pieces[(state >> 20) % npieces], *b = pieces[(state >> 40) % npieces];
            const char *shape = docs[(state >> 8) % (sizeof docs / sizeof *docs)];
            len = (size_t) snprintf(line, sizeof line, shape, a, b);
        } else {
            size_t count = 1 + (state >> 33) % 24;
            for (size_t i = 0; i < count; i++) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                const char *piece = pieces[(state >> 33) % npieces];
                size_t n = strlen(piece);
                if (len + n >= sizeof line)
                    break;
                memcpy(line + len, piece, n);
                len += n;
            }
        }
        ktag_cli_jsonl_doc_t fast, slow;
        json_t *root;
        int rc_fast = s_parse(p, line, len, &fast);
        int rc_slow = s_jansson(line, len, &slow, &root);
        documents += rc_slow == 0;
        if (rc_fast == 0) {
            taken++;
            bool same = rc_slow == 0 && fast.id_kind == slow.id_kind
                        && (fast.id_kind != KTAG_CLI_JSONL_ID_INT || fast.id_int == slow.id_int)
                        && (fast.id_kind != KTAG_CLI_JSONL_ID_STR
                            || s_same_bytes(fast.id_str, fast.id_len, slow.id_str, slow.id_len))
                        && s_same_bytes(fast.text, fast.text_len, slow.text, slow.text_len)
                        && (fast.title == NULL) == (slow.title == NULL)
                        && (!fast.title || s_same_bytes(fast.title, fast.title_len, slow.title, slow.title_len));
            if (!same && disagreements++ < 5)
                fprintf(stderr, "fast path and jansson disagree on: %.*s\n", (int) len, line);
        }
        json_decref(root);
    }
    CHECK_INT(disagreements, 0);
    CHECK(documents > 1000);
    CHECK(taken * 10 >= documents * 9);
    printf("random lines: %zu documents for jansson, %zu taken by simdjson\n", documents, taken);
}

int
main(void)
{
    s_config.text_field = "text";
    s_config.id_field = "id";
    s_config.title_field = "title";
    ktag_cli_jsonl_t *p = ktag_cli_jsonl_new();
    CHECK(p != NULL);
    if (!p)
        return check_report("test_jsonl");
    s_taken(p);
    s_left_to_jansson(p);
    s_sizes(p);
    s_random_lines(p);
    ktag_cli_jsonl_destroy(&p);
    CHECK(p == NULL);
    ktag_cli_jsonl_destroy(&p);
    return check_report("test_jsonl");
}
