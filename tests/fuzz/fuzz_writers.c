/*  fuzz_writers.c - libFuzzer target: the three ways a result becomes JSON
    must agree byte for byte, on whatever the engine finds in arbitrary text.

    common/ktag_schema.h says the JSON writer and the msgpack writer must agree
    exactly, and `ktag --connect` must print what `ktag` prints in-process.
    For every input (fuzz_doc_from_input()'s layout; a string id is taken from the
    title when it is valid UTF-8, else an integer id from the option bytes):
      A = ktag_json_write_result()         the CLI's direct writer
      B = json_dumpb(ktag_json_result())   jansson, the reference
      C = ktag_json_write_msgpack(unpack(ktag_msgpack_pack_result()))
                                            what --connect prints of a ktagd reply
    A == B == C, and A parses back with jansson into an object whose
    entity count is the result's.
*/
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_common.h"
#include "ktag_json.h"
#include "ktag_msgpack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writers' callback: append to a memory stream. */
static int
s_write(const char *data, size_t len, void *user)
{
    return fwrite(data, 1, len, user) == len ? 0 : -1;
}

typedef struct {
    char *data;
    size_t len;
    FILE *f;
} s_out_t;

static FILE *
s_open(s_out_t *o)
{
    o->data = NULL;
    o->len = 0;
    o->f = open_memstream(&o->data, &o->len);
    FUZZ_ASSERT(o->f);
    return o->f;
}

static void
s_close(s_out_t *o)
{
    FUZZ_ASSERT(fclose(o->f) == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_lexicon();
    return 0;
}

static void
s_assert_same(const s_out_t *a, const s_out_t *b, const char *what)
{
    if (a->len == b->len && memcmp(a->data, b->data, a->len) == 0)
        return;
    fprintf(stderr, "%s differ:\n  %.*s\n  %.*s\n", what, (int) (a->len > 2000 ? 2000 : a->len),
            a->data, (int) (b->len > 2000 ? 2000 : b->len), b->data);
    fuzz_fail(__FILE__, __LINE__, what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_doc_t doc;
    if (fuzz_doc_from_input(&doc, data, size) != 0)
        return 0;
    ktag_result_t *result = ktag_result_new();
    FUZZ_ASSERT(result);
    ktag_error_t err;
    if (ktag_tag(result, fuzz_lexicon(), doc.text, doc.text_len, doc.title, doc.title_len,
                 &doc.options, &err) != 0)
        goto done;
    const ktag_options_t *options = &doc.options;
    const char *title = doc.title;
    size_t title_len = doc.title_len;

    /* The id: a JSON string of arbitrary (valid) UTF-8, to exercise the
       escaping of both writers, or an integer. */
    json_t *id;
    ktag_wire_id_t wid;
    memset(&wid, 0, sizeof wid);
    if (title && title_len < 256 && fuzz_utf8_valid(title, title_len)) {
        id = json_stringn(title, title_len);
        wid.kind = KTAG_ID_STR;
        wid.str = title;
        wid.str_len = title_len;
    } else {
        long long n = ((long long) data[0] << 8 | data[1]) - 30000;
        id = json_integer(n);
        wid.kind = n < 0 ? KTAG_ID_INT : KTAG_ID_UINT;
        wid.num = n;
        wid.unum = (uint64_t) n;
    }
    FUZZ_ASSERT(id);
    int64_t elapsed = 42;

    s_out_t a, b, c;
    FUZZ_ASSERT(ktag_json_write_result(result, id, options, elapsed, s_write, s_open(&a)) == 0);
    s_close(&a);

    json_t *obj = ktag_json_result(result, id, options, elapsed);
    FUZZ_ASSERT(obj);
    FUZZ_ASSERT(json_dumpf(obj, s_open(&b), KTAG_JSON_DUMP_FLAGS) == 0);
    s_close(&b);
    json_decref(obj);
    s_assert_same(&a, &b, "direct JSON writer and jansson");

    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    FUZZ_ASSERT(ktag_msgpack_pack_result(&pk, &wid, result, options, (uint64_t) elapsed) == 0);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    FUZZ_ASSERT(msgpack_unpack_next(&up, sbuf.data, sbuf.size, &off) == MSGPACK_UNPACK_SUCCESS);
    FUZZ_ASSERT(ktag_json_write_msgpack(&up.data, id, s_write, s_open(&c)) == 0);
    s_close(&c);
    s_assert_same(&a, &c, "in-process JSON and JSON of the msgpack reply");
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sbuf);

    json_error_t jerr;
    json_t *back = json_loadb(a.data, a.len, JSON_ALLOW_NUL, &jerr);
    if (!back) {
        fprintf(stderr, "writer output is not JSON (%s at %d): %.*s\n", jerr.text, jerr.position,
                (int) (a.len > 2000 ? 2000 : a.len), a.data);
        fuzz_fail(__FILE__, __LINE__, "JSON parses");
    }
    json_t *ents = json_object_get(back, "entities");
    FUZZ_ASSERT(json_is_array(ents) && json_array_size(ents) == ktag_result_entity_count(result));
    json_decref(back);
    json_decref(id);
    free(a.data);
    free(b.data);
    free(c.data);
done:
    ktag_result_destroy(&result);
    fuzz_doc_free(&doc);
    return 0;
}
