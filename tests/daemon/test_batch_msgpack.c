/*  test_batch_msgpack.c - self-test of the batch side of common/ktag_msgpack:
    decoding `docs` (every rule of the header), reading each entry alone,
    the batch request encoder round trip and its size bound, and the head
    of a batch reply.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktag_msgpack.h"

static int s_failures;

#define CHECK(cond) \
    do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
                        s_failures++; } } while (0)

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    msgpack_unpacked up;
} s_writer_t;

static void
s_init(s_writer_t *w)
{
    msgpack_sbuffer_init(&w->buf);
    msgpack_packer_init(&w->pk, &w->buf, msgpack_sbuffer_write);
    msgpack_unpacked_init(&w->up);
}

static void
s_done(s_writer_t *w)
{
    msgpack_unpacked_destroy(&w->up);
    msgpack_sbuffer_destroy(&w->buf);
}

static void
s_str(s_writer_t *w, const char *s)
{
    msgpack_pack_str_with_body(&w->pk, s, strlen(s));
}

static int
s_decode(s_writer_t *w, ktag_request_t *req, ktag_wire_error_t *err)
{
    return ktag_msgpack_decode_request(req, &w->up, w->buf.data, w->buf.size, NULL, err);
}

static bool
s_says(const ktag_wire_error_t *err, const char *fragment)
{
    if (strstr(err->message, fragment))
        return true;
    fprintf(stderr, "message '%s' lacks '%s'\n", err->message, fragment);
    return false;
}

static bool
s_text_is(const ktag_request_t *req, const char *text)
{
    return req->text && req->text_len == strlen(text) && !memcmp(req->text, text, req->text_len);
}

/* A batch of three: a good entry, one whose text is empty, one with a title
   and a str id; shared options; the batch id.  Each entry is read alone. */
static void
test_batch_entries_read_alone(void)
{
    s_writer_t w;
    s_init(&w);
    msgpack_pack_map(&w.pk, 3);
    s_str(&w, "id"); s_str(&w, "batch-1");
    s_str(&w, "docs");
    msgpack_pack_array(&w.pk, 4);
    msgpack_pack_map(&w.pk, 2);
    s_str(&w, "id"); msgpack_pack_uint32(&w.pk, 7);
    s_str(&w, "text"); s_str(&w, "삼성전자");
    msgpack_pack_map(&w.pk, 2);
    s_str(&w, "id"); msgpack_pack_int32(&w.pk, -8);
    s_str(&w, "text"); s_str(&w, "");
    msgpack_pack_map(&w.pk, 3);
    s_str(&w, "title"); s_str(&w, "CB");
    s_str(&w, "text"); s_str(&w, "SK하이닉스");
    s_str(&w, "id"); s_str(&w, "x");
    msgpack_pack_map(&w.pk, 1);
    s_str(&w, "id"); msgpack_pack_true(&w.pk);
    s_str(&w, "options");
    msgpack_pack_map(&w.pk, 1);
    s_str(&w, "sentiment"); msgpack_pack_false(&w.pk);

    ktag_request_t req, doc;
    ktag_wire_error_t err;
    CHECK(s_decode(&w, &req, &err) == 0);
    CHECK(req.op == KTAG_OP_TAG && req.text == NULL && req.docs && req.doc_count == 4);
    CHECK(req.id.kind == KTAG_ID_STR && req.id.str_len == 7 && !memcmp(req.id.str, "batch-1", 7));
    CHECK(req.options.sentiment == false);

    CHECK(ktag_msgpack_batch_doc(&req, 0, &doc, &err) == 0);
    CHECK(doc.id.kind == KTAG_ID_UINT && doc.id.unum == 7);
    CHECK(s_text_is(&doc, "삼성전자") && doc.title == NULL);
    CHECK(doc.options.sentiment == false && doc.docs == NULL);

    CHECK(ktag_msgpack_batch_doc(&req, 1, &doc, &err) == -1);
    CHECK(err.code == KTAG_WIRE_BAD_REQUEST && s_says(&err, "text is empty"));
    CHECK(doc.id.kind == KTAG_ID_INT && doc.id.num == -8);     /* echoed by its error */

    CHECK(ktag_msgpack_batch_doc(&req, 2, &doc, &err) == 0);
    CHECK(doc.id.kind == KTAG_ID_STR && doc.id.str_len == 1 && doc.id.str[0] == 'x');
    CHECK(s_text_is(&doc, "SK하이닉스"));
    CHECK(doc.title_len == 2 && !memcmp(doc.title, "CB", 2));

    CHECK(ktag_msgpack_batch_doc(&req, 3, &doc, &err) == -1);
    CHECK(err.code == KTAG_WIRE_BAD_REQUEST && s_says(&err, "id must be a str or an int, not bool"));
    CHECK(doc.id.kind == KTAG_ID_NONE);
    s_done(&w);
}

