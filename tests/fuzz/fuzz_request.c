/*  fuzz_request.c - libFuzzer target: the wire request decoder
    (common/ktag_msgpack) on arbitrary bytes, then what ktagd does next.

    Every input is decoded as ktagd decodes a ZeroMQ message.  A refused
    request must carry a known wire code and a message, and its error reply
    must pack.  An accepted tag request is
      - re-encoded with ktag_msgpack_pack_request() and decoded again: the
        text, title, id and options must survive the round trip;
      - tagged (fuzz_common.h invariants) and its reply packed, and the
        reply must decode as one msgpack map with ok, the id echoed.
    An accepted batch has every entry read alone (an error or a document
    inside the input), and its good documents survive a round trip through
    ktag_msgpack_pack_batch_request().
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ktag_msgpack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_lexicon();
    return 0;
}

static int
s_id_equal(const ktag_wire_id_t *a, const ktag_wire_id_t *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case KTAG_ID_STR: return a->str_len == b->str_len && !memcmp(a->str, b->str, a->str_len);
    case KTAG_ID_INT: return a->num == b->num;
    case KTAG_ID_UINT: return a->unum == b->unum;
    default: return 1;
    }
}

/* The reply must be exactly one msgpack map whose "ok" is `ok` and whose
   "id" is the request's. */
static void
s_check_reply(const msgpack_sbuffer *buf, int ok, const ktag_wire_id_t *id)
{
    msgpack_unpacked reply;
    msgpack_unpacked_init(&reply);
    size_t off = 0;
    FUZZ_ASSERT(msgpack_unpack_next(&reply, buf->data, buf->size, &off) == MSGPACK_UNPACK_SUCCESS);
    FUZZ_ASSERT(off == buf->size);
    FUZZ_ASSERT(reply.data.type == MSGPACK_OBJECT_MAP);
    const msgpack_object *v = ktag_msgpack_map_get(&reply.data, "ok");
    FUZZ_ASSERT(v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean == (ok != 0));
    v = ktag_msgpack_map_get(&reply.data, "id");
    if (id->kind == KTAG_ID_NONE) {
        FUZZ_ASSERT(v == NULL);
    } else {
        ktag_wire_id_t echoed;
        FUZZ_ASSERT(v && ktag_msgpack_id_from_object(&echoed, v) == 0);
        FUZZ_ASSERT(s_id_equal(&echoed, id));
    }
    if (!ok) {
        const msgpack_object *e = ktag_msgpack_map_get(&reply.data, "error");
        FUZZ_ASSERT(e && e->type == MSGPACK_OBJECT_MAP);
        FUZZ_ASSERT(ktag_msgpack_map_get(e, "code") && ktag_msgpack_map_get(e, "message"));
    }
    msgpack_unpacked_destroy(&reply);
}

