/*  ktagd_worker.c - the worker threads: decode, tag, reply. */
#include "ktagd_worker.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "ktagd_frames.h"
#include "ktagd_log.h"
#include "ktagd_pack.h"

struct ktagd_worker {
    ktagd_shared_t *shared;
    pthread_t thread;
    void *socket;
    bool envelope;
    bool jobs;
    int index;
};

static uint64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static const char *
s_mode_name(ktagd_mode_t mode)
{
    switch (mode) {
    case KTAGD_MODE_BIND: return "bind";
    case KTAGD_MODE_CONNECT: return "connect";
    case KTAGD_MODE_BROKER: return "broker";
    case KTAGD_MODE_PIPELINE: return "pipeline";
    }
    return "bind";
}

static int
s_key(msgpack_packer *pk, const char *key)
{
    return ktag_msgpack_pack_cstr(pk, key);
}

int
ktagd_pack_admin_reply(ktagd_shared_t *shared, msgpack_packer *pk, ktag_op_t op,
                       const ktag_wire_id_t *id)
{
    ktag_lexicon_t *lex = shared->lexicons ? ktagd_lexholder_get(shared->lexicons) : NULL;
    int rc = ktag_msgpack_pack_map_id(pk, op == KTAG_OP_INFO ? 8 : 2, id);
    rc |= s_key(pk, "ok");
    rc |= msgpack_pack_true(pk);
    switch (op) {
    case KTAG_OP_PING:
        rc |= s_key(pk, "pong");
        rc |= msgpack_pack_true(pk);
        break;
    case KTAG_OP_INFO:
        rc |= s_key(pk, "version");
        rc |= ktag_msgpack_pack_cstr(pk, ktag_version());
        rc |= s_key(pk, "protocol");
        rc |= msgpack_pack_int(pk, 1);
        rc |= s_key(pk, "mode");
        rc |= ktag_msgpack_pack_cstr(pk, s_mode_name(shared->config->mode));
        rc |= s_key(pk, "threads");
        rc |= msgpack_pack_int(pk, shared->config->mode == KTAGD_MODE_BROKER
                                       ? 0 : shared->config->threads);
        rc |= s_key(pk, "max_message_size");
        rc |= msgpack_pack_uint64(pk, shared->config->max_message_size);
        rc |= s_key(pk, "curve");
        rc |= shared->curve ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        rc |= s_key(pk, "lexicon");
        rc |= ktagd_stats_pack_lexicon(pk, lex);
        break;
    default:
        rc |= s_key(pk, "stats");
        rc |= ktagd_stats_pack(shared->stats, pk, lex);
        break;
    }
    ktag_lexicon_destroy(&lex);
    return rc;
}

static void
s_error(msgpack_packer *pk, const ktag_wire_id_t *id, ktag_wire_code_t code,
        const char *message, int *out_code)
{
    ktag_msgpack_pack_error(pk, id, code, message);
    *out_code = (int) code;
    log_debug("request refused: %s: %s", ktag_wire_code_name(code), message);
}

/* Tag one document (`doc`, decoded) with `lex` and write its reply: the
   result, or the error naming what failed.  Sets *code to -1 when it was
   tagged, else to the error code.  @returns 0, or -1 when the reply could
   not be written (out of memory). */
static int
s_tag_one(ktag_result_t *result, ktag_lexicon_t *lex, const ktag_request_t *doc,
          msgpack_packer *pk, int *code)
{
    ktag_error_t kerr = { 0 };
    uint64_t t0 = s_now_us();
    int status = ktag_tag(result, lex, doc->text, doc->text_len, doc->title, doc->title_len,
                          &doc->options, &kerr);
    uint64_t elapsed = s_now_us() - t0;
    *code = -1;
    if (status == 0)
        /* pk writes to an sbuffer (ktagd_handle_request): append to it */
        return ktagd_pack_result(pk->data, &doc->id, result, &doc->options, elapsed);
    s_error(pk, &doc->id, ktag_wire_code_from_status(status),
            kerr.message[0] ? kerr.message : ktag_strerror(status), code);
    return 0;
}

/* A batch: {id?, ok: true, results: [...]} with one reply per document, in
   order; a document that cannot be read or tagged is an error entry (and
   counted as that error).  All of them are tagged with the same lexicon.
   Sets *documents to the documents tagged.  @returns 0, or -1 when the
   reply could not be written (out of memory). */