/* A request that must fail as a whole with `code`, saying `fragment`. */
static void
s_expect(s_writer_t *w, ktag_wire_code_t code, const char *fragment)
{
    ktag_request_t req;
    ktag_wire_error_t err;
    CHECK(s_decode(w, &req, &err) == -1);
    CHECK(err.code == code && s_says(&err, fragment));
    CHECK(req.id.kind == KTAG_ID_UINT && req.id.unum == 1);    /* the batch id is echoed */
    s_done(w);
}

static void
test_batch_refusals(void)
{
    s_writer_t w;

    s_init(&w);
    msgpack_pack_map(&w.pk, 3); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_str(&w, "text"); s_str(&w, "a");
    s_str(&w, "docs"); msgpack_pack_array(&w.pk, 1); msgpack_pack_map(&w.pk, 1);
    s_str(&w, "text"); s_str(&w, "b");
    s_expect(&w, KTAG_WIRE_BAD_REQUEST, "not both");

    s_init(&w);
    msgpack_pack_map(&w.pk, 1); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_expect(&w, KTAG_WIRE_BAD_REQUEST, "missing text (one document) or docs (a batch)");

    s_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_str(&w, "docs"); s_str(&w, "a");
    s_expect(&w, KTAG_WIRE_BAD_REQUEST, "docs must be an array of maps, not str");

    s_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_str(&w, "docs"); msgpack_pack_array(&w.pk, 0);
    s_expect(&w, KTAG_WIRE_BAD_REQUEST, "docs is empty");

    s_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_str(&w, "docs"); msgpack_pack_array(&w.pk, 2);
    msgpack_pack_map(&w.pk, 1); s_str(&w, "text"); s_str(&w, "a");
    s_str(&w, "b");
    s_expect(&w, KTAG_WIRE_BAD_REQUEST, "docs[1] must be a map, not str");

    s_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_str(&w, "docs"); msgpack_pack_array(&w.pk, KTAG_MAX_BATCH_DOCS + 1);
    for (int i = 0; i <= KTAG_MAX_BATCH_DOCS; i++)
        msgpack_pack_map(&w.pk, 0);
    s_expect(&w, KTAG_WIRE_TOO_LARGE, "exceeds the limit of 10000 documents");

    /* The batch's options are checked once, for all of its documents. */
    s_init(&w);
    msgpack_pack_map(&w.pk, 3); s_str(&w, "id"); msgpack_pack_uint8(&w.pk, 1);
    s_str(&w, "docs"); msgpack_pack_array(&w.pk, 1);
    msgpack_pack_map(&w.pk, 1); s_str(&w, "text"); s_str(&w, "a");
    s_str(&w, "options"); msgpack_pack_map(&w.pk, 1);
    s_str(&w, "offsets"); s_str(&w, "bits");
    s_expect(&w, KTAG_WIRE_BAD_REQUEST, "options.offsets");

    /* An admin op ignores docs as it ignores text. */
    s_init(&w);
    msgpack_pack_map(&w.pk, 2); s_str(&w, "op"); s_str(&w, "ping");
    s_str(&w, "docs"); msgpack_pack_nil(&w.pk);
    ktag_request_t req;
    ktag_wire_error_t err;
    CHECK(s_decode(&w, &req, &err) == 0 && req.op == KTAG_OP_PING && req.docs == NULL);
    s_done(&w);
}

/* `ktag -i msgpack` reads a record as one document: docs means nothing there. */
static void
test_input_records_are_not_batches(void)
{
    s_writer_t w;
    s_init(&w);
    msgpack_pack_map(&w.pk, 2);
    s_str(&w, "body"); s_str(&w, "삼성전자");
    s_str(&w, "docs"); msgpack_pack_array(&w.pk, 0);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&w.up, w.buf.data, w.buf.size, &off) == MSGPACK_UNPACK_SUCCESS);
    ktag_request_t req;
    ktag_wire_error_t err;
    CHECK(ktag_msgpack_request_from_object(&req, &w.up.data, "body", NULL, NULL, &err) == 0);
    CHECK(s_text_is(&req, "삼성전자") && req.docs == NULL);
    s_done(&w);
}

