/*  test_msgpack.c - self-test of common/ktag_msgpack: request decoding
    (every rule of the header), the request encoder round trip, and the key
    order and optional keys of result and error maps.

    usage: test_msgpack LEXICON_DIR   (the fixture tests/daemon/lexicons)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktag_msgpack.h"

static int s_failures;

#define CHECK(cond) \
    do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
                        s_failures++; } } while (0)

/* A msgpack writer into a growing buffer. */
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} s_writer_t;

static void
s_writer_init(s_writer_t *w)
{
    msgpack_sbuffer_init(&w->buf);
    msgpack_packer_init(&w->pk, &w->buf, msgpack_sbuffer_write);
}

static void
s_str(s_writer_t *w, const char *s)
{
    msgpack_pack_str_with_body(&w->pk, s, strlen(s));
}

/* Decode `w`'s bytes; returns the decode status, fills req/err. */
static int
s_decode(s_writer_t *w, ktag_request_t *req, ktag_wire_error_t *err, msgpack_unpacked *up)
{
    msgpack_unpacked_init(up);
    return ktag_msgpack_decode_request(req, up, w->buf.data, w->buf.size, NULL, err);
}

static void
test_full_request(void)
{
    s_writer_t w;
    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 6);
    s_str(&w, "id"); s_str(&w, "doc-1");
    s_str(&w, "text"); s_str(&w, "삼성전자");
    s_str(&w, "title"); s_str(&w, "CB");
    s_str(&w, "unknown"); msgpack_pack_array(&w.pk, 0);
    s_str(&w, "op"); s_str(&w, "tag");
    s_str(&w, "options");
    msgpack_pack_map(&w.pk, 5);
    s_str(&w, "sentiment"); msgpack_pack_false(&w.pk);
    s_str(&w, "overlaps"); msgpack_pack_true(&w.pk);
    s_str(&w, "explain"); msgpack_pack_true(&w.pk);
    s_str(&w, "offsets"); s_str(&w, "utf16");
    s_str(&w, "types"); msgpack_pack_array(&w.pk, 2); s_str(&w, "chip"); s_str(&w, "funding");

    ktag_request_t req;
    ktag_wire_error_t err;
    msgpack_unpacked up;
    CHECK(s_decode(&w, &req, &err, &up) == 0);
    CHECK(req.op == KTAG_OP_TAG);
    CHECK(req.id.kind == KTAG_ID_STR && req.id.str_len == 5 && memcmp(req.id.str, "doc-1", 5) == 0);
    CHECK(req.text_len == strlen("삼성전자") && memcmp(req.text, "삼성전자", req.text_len) == 0);
    CHECK(req.title && req.title_len == 2);
    CHECK(!req.options.sentiment && req.options.overlaps && req.options.explain);
    CHECK(req.options.offsets == KTAG_OFFSETS_UTF16);
    CHECK(req.options.types == ((1u << KTAG_TYPE_CHIP) | (1u << KTAG_TYPE_FUNDING)));
    CHECK(!req.options.events);   /* a types list without "events" turns them off */
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&w.buf);
}

static void
test_ids(void)
{
    int64_t values[] = { -1, 0, 42, INT64_MIN };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        s_writer_t w;
        s_writer_init(&w);
        msgpack_pack_map(&w.pk, 2);
        s_str(&w, "id"); msgpack_pack_int64(&w.pk, values[i]);
        s_str(&w, "text"); s_str(&w, "x");
        ktag_request_t req;
        ktag_wire_error_t err;
        msgpack_unpacked up;
        CHECK(s_decode(&w, &req, &err, &up) == 0);
        if (values[i] < 0)
            CHECK(req.id.kind == KTAG_ID_INT && req.id.num == values[i]);
        else
            CHECK(req.id.kind == KTAG_ID_UINT && req.id.unum == (uint64_t) values[i]);
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&w.buf);
    }
}

/* A request that must fail with `code`, echo `echo_id` (or none when < 0)
   and say `fragment`. */
static void
s_expect_error(s_writer_t *w, ktag_wire_code_t code, int echo_id, const char *fragment)
{
    ktag_request_t req;
    ktag_wire_error_t err;
    msgpack_unpacked up;
    int rc = s_decode(w, &req, &err, &up);
    CHECK(rc == -1);
    if (rc == -1) {
        CHECK(err.code == code);
        if (!strstr(err.message, fragment)) {
            fprintf(stderr, "message '%s' lacks '%s'\n", err.message, fragment);
            s_failures++;
        }
    }
    if (echo_id < 0)
        CHECK(req.id.kind == KTAG_ID_NONE);
    else
        CHECK(req.id.kind == KTAG_ID_UINT && req.id.unum == (uint64_t) echo_id);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&w->buf);
}