static int
s_tag_batch(ktagd_shared_t *shared, ktag_result_t *result, ktag_lexicon_t *lex,
            const ktag_request_t *req, msgpack_packer *pk, int *documents)
{
    if (ktag_msgpack_pack_batch_reply(pk, &req->id, req->doc_count) != 0)
        return -1;
    for (size_t i = 0; i < req->doc_count; i++) {
        ktag_request_t doc;
        ktag_wire_error_t werr;
        int code;
        if (ktag_msgpack_batch_doc(req, i, &doc, &werr) != 0)
            s_error(pk, &doc.id, werr.code, werr.message, &code);
        else if (s_tag_one(result, lex, &doc, pk, &code) != 0)
            return -1;
        if (code < 0)
            (*documents)++;
        else
            ktagd_stats_error(shared->stats, (ktag_wire_code_t) code);
    }
    return 0;
}

void
ktagd_handle_request(ktagd_shared_t *shared, ktag_result_t *result,
                     const char *data, size_t len, size_t body_frames,
                     msgpack_sbuffer *out, int *documents, int *code)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, ktagd_pack_write);
    *documents = 0;
    *code = -1;
    if (body_frames == 0) {
        s_error(&pk, NULL, KTAG_WIRE_BAD_REQUEST, "empty message: no request frame", code);
        return;
    }

    msgpack_unpacked unpacked;
    msgpack_unpacked_init(&unpacked);
    ktag_request_t req;
    ktag_wire_error_t werr;
    char message[300];
    int rc = ktag_msgpack_decode_request(&req, &unpacked, data, len, NULL, &werr);
    size_t limit = shared->config->max_message_size;
    ktag_lexicon_t *lex = NULL;
    int write_failed = 0;

    if (len > limit) {
        snprintf(message, sizeof message,
                 "request of %zu bytes exceeds the limit of %zu bytes", len, limit);
        s_error(&pk, &req.id, KTAG_WIRE_TOO_LARGE, message, code);
    } else if (body_frames > 1) {
        snprintf(message, sizeof message,
                 "%zu frames after the envelope; a request is exactly one frame", body_frames);
        s_error(&pk, &req.id, KTAG_WIRE_BAD_REQUEST, message, code);
    } else if (rc != 0) {
        s_error(&pk, &req.id, werr.code, werr.message, code);
    } else if (req.op == KTAG_OP_RELOAD) {
        s_error(&pk, &req.id, KTAG_WIRE_UNSUPPORTED,
                "reload is served on the --control socket only", code);
    } else if (req.op != KTAG_OP_TAG) {
        ktagd_pack_admin_reply(shared, &pk, req.op, &req.id);
    } else if (!(lex = ktagd_lexholder_get(shared->lexicons))) {
        s_error(&pk, &req.id, KTAG_WIRE_INTERNAL, "no lexicon loaded", code);
    } else if (req.docs) {
        write_failed = s_tag_batch(shared, result, lex, &req, &pk, documents);
    } else {
        write_failed = s_tag_one(result, lex, &req, &pk, code);
        *documents = *code < 0;
    }
    if (write_failed) {
        /* Out of memory for a long reply: a short one may still fit. */
        msgpack_sbuffer_clear(out);
        *documents = 0;
        s_error(&pk, &req.id, KTAG_WIRE_INTERNAL, "out of memory writing the reply", code);
    }
    /* The result keeps its own reference until its next use. */
    ktag_lexicon_destroy(&lex);
    msgpack_unpacked_destroy(&unpacked);
}