static void
test_batch_request_round_trip_and_size_bound(void)
{
    ktag_options_t opt;
    ktag_options_init(&opt);
    opt.types = 1u << KTAG_TYPE_CHIP;
    opt.offsets = KTAG_OFFSETS_UTF16;
    char long_id[300];
    memset(long_id, 'i', sizeof long_id);
    ktag_wire_doc_t docs[3] = {
        { .id = { .kind = KTAG_ID_UINT, .unum = 1ull << 40 }, .text = "본문", .text_len = 6,
          .title = "제목", .title_len = 6 },
        { .text = "H800", .text_len = 4 },
        { .id = { .kind = KTAG_ID_STR, .str = long_id, .str_len = sizeof long_id },
          .text = "x", .text_len = 1 },
    };
    ktag_wire_id_t id = { .kind = KTAG_ID_INT, .num = -3 };
    s_writer_t w;
    s_init(&w);
    CHECK(ktag_msgpack_pack_batch_request(&w.pk, &id, docs, 3, &opt) == 0);
    size_t bound = 0;
    for (int i = 0; i < 3; i++)
        bound += ktag_msgpack_batch_doc_size(&docs[i]);
    CHECK(w.buf.size <= bound + 100);

    ktag_request_t req, doc;
    ktag_wire_error_t err;
    CHECK(s_decode(&w, &req, &err) == 0);
    CHECK(req.id.kind == KTAG_ID_INT && req.id.num == -3 && req.doc_count == 3);
    CHECK(req.options.types == opt.types && req.options.offsets == KTAG_OFFSETS_UTF16);
    CHECK(ktag_msgpack_batch_doc(&req, 0, &doc, &err) == 0);
    CHECK(doc.id.kind == KTAG_ID_UINT && doc.id.unum == 1ull << 40 && s_text_is(&doc, "본문"));
    CHECK(doc.title_len == 6 && !memcmp(doc.title, "제목", 6));
    CHECK(ktag_msgpack_batch_doc(&req, 1, &doc, &err) == 0);
    CHECK(doc.id.kind == KTAG_ID_NONE && s_text_is(&doc, "H800") && doc.title == NULL);
    CHECK(ktag_msgpack_batch_doc(&req, 2, &doc, &err) == 0);
    CHECK(doc.id.kind == KTAG_ID_STR && doc.id.str_len == sizeof long_id);
    s_done(&w);

    /* Each document's bound holds alone too (a sender cuts batches by it). */
    for (int i = 0; i < 3; i++) {
        s_init(&w);
        CHECK(ktag_msgpack_pack_batch_request(&w.pk, NULL, &docs[i], 1, NULL) == 0);
        s_writer_t empty;
        s_init(&empty);
        ktag_msgpack_pack_batch_request(&empty.pk, NULL, &docs[i], 0, NULL);
        CHECK(w.buf.size - empty.buf.size <= ktag_msgpack_batch_doc_size(&docs[i]));
        s_done(&empty);
        s_done(&w);
    }
}

static void
test_batch_reply_head(void)
{
    s_writer_t w;
    s_init(&w);
    ktag_wire_id_t id = { .kind = KTAG_ID_STR, .str = "b", .str_len = 1 };
    CHECK(ktag_msgpack_pack_batch_reply(&w.pk, &id, 2) == 0);
    ktag_wire_id_t one = { .kind = KTAG_ID_UINT, .unum = 1 };
    CHECK(ktag_msgpack_pack_error(&w.pk, &one, KTAG_WIRE_BAD_UTF8, "at byte 3") == 0);
    CHECK(ktag_msgpack_pack_error(&w.pk, NULL, KTAG_WIRE_BAD_REQUEST, "text is empty") == 0);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&w.up, w.buf.data, w.buf.size, &off) == MSGPACK_UNPACK_SUCCESS
          && off == w.buf.size);
    const msgpack_object *o = &w.up.data;
    CHECK(o->type == MSGPACK_OBJECT_MAP && o->via.map.size == 3);
    if (o->type == MSGPACK_OBJECT_MAP && o->via.map.size == 3) {
        const char *keys[] = { "id", "ok", "results" };
        for (int i = 0; i < 3; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            CHECK(k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(keys[i])
                  && !memcmp(k->via.str.ptr, keys[i], k->via.str.size));
        }
    }
    const msgpack_object *ok = ktag_msgpack_map_get(o, "ok");
    CHECK(ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean);
    const msgpack_object *results = ktag_msgpack_map_get(o, "results");
    CHECK(results && results->type == MSGPACK_OBJECT_ARRAY && results->via.array.size == 2);
    s_done(&w);

    s_init(&w);
    CHECK(ktag_msgpack_pack_batch_reply(&w.pk, NULL, 0) == 0);
    CHECK(w.buf.size == 1 + 3 + 1 + 8 + 1);    /* {ok: true, results: []} */
    s_done(&w);
}

int
main(void)
{
    test_batch_entries_read_alone();
    test_batch_refusals();
    test_input_records_are_not_batches();
    test_batch_request_round_trip_and_size_bound();
    test_batch_reply_head();
    if (s_failures)
        fprintf(stderr, "%d checks failed\n", s_failures);
    else
        printf("ktag_msgpack batches: all checks passed\n");
    return s_failures ? 1 : 0;
}