static void
test_errors(void)
{
    s_writer_t w;

    s_writer_init(&w);
    msgpack_sbuffer_write(&w.buf, "\xc1", 1);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, -1, "not a msgpack value");

    s_writer_init(&w);
    msgpack_pack_array(&w.pk, 1); s_str(&w, "x");
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, -1, "must be a map, not array");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 1); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 3);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, 3, "missing text");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 4);
    s_str(&w, "text"); s_str(&w, "");
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, 4, "text is empty");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 5);
    s_str(&w, "op"); s_str(&w, "dance");
    s_expect_error(&w, KTAG_WIRE_UNSUPPORTED, 5, "unknown op 'dance'");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 3); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 6);
    s_str(&w, "text"); s_str(&w, "x");
    s_str(&w, "options"); msgpack_pack_map(&w.pk, 1); s_str(&w, "types");
    msgpack_pack_array(&w.pk, 1); s_str(&w, "stock");
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, 6, "types[0]");

    /* A name with a NUL inside is not the name before the NUL. */
    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 3); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 7);
    s_str(&w, "text"); s_str(&w, "x");
    s_str(&w, "options"); msgpack_pack_map(&w.pk, 1); s_str(&w, "offsets");
    msgpack_pack_str_with_body(&w.pk, "byte\0zzz", 8);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, 7, "options.offsets must be");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 3); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 8);
    s_str(&w, "text"); s_str(&w, "x");
    s_str(&w, "options"); msgpack_pack_map(&w.pk, 1); s_str(&w, "types");
    msgpack_pack_array(&w.pk, 1); msgpack_pack_str_with_body(&w.pk, "company\0x", 9);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, 8, "types[0]");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 3); s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 9);
    s_str(&w, "text"); s_str(&w, "x");
    s_str(&w, "options"); msgpack_pack_map(&w.pk, 1); s_str(&w, "types");
    msgpack_pack_array(&w.pk, 1); msgpack_pack_str_with_body(&w.pk, "events\0", 7);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, 9, "types[0]");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_double(&w.pk, 1.5);
    s_str(&w, "text"); s_str(&w, "x");
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, -1, "id must be a str or an int, not float");

    /* Deeper than msgpack-c's 32-level stack. */
    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "text"); s_str(&w, "x");
    s_str(&w, "deep");
    for (int i = 0; i < 40; i++)
        msgpack_pack_array(&w.pk, 1);
    msgpack_pack_nil(&w.pk);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, -1, "nested deeper than 32 levels");

    s_writer_init(&w);
    msgpack_pack_map(&w.pk, 1); s_str(&w, "text"); s_str(&w, "x");
    msgpack_pack_nil(&w.pk);
    s_expect_error(&w, KTAG_WIRE_BAD_REQUEST, -1, "trailing bytes");
}

static void
test_request_round_trip(void)
{
    ktag_options_t opt;
    ktag_options_init(&opt);
    opt.types = 1u << KTAG_TYPE_COMPANY;
    opt.offsets = KTAG_OFFSETS_BYTE;
    opt.sentiment = false;
    ktag_wire_id_t id = { .kind = KTAG_ID_INT, .num = -9 };
    s_writer_t w;
    s_writer_init(&w);
    CHECK(ktag_msgpack_pack_request(&w.pk, &id, "본문", strlen("본문"), "제목", strlen("제목"),
                                    &opt) == 0);
    ktag_request_t req;
    ktag_wire_error_t err;
    msgpack_unpacked up;
    CHECK(s_decode(&w, &req, &err, &up) == 0);
    CHECK(req.id.kind == KTAG_ID_INT && req.id.num == -9);
    CHECK(req.text_len == strlen("본문") && memcmp(req.text, "본문", req.text_len) == 0);
    CHECK(req.title_len == strlen("제목"));
    CHECK(req.options.types == opt.types && req.options.offsets == opt.offsets);
    CHECK(req.options.sentiment == false && req.options.explain == false);
    CHECK(req.options.events == opt.events);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&w.buf);
}

/* The keys of the map `obj`, joined by commas, into `out`. */
static void
s_keys(const msgpack_object *obj, char *out, size_t size)
{
    out[0] = '\0';
    for (uint32_t i = 0; obj->type == MSGPACK_OBJECT_MAP && i < obj->via.map.size; i++) {
        const msgpack_object_str *k = &obj->via.map.ptr[i].key.via.str;
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%.*s", i ? "," : "", (int) k->size, k->ptr);
    }
}

