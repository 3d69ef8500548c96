/*  test_json_writer.c - ktag_json_write_result() writes exactly the bytes
    of json_dumpb(ktag_json_result()), for every option set, id kind and
    escape the fixture lexicon can produce; and the object has the keys of
    common/ktag_schema.h in order.

    Usage: test_json_writer LEXICON_DIR
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktag_json.h"
#include "ktag_msgpack.h"

static int s_failures;

#define CHECK(cond, ...) do { if (!(cond)) { s_failures++; \
    fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); \
    fputc('\n', stderr); } } while (0)

typedef struct {
    char *data;
    size_t len, cap;
} s_buf_t;

static int
s_append(const char *data, size_t len, void *user)
{
    s_buf_t *b = user;
    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data)
            return -1;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static const char *s_texts[] = {
    "",
    "   ",
    "삼성전자 주가 급등",
    "SK하이닉스는 적자, 딥시크가 H800으로 학습했다. 엔비디아는 급락.",
    "딥시크가 엔비디아는 SK하이닉스의 H800으로 CB를 CBS H1000 투자대상 유상증자결정",
    "탭\t줄바꿈\n따옴표\" 역슬래시\\ 제어\x01 삼전 금감원 IPO",
    "𝐀 emoji 😀 삼성전자 HBM3E 12단, GPU 수요 급등; TSMC 호실적",
    "삼성전자, 1조2000억원 규모 유상증자 결정…SK하이닉스 29.9% 급등 '上'. 엔비디아와 500억원 공급계약",
    "SK하이닉스, 2분기 영업손실 3천억원…목표가 9만원→8만5천원",
    /* Amounts are not rounded to thousandths as scores are: jansson
     * prints these as 1e-10 and 2.000000001 (not 0.0 and 2.0). */
    "삼성전자 주가 0.0000000001% 급등",
    "SK하이닉스 주가 2.0000000009% 급락",
};

static const char *s_titles[] = {NULL, "삼성전자 급등", ""};

static void
s_compare(ktag_result_t *res, json_t *id, const ktag_options_t *opt, int64_t elapsed, const char *what)
{
    json_t *obj = ktag_json_result(res, id, opt, elapsed);
    CHECK(obj != NULL, "%s: ktag_json_result returned NULL", what);
    if (!obj)
        return;
    char *expect = json_dumps(obj, KTAG_JSON_DUMP_FLAGS);
    s_buf_t got = {0};
    int rc = ktag_json_write_result(res, id, opt, elapsed, s_append, &got);
    CHECK(rc == 0, "%s: writer failed", what);
    CHECK(got.data && strcmp(expect, got.data) == 0, "%s:\n  jansson: %s\n  writer:  %s", what, expect,
          got.data ? got.data : "(null)");

    /* Key order of common/ktag_schema.h. */
    static const char *order[] = {"id", "ok", "entities", "sentiment", "events", "sentences", "explain",
                                  "lexicon", "elapsed_us"};
    const size_t order_len = sizeof order / sizeof *order;
    const char *key;
    json_t *v;
    size_t k = 0;
    json_object_foreach(obj, key, v) {
        while (k < order_len && strcmp(order[k], key) != 0)
            k++;
        CHECK(k < order_len, "%s: key '%s' out of schema order", what, key);
    }
    static const char *event_order[] = {"type", "kind", "company", "counterparty", "source", "direction",
                                        "amount", "unit", "previous", "limit", "text", "start", "end",
                                        "field", "sentiment"};
    const size_t event_order_len = sizeof event_order / sizeof *event_order;
    size_t i;
    json_t *event;
    json_array_foreach(json_object_get(obj, "events"), i, event) {
        k = 0;
        json_object_foreach(event, key, v) {
            while (k < event_order_len && strcmp(event_order[k], key) != 0)
                k++;
            CHECK(k < event_order_len, "%s: event key '%s' out of schema order", what, key);
        }
    }
    CHECK((json_object_get(obj, "sentiment") != NULL) == opt->sentiment, "%s: sentiment presence", what);
    CHECK((json_object_get(obj, "events") != NULL) == opt->events, "%s: events presence", what);
    CHECK((json_object_get(obj, "explain") != NULL) == opt->explain, "%s: explain presence", what);
    CHECK((json_object_get(obj, "id") != NULL) == (id != NULL), "%s: id presence", what);
    /* A ktagd reply (ktag_msgpack's writer) turned into JSON text by
     * ktag_json_write_msgpack() is the in-process line: `ktag --connect`
     * and `ktag` print the same bytes. */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ktag_wire_id_t wire = {.kind = KTAG_ID_UINT, .unum = 123456};
    ktag_msgpack_pack_result(&pk, &wire, res, opt, (uint64_t) elapsed);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&up, sb.data, sb.size, &off) == MSGPACK_UNPACK_SUCCESS, "%s: unpack", what);
    s_buf_t conv = {0};
    CHECK(ktag_json_write_msgpack(&up.data, id, s_append, &conv) == 0, "%s: msgpack writer failed", what);
    CHECK(conv.data && strcmp(conv.data, got.data) == 0, "%s: via msgpack:\n  direct:  %s\n  msgpack: %s",
          what, got.data, conv.data ? conv.data : "(null)");
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    free(conv.data);

    free(expect);
    free(got.data);
    json_decref(obj);
}