static void
s_check_batch(const ktag_request_t *req, const char *msg, size_t size)
{
    ktag_wire_doc_t *docs = calloc(req->doc_count, sizeof *docs);
    FUZZ_ASSERT(docs);
    size_t n = 0;
    for (size_t i = 0; i < req->doc_count; i++) {
        ktag_request_t doc;
        ktag_wire_error_t werr;
        memset(&werr, 0, sizeof werr);
        if (ktag_msgpack_batch_doc(req, i, &doc, &werr) != 0) {
            FUZZ_ASSERT(werr.code == KTAG_WIRE_BAD_REQUEST && werr.message[0] != '\0');
            continue;
        }
        FUZZ_ASSERT(doc.text && doc.text_len > 0);
        FUZZ_ASSERT(doc.text >= msg && doc.text + doc.text_len <= msg + size);
        docs[n++] = (ktag_wire_doc_t) { doc.id, doc.text, doc.text_len, doc.title, doc.title_len };
    }
    if (n > 0) {
        msgpack_sbuffer buf;
        msgpack_sbuffer_init(&buf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
        FUZZ_ASSERT(ktag_msgpack_pack_batch_request(&pk, &req->id, docs, n, &req->options) == 0);
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        ktag_request_t again, doc;
        ktag_wire_error_t werr;
        FUZZ_ASSERT(ktag_msgpack_decode_request(&again, &up, buf.data, buf.size, NULL, &werr) == 0);
        FUZZ_ASSERT(again.doc_count == n && s_id_equal(&again.id, &req->id));
        for (size_t i = 0; i < n; i++) {
            FUZZ_ASSERT(ktag_msgpack_batch_doc(&again, i, &doc, &werr) == 0);
            FUZZ_ASSERT(s_id_equal(&doc.id, &docs[i].id));
            FUZZ_ASSERT(doc.text_len == docs[i].text_len
                        && !memcmp(doc.text, docs[i].text, doc.text_len));
            FUZZ_ASSERT((doc.title == NULL) == (docs[i].title == NULL));
        }
        msgpack_unpacked_destroy(&up);
        msgpack_sbuffer_destroy(&buf);
    }
    free(docs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy: the decoder is zero-copy, and ASan sees an overread
       only at the edge of an allocation of exactly `size` bytes. */
    char *msg = malloc(size ? size : 1);
    FUZZ_ASSERT(msg);
    memcpy(msg, data, size);

    msgpack_unpacked unpacked;
    msgpack_unpacked_init(&unpacked);
    ktag_request_t req;
    ktag_wire_error_t werr;
    memset(&werr, 0, sizeof werr);
    int rc = ktag_msgpack_decode_request(&req, &unpacked, msg, size, NULL, &werr);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);

    if (rc != 0) {
        FUZZ_ASSERT(rc == -1);
        FUZZ_ASSERT((unsigned) werr.code < KTAG_WIRE_CODE_COUNT);
        FUZZ_ASSERT(werr.message[0] != '\0');
        FUZZ_ASSERT(memchr(werr.message, '\0', sizeof werr.message) != NULL);
        FUZZ_ASSERT(ktag_msgpack_pack_error(&pk, &req.id, werr.code, werr.message) == 0);
        s_check_reply(&buf, 0, &req.id);
        goto done;
    }
    if (req.op != KTAG_OP_TAG)
        goto done;
    if (req.docs) {
        s_check_batch(&req, msg, size);
        goto done;
    }
    FUZZ_ASSERT(req.text && req.text_len > 0);
    FUZZ_ASSERT(req.text >= msg && req.text + req.text_len <= msg + size);
    if (req.title)
        FUZZ_ASSERT(req.title >= msg && req.title + req.title_len <= msg + size);

    /* Round trip through the encoder the CLI's --connect uses. */
    FUZZ_ASSERT(ktag_msgpack_pack_request(&pk, &req.id, req.text, req.text_len,
                                          req.title, req.title_len, &req.options) == 0);
    msgpack_unpacked again_unpacked;
    msgpack_unpacked_init(&again_unpacked);
    ktag_request_t again;
    FUZZ_ASSERT(ktag_msgpack_decode_request(&again, &again_unpacked, buf.data, buf.size,
                                            NULL, &werr) == 0);
    FUZZ_ASSERT(again.op == KTAG_OP_TAG);
    FUZZ_ASSERT(s_id_equal(&again.id, &req.id));
    FUZZ_ASSERT(again.text_len == req.text_len && !memcmp(again.text, req.text, req.text_len));
    FUZZ_ASSERT((again.title == NULL) == (req.title == NULL));
    if (req.title)
        FUZZ_ASSERT(again.title_len == req.title_len
                    && !memcmp(again.title, req.title, req.title_len));
    FUZZ_ASSERT(again.options.types == req.options.types
                && again.options.offsets == req.options.offsets
                && again.options.overlaps == req.options.overlaps
                && again.options.sentiment == req.options.sentiment
                && again.options.explain == req.options.explain);
    msgpack_unpacked_destroy(&again_unpacked);
    msgpack_sbuffer_clear(&buf);

    /* What a ktagd worker does with it, on a fresh result so that every
       input reproduces alone (fuzz_tag covers result reuse). */
    ktag_result_t *result = ktag_result_new();
    FUZZ_ASSERT(result);
    ktag_error_t err;
    memset(&err, 0, sizeof err);
    int status = ktag_tag(result, fuzz_lexicon(), req.text, req.text_len,
                          req.title, req.title_len, &req.options, &err);
    fuzz_check_result(result, status, &err, req.text, req.text_len, req.title,
                      req.title_len, &req.options);
    if (status == 0) {
        FUZZ_ASSERT(ktag_msgpack_pack_result(&pk, &req.id, result, &req.options, 1) == 0);
        s_check_reply(&buf, 1, &req.id);
    } else {
        FUZZ_ASSERT(ktag_msgpack_pack_error(&pk, &req.id, ktag_wire_code_from_status(status),
                                            err.message) == 0);
        s_check_reply(&buf, 0, &req.id);
    }
    ktag_result_destroy(&result);
    FUZZ_ASSERT(result == NULL);

done:
    msgpack_sbuffer_destroy(&buf);
    msgpack_unpacked_destroy(&unpacked);
    free(msg);
    return 0;
}