static void
s_check_keys(const char *data, size_t len, const char *expected, const char *entity_expected)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&up, data, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len);
    char keys[512];
    s_keys(&up.data, keys, sizeof keys);
    if (strcmp(keys, expected) != 0) {
        fprintf(stderr, "keys '%s', expected '%s'\n", keys, expected);
        s_failures++;
    }
    if (entity_expected) {
        const msgpack_object *ents = ktag_msgpack_map_get(&up.data, "entities");
        CHECK(ents && ents->type == MSGPACK_OBJECT_ARRAY && ents->via.array.size > 0);
        if (ents && ents->via.array.size > 0) {
            s_keys(&ents->via.array.ptr[0], keys, sizeof keys);
            if (strcmp(keys, entity_expected) != 0) {
                fprintf(stderr, "entity keys '%s', expected '%s'\n", keys, entity_expected);
                s_failures++;
            }
        }
    }
    msgpack_unpacked_destroy(&up);
}

static void
test_result_and_error_maps(const char *lexdir)
{
    ktag_error_t kerr;
    ktag_lexicon_t *lex = ktag_lexicon_open(lexdir, &kerr);
    if (!lex) {
        fprintf(stderr, "cannot open %s: %s\n", lexdir, kerr.message);
        s_failures++;
        return;
    }
    ktag_result_t *res = ktag_result_new();
    const char *text = "SK하이닉스 주가 강세";
    ktag_options_t opt;
    ktag_options_init(&opt);
    s_writer_t w;

    CHECK(ktag_tag(res, lex, text, strlen(text), NULL, 0, &opt, &kerr) == 0);
    ktag_wire_id_t id = { .kind = KTAG_ID_STR, .str = "a", .str_len = 1 };
    s_writer_init(&w);
    CHECK(ktag_msgpack_pack_result(&w.pk, &id, res, &opt, 12) == 0);
    s_check_keys(w.buf.data, w.buf.size, "id,ok,entities,sentiment,events,lexicon,elapsed_us",
                 "type,id,name,text,start,end,field,sentiment,attrs");
    msgpack_sbuffer_destroy(&w.buf);

    opt.sentiment = false;
    opt.events = false;
    CHECK(ktag_tag(res, lex, text, strlen(text), NULL, 0, &opt, &kerr) == 0);
    s_writer_init(&w);
    CHECK(ktag_msgpack_pack_result(&w.pk, NULL, res, &opt, 12) == 0);
    s_check_keys(w.buf.data, w.buf.size, "ok,entities,lexicon,elapsed_us",
                 "type,id,name,text,start,end,field,attrs");
    msgpack_sbuffer_destroy(&w.buf);

    opt.sentiment = true;
    opt.events = true;
    opt.explain = true;
    CHECK(ktag_tag(res, lex, text, strlen(text), NULL, 0, &opt, &kerr) == 0);
    s_writer_init(&w);
    CHECK(ktag_msgpack_pack_result(&w.pk, &id, res, &opt, 12) == 0);
    s_check_keys(w.buf.data, w.buf.size,
                 "id,ok,entities,sentiment,events,sentences,explain,lexicon,elapsed_us", NULL);
    msgpack_sbuffer_destroy(&w.buf);

    s_writer_init(&w);
    CHECK(ktag_msgpack_pack_error(&w.pk, &id, KTAG_WIRE_TOO_LARGE, "big") == 0);
    s_check_keys(w.buf.data, w.buf.size, "id,ok,error", NULL);
    msgpack_sbuffer_destroy(&w.buf);

    CHECK(strcmp(ktag_wire_code_name(KTAG_WIRE_OVERLOADED), "overloaded") == 0);
    CHECK(ktag_wire_code_from_status(KTAG_ERR_BAD_UTF8) == KTAG_WIRE_BAD_UTF8);
    CHECK(ktag_wire_code_from_status(KTAG_ERR_NOMEM) == KTAG_WIRE_INTERNAL);
    CHECK(ktag_schema_round3(0.62449) == 0.624 && ktag_schema_round3(-0.6205) < -0.62);

    ktag_result_destroy(&res);
    ktag_lexicon_destroy(&lex);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_msgpack LEXICON_DIR\n");
        return 2;
    }
    test_full_request();
    test_ids();
    test_errors();
    test_request_round_trip();
    test_result_and_error_maps(argv[1]);
    if (s_failures)
        fprintf(stderr, "%d checks failed\n", s_failures);
    else
        printf("ktag_msgpack: all checks passed\n");
    return s_failures ? 1 : 0;
}