int
ktagd_worker_serve(ktagd_shared_t *shared, ktag_result_t *result, msgpack_sbuffer *out,
                   ktagd_frames_t *frames, bool envelope)
{
    uint64_t t0 = s_now_us();
    size_t body = envelope ? ktagd_frames_body_start(frames) : 0;
    size_t body_frames = frames->total > body ? frames->total - body : 0;
    const char *data = NULL;
    size_t len = 0;
    if (body < frames->count) {
        data = zmq_msg_data(&frames->part[body]);
        len = zmq_msg_size(&frames->part[body]);
    }
    msgpack_sbuffer_clear(out);
    int documents, code;
    ktagd_handle_request(shared, result, data, len, body_frames, out, &documents, &code);

    ktagd_frames_truncate(frames, body);
    if (ktagd_frames_append(frames, out->data, out->size) != 0) {
        log_error("cannot build a reply frame; request dropped");
        ktagd_stats_dropped(shared->stats);
        ktagd_frames_close(frames);
        return -1;
    }
    if (code >= 0)
        ktagd_stats_error(shared->stats, (ktag_wire_code_t) code);
    ktagd_stats_replied(shared->stats, out->size, s_now_us() - t0, documents);
    return 0;
}

ktagd_job_t *
ktagd_job_from_frames(const ktagd_frames_t *frames)
{
    ktagd_job_t *job;
    zmq_msg_t *part = (zmq_msg_t *) &frames->part[0];
    assert(frames->count == 1 && zmq_msg_size(part) == sizeof job);
    memcpy(&job, zmq_msg_data(part), sizeof job);
    return job;
}

/* `frames` holds a job's address: serve its requests, send it back. */
static void
s_serve_job(ktagd_worker_t *self, ktag_result_t *result, msgpack_sbuffer *out,
            ktagd_frames_t *frames)
{
    ktagd_job_t *job = ktagd_job_from_frames(frames);
    for (size_t i = 0; i < job->count; i++)
        ktagd_worker_serve(self->shared, result, out, &job->msg[i], self->envelope);
    atomic_store_explicit(&job->done, true, memory_order_release);
    /* On ETERM the daemon is stopping and frees the jobs itself. */
    if (ktagd_frames_send(frames, self->socket, 0) != 0)
        ktagd_frames_close(frames);
}

static void *
s_run(void *arg)
{
    ktagd_worker_t *self = arg;
    ktagd_shared_t *shared = self->shared;
    ktag_result_t *result = ktag_result_new();
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    ktagd_frames_t frames;
    ktagd_frames_init(&frames);
    if (!result) {
        log_error("worker %d: out of memory", self->index);
        goto done;
    }
    log_debug("worker %d ready", self->index);
    for (;;) {
        if (ktagd_frames_recv(&frames, self->socket, 0) != 0) {
            if (errno == EINTR)
                continue;
            break;          /* ETERM: the daemon is stopping */
        }
        if (self->jobs) {
            s_serve_job(self, result, &out, &frames);
            continue;
        }
        if (ktagd_worker_serve(shared, result, &out, &frames, self->envelope) != 0)
            continue;
        if (ktagd_frames_send(&frames, self->socket, 0) != 0) {
            ktagd_frames_close(&frames);
            if (errno == ETERM)
                break;
        }
    }
done:
    ktagd_frames_close(&frames);
    msgpack_sbuffer_destroy(&out);
    ktag_result_destroy(&result);
    zmq_close(self->socket);
    self->socket = NULL;
    log_debug("worker %d stopped", self->index);
    return NULL;
}

ktagd_worker_t *
ktagd_worker_start(ktagd_shared_t *shared, const char *endpoint, bool envelope, bool jobs,
                   int index)
{
    ktagd_worker_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->shared = shared;
    self->envelope = envelope;
    self->jobs = jobs;
    self->index = index;
    self->socket = zmq_socket(shared->zmq, ZMQ_DEALER);
    int zero = 0;
    if (!self->socket
        || zmq_setsockopt(self->socket, ZMQ_LINGER, &zero, sizeof zero) != 0
        || zmq_setsockopt(self->socket, ZMQ_RCVHWM, &zero, sizeof zero) != 0
        || zmq_setsockopt(self->socket, ZMQ_SNDHWM, &zero, sizeof zero) != 0
        || zmq_connect(self->socket, endpoint) != 0) {
        log_error("worker %d: cannot connect to %s: %s", index, endpoint, zmq_strerror(errno));
        goto fail;
    }
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        log_error("worker %d: cannot start its thread", index);
        goto fail;
    }
    return self;
fail:
    if (self->socket)
        zmq_close(self->socket);
    free(self);
    return NULL;
}

void
ktagd_worker_join(ktagd_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_join((*self_p)->thread, NULL);
    free(*self_p);
    *self_p = NULL;
}