/* Strings of every short length, a few long ones (past the staging buffer
 * and the direct-write limit), each with one byte that needs escaping at
 * the start, the middle, the end or nowhere, all in one array so that the
 * writer's buffer fills and flushes at every offset: the text writer's
 * bytes equal jansson's dump of the same walk.  @returns strings checked. */
static size_t
s_check_strings(void)
{
    static const unsigned char specials[] = {0x00, 0x01, 0x1f, '"', '\\', '\b', '\f', '\n', '\r', '\t', 0x7f, 'x'};
    static const size_t lengths[] = {681, 700, 1000, 4095, 4096, 4097, 9000};
    const char *base = "ab한글 \xED\x95\x9C/cd\xEA\xB8\x80 0123456789";
    size_t base_len = strlen(base);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    size_t nlen = 49 + sizeof lengths / sizeof *lengths, count = 0;
    msgpack_pack_array(&pk, nlen * sizeof specials * 4);
    char *str = malloc(10000);
    for (size_t li = 0; li < nlen; li++) {
        size_t len = li < 49 ? li : lengths[li - 49];
        for (size_t si = 0; si < sizeof specials; si++)
            for (int where = 0; where < 4; where++) {
                for (size_t i = 0; i < len; i++)
                    str[i] = base[i % base_len];
                size_t at = where == 0 ? 0 : where == 1 ? len / 2 : len - 1;
                if (len && where < 3)
                    str[at] = (char) specials[si];
                msgpack_pack_str_with_body(&pk, str, len);
                count++;
            }
    }
    free(str);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    CHECK(msgpack_unpack_next(&up, sb.data, sb.size, NULL) == MSGPACK_UNPACK_SUCCESS, "unpack strings");
    s_buf_t got = {0};
    CHECK(ktag_json_write_msgpack(&up.data, NULL, s_append, &got) == 0, "string writer failed");
    json_t *tree = ktag_json_from_msgpack(&up.data, false, NULL);
    CHECK(tree != NULL, "string tree");
    char *expect = tree ? json_dumps(tree, JSON_ENCODE_ANY | KTAG_JSON_DUMP_FLAGS) : NULL;
    CHECK(expect && got.data && strcmp(expect, got.data) == 0, "escaped strings differ from jansson's");
    if (expect && got.data && strcmp(expect, got.data) != 0) {
        size_t i = 0;
        while (expect[i] == got.data[i])
            i++;
        fprintf(stderr, "  first difference at byte %zu: jansson ...%.40s / writer ...%.40s\n", i,
                expect + (i > 20 ? i - 20 : 0), got.data + (i > 20 ? i - 20 : 0));
    }
    free(expect);
    free(got.data);
    json_decref(tree);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    return count;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s LEXICON_DIR\n", argv[0]);
        return 2;
    }
    ktag_error_t err;
    ktag_lexicon_t *lex = ktag_lexicon_open(argv[1], &err);
    if (!lex) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], err.message);
        return 1;
    }
    ktag_result_t *res = ktag_result_new();
    json_t *ids[] = {NULL, json_integer(7), json_integer(-3), json_string("doc \"q\"\\/\t1"),
                     json_string("한글 id")};
    size_t compared = 0, entities = 0, events = 0;
    for (size_t t = 0; t < sizeof s_texts / sizeof *s_texts; t++)
        for (size_t ti = 0; ti < sizeof s_titles / sizeof *s_titles; ti++)
            for (int variant = 0; variant < 6; variant++) {
                ktag_options_t opt;
                ktag_options_init(&opt);
                opt.sentiment = variant != 1;
                opt.events = variant != 1;
                opt.explain = variant == 2 || variant == 5;
                opt.overlaps = variant == 3;
                opt.offsets = (ktag_offset_unit_t) (variant % 3);
                if (variant == 4)
                    opt.types = 1u << KTAG_TYPE_CHIP;
                const char *title = s_titles[ti];
                int rc = ktag_tag(res, lex, s_texts[t], strlen(s_texts[t]), title,
                                  title ? strlen(title) : 0, &opt, &err);
                CHECK(rc == 0, "tag text %zu: %s", t, err.message);
                entities += ktag_result_entity_count(res);
                events += ktag_result_event_count(res);
                json_t *id = ids[(t + ti + (size_t) variant) % 5];
                char what[64];
                snprintf(what, sizeof what, "text %zu title %zu variant %d", t, ti, variant);
                s_compare(res, id, &opt, (int64_t) (t * 1000 + ti), what);
                compared++;
            }
    CHECK(entities > 50, "the fixture should yield entities to compare (got %zu)", entities);
    CHECK(events > 20, "the fixture should yield events to compare (got %zu)", events);

    /* Reals as jansson prints them: integral values get ".0", no exponent
     * noise after rounding. */
    static const double reals[] = {0.0, -0.0, 1.0, -1.0, 0.62, -0.41, 0.0005, 0.001, 0.12345, 1e-9};
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
        json_t *r = json_real(ktag_schema_round3(reals[i]));
        char *s = json_dumps(r, JSON_ENCODE_ANY | KTAG_JSON_DUMP_FLAGS);
        CHECK(strchr(s, '.') != NULL && strchr(s, 'e') == NULL, "real %g printed as %s", reals[i], s);
        if (reals[i] == 0.62)
            CHECK(strcmp(s, "0.62") == 0, "0.62 printed as %s", s);
        free(s);
        json_decref(r);
    }

    json_t *e = ktag_json_error(ids[1], "bad_utf8", "invalid UTF-8 at byte 3");
    char *es = json_dumps(e, KTAG_JSON_DUMP_FLAGS);
    CHECK(strcmp(es, "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"bad_utf8\","
                     "\"message\":\"invalid UTF-8 at byte 3\"}}") == 0, "error object: %s", es);
    free(es);
    json_decref(e);
    /* A message quoting bad bytes: every writer repairs it the same way
     * (U+FFFD per invalid byte), so no output is ever invalid UTF-8. */
    const char *bad = "cut \xED\x95 here \xff, 한\xea";
    const char *repaired = "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"bad_request\","
                           "\"message\":\"cut \xEF\xBF\xBD\xEF\xBF\xBD here \xEF\xBF\xBD, 한\xEF\xBF\xBD\"}}";
    s_buf_t direct = {0}, viapack = {0};
    CHECK(ktag_json_write_error(ids[1], "bad_request", bad, s_append, &direct) == 0, "error writer failed");
    CHECK(direct.data && strcmp(direct.data, repaired) == 0, "repaired error (text): %s", direct.data);
    e = ktag_json_error(ids[1], "bad_request", bad);
    es = e ? json_dumps(e, KTAG_JSON_DUMP_FLAGS) : NULL;
    CHECK(es && strcmp(es, repaired) == 0, "repaired error (jansson): %s", es ? es : "(null)");
    free(es);
    json_decref(e);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ktag_wire_id_t wid = { .kind = KTAG_ID_UINT, .unum = 7 };
    CHECK(ktag_msgpack_pack_error(&pk, &wid, KTAG_WIRE_BAD_REQUEST, bad) == 0, "msgpack error writer failed");
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    CHECK(msgpack_unpack_next(&up, sb.data, sb.size, NULL) == MSGPACK_UNPACK_SUCCESS, "unpack error");
    CHECK(ktag_json_write_msgpack(&up.data, ids[1], s_append, &viapack) == 0, "msgpack->json failed");
    CHECK(viapack.data && strcmp(viapack.data, repaired) == 0, "repaired error (msgpack): %s", viapack.data);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    free(direct.data);
    free(viapack.data);

    /* A reply holding a float JSON cannot spell (NaN, infinities: a
     * foreign or broken daemon) fails in the text writer as in jansson's
     * tree (-f pretty), rather than writing "nan.0", which is no JSON. */
    static const double unspellable[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof unspellable / sizeof *unspellable; i++) {
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "ok", 2);
        msgpack_pack_true(&pk);
        msgpack_pack_str_with_body(&pk, "score", 5);
        msgpack_pack_double(&pk, unspellable[i]);
        msgpack_unpacked_init(&up);
        CHECK(msgpack_unpack_next(&up, sb.data, sb.size, NULL) == MSGPACK_UNPACK_SUCCESS, "unpack float");
        s_buf_t text = {0};
        json_t *tree = ktag_json_from_msgpack(&up.data, true, ids[1]);
        CHECK(tree == NULL, "jansson spells %g", unspellable[i]);
        CHECK(ktag_json_write_msgpack(&up.data, ids[1], s_append, &text) != 0, "%g written as %s",
              unspellable[i], text.data ? text.data : "(null)");
        json_decref(tree);
        free(text.data);
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&sb);
    }

    CHECK(strcmp(ktag_json_error_code(KTAG_ERR_BAD_UTF8), "bad_utf8") == 0, "code map");
    CHECK(strcmp(ktag_json_error_code(KTAG_ERR_INVALID), "bad_request") == 0, "code map");
    CHECK(strcmp(ktag_json_error_code(KTAG_ERR_NOMEM), "internal") == 0, "code map");

    size_t strings = s_check_strings();

    for (size_t i = 0; i < 5; i++)
        json_decref(ids[i]);
    ktag_result_destroy(&res);
    ktag_lexicon_destroy(&lex);
    printf("%zu result objects and %zu strings compared, %zu entities, %d failures\n", compared, strings,
           entities, s_failures);
    return s_failures ? 1 : 0;
}
