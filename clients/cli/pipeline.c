/*  pipeline.c - in-process tagging.  With one job the reader, tagger and
    writer take turns on the main thread.  With N jobs the main thread reads
    into a ring of slots, N workers tag (each with its own ktag_result_t, all
    sharing the lexicon) and format, and a writer thread emits the slots in
    sequence order: the ring is both the bounded queue and the reorder
    buffer, so a slow document holds back at most one ring of others.
*/
#include "ktag_cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktag_json.h"
#include "ktag_msgpack.h"

static int64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* 1-based line of byte `offset` in `text`, for messages about a whole file. */
static uint64_t
s_line_of(const char *text, size_t len, size_t offset)
{
    uint64_t line = 1;
    if (offset > len)
        offset = len;
    for (const char *p = text; (p = memchr(p, '\n', (size_t) (text + offset - p))); p++)
        line++;
    return line;
}

static int
s_pack_cb(void *user, const char *data, size_t size)
{
    ktag_cli_buf_append(user, data, size);
    return 0;
}

static int
s_dump_cb(const char *data, size_t size, void *user)
{
    ktag_cli_buf_append(user, data, size);
    return 0;
}

static void
s_process(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
          ktag_result_t *result, ktag_cli_slot_t *slot)
{
    ktag_cli_doc_t doc;
    if (ktag_cli_doc_extract(slot, config, &doc) != 0)
        return;
    ktag_error_t err;
    int64_t t0 = s_now_us();
    int rc = ktag_tag(result, lexicon, doc.text, doc.text_len, doc.title, doc.title_len,
                      &config->options, &err);
    int64_t elapsed = s_now_us() - t0;
    if (rc != 0) {
        if (rc == KTAG_ERR_BAD_UTF8 && config->input == KTAG_CLI_IN_TEXT)
            slot->line = s_line_of(doc.text, doc.text_len, err.offset);
        ktag_cli_doc_fail(slot, config, doc.id, ktag_json_error_code(rc), "%s", err.message);
        return;
    }
    if (config->output == KTAG_CLI_OUT_MSGPACK) {
        /* The daemon's own writer: `-f msgpack` is byte for byte a ktagd reply. */
        ktag_wire_id_t id;
        ktag_cli_wire_id(doc.id, &id);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &slot->out, s_pack_cb);
        ktag_msgpack_pack_result(&pk, doc.id ? &id : NULL, result, &config->options, (uint64_t) elapsed);
        return;
    }
    if (config->output == KTAG_CLI_OUT_JSONL) {
        ktag_json_write_result(result, doc.id, &config->options, elapsed, s_dump_cb, &slot->out);
        ktag_cli_buf_append(&slot->out, "\n", 1);
        return;
    }
    json_t *obj = ktag_json_result(result, doc.id, &config->options, elapsed);
    if (!obj) {
        ktag_cli_doc_fail(slot, config, doc.id, "internal", "out of memory building the result");
        return;
    }
    ktag_cli_format(config, obj, &slot->out);
    json_decref(obj);
}

void
ktag_cli_sink_write(ktag_cli_sink_t *self, ktag_cli_slot_t *slot)
{
    if (slot->out.len) {
        if (self->out_is_tty)
            ktag_cli_progress_clear(self->progress);    /* one terminal, two streams */
        fwrite(slot->out.data, 1, slot->out.len, self->out);
    }
    if (slot->diag.len) {
        ktag_cli_progress_clear(self->progress);
        fwrite(slot->diag.data, 1, slot->diag.len, stderr);
    }
    if (slot->read_code && !slot->emit_read_error) {
        self->input_errors++;   /* an unreadable input, not a document */
    } else {
        self->documents++;
        if (slot->failed)
            self->failed++;
    }
    ktag_cli_progress_add(self->progress, slot->nbytes);
}

/* Documents move in batches: with headline-sized documents, a lock round
 * trip and a wake-up per document would cost as much as tagging it. */
#define S_BATCH 32

typedef struct {
    const ktag_cli_config_t *config;
    ktag_lexicon_t *lexicon;
    ktag_cli_sink_t *sink;
    ktag_cli_slot_t *slots;
    bool *done;
    size_t nslots;
    int jobs;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;     /* slots were filled, or end of input */
    pthread_cond_t done_cv;     /* the slot the writer waits for is done, or end */
    pthread_cond_t free_cv;     /* the writer released slots */
    uint64_t produced;          /* slots [next_work, produced) wait for a worker */
    uint64_t next_work;
    uint64_t next_write;
    bool eof;
    bool input_waiting;         /* the reader may block on a pipe: flush output */
    bool unflushed;             /* the writer wrote since its last flush */
} s_pipe_t;

static void *
s_worker(void *arg)
{
    s_pipe_t *p = arg;
    ktag_result_t *result = ktag_result_new();
    if (!result) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->next_work == p->produced && !p->eof)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->next_work == p->produced)
            break;
        /* Take a fair share of what is waiting, so that one worker does not
         * swallow the ring while the others idle. */
        uint64_t avail = p->produced - p->next_work;
        uint64_t take = avail / (uint64_t) p->jobs;
        if (take < 1)
            take = 1;
        if (take > S_BATCH)
            take = S_BATCH;
        uint64_t first = p->next_work;
        p->next_work += take;
        pthread_mutex_unlock(&p->mu);
        for (uint64_t seq = first; seq < first + take; seq++)
            s_process(p->config, p->lexicon, result, &p->slots[seq % p->nslots]);
        pthread_mutex_lock(&p->mu);
        bool wake = false;
        for (uint64_t seq = first; seq < first + take; seq++) {
            p->done[seq % p->nslots] = true;
            wake |= seq == p->next_write;
        }
        if (wake)
            pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    ktag_result_destroy(&result);
    return NULL;
}

static void *
s_writer(void *arg)
{
    s_pipe_t *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!(p->next_write < p->produced && p->done[p->next_write % p->nslots])
               && !(p->next_write == p->produced && p->eof)) {
            if (p->input_waiting && p->unflushed) {
                /* Someone is feeding us by hand or through a slow pipe:
                 * let them see each result rather than a buffer's worth. */
                p->unflushed = false;
                pthread_mutex_unlock(&p->mu);
                fflush(p->sink->out);
                pthread_mutex_lock(&p->mu);
                continue;
            }
            pthread_cond_wait(&p->done_cv, &p->mu);
        }
        if (p->next_write == p->produced)
            break;
        /* Everything done from here on in sequence goes out in one go. */
        uint64_t first = p->next_write, last = first;
        while (last < p->produced && p->done[last % p->nslots])
            last++;
        pthread_mutex_unlock(&p->mu);
        for (uint64_t seq = first; seq < last; seq++)
            ktag_cli_sink_write(p->sink, &p->slots[seq % p->nslots]);
        pthread_mutex_lock(&p->mu);
        for (uint64_t seq = first; seq < last; seq++)
            p->done[seq % p->nslots] = false;
        p->next_write = last;
        p->unflushed = true;
        pthread_cond_signal(&p->free_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int
s_run_inline(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
             ktag_cli_reader_t *reader, ktag_cli_sink_t *sink)
{
    ktag_result_t *result = ktag_result_new();
    if (!result) {
        fprintf(stderr, "ktag: out of memory\n");
        return -1;
    }
    ktag_cli_slot_t slot;
    memset(&slot, 0, sizeof slot);
    for (;;) {
        if (ktag_cli_reader_may_wait(reader))
            fflush(sink->out);  /* input comes slowly: show what is done */
        if (!ktag_cli_reader_next(reader, &slot))
            break;
        s_process(config, lexicon, result, &slot);
        ktag_cli_sink_write(sink, &slot);
    }
    ktag_cli_slot_free(&slot);
    ktag_result_destroy(&result);
    return 0;
}

int
ktag_cli_run_local(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
                   ktag_cli_reader_t *reader, ktag_cli_sink_t *sink)
{
    if (config->jobs <= 1)
        return s_run_inline(config, lexicon, reader, sink);

    s_pipe_t p;
    memset(&p, 0, sizeof p);
    p.config = config;
    p.lexicon = lexicon;
    p.sink = sink;
    p.jobs = config->jobs;
    p.nslots = (size_t) config->jobs * S_BATCH * 4;
    p.slots = calloc(p.nslots, sizeof *p.slots);
    p.done = calloc(p.nslots, sizeof *p.done);
    pthread_t *workers = calloc((size_t) config->jobs, sizeof *workers);
    if (!p.slots || !p.done || !workers) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work_cv, NULL);
    pthread_cond_init(&p.done_cv, NULL);
    pthread_cond_init(&p.free_cv, NULL);

    int started = 0, rc = 0;
    pthread_t writer;
    bool writer_started = pthread_create(&writer, NULL, s_writer, &p) == 0;
    for (; writer_started && started < config->jobs; started++)
        if (pthread_create(&workers[started], NULL, s_worker, &p) != 0)
            break;
    if (!writer_started || started == 0) {
        fprintf(stderr, "ktag: cannot start threads\n");
        rc = -1;
    } else {
        bool more = true;
        while (more) {
            pthread_mutex_lock(&p.mu);
            while (p.produced - p.next_write >= p.nslots)
                pthread_cond_wait(&p.free_cv, &p.mu);
            uint64_t room = p.nslots - (p.produced - p.next_write);
            uint64_t first = p.produced;
            pthread_mutex_unlock(&p.mu);
            /* Slots [first, first + room) are out of every other thread's
             * hands until produced moves past them.  Publish a batch at a
             * time, and at once when the workers may be starving. */
            uint64_t filled = 0;
            if (room > S_BATCH)
                room = S_BATCH;
            while (filled < room) {
                if (filled && ktag_cli_reader_may_wait(reader))
                    break;      /* a slow producer: do not sit on what we have */
                if (!ktag_cli_reader_next(reader, &p.slots[(first + filled) % p.nslots])) {
                    more = false;
                    break;
                }
                filled++;
                if (p.slots[(first + filled - 1) % p.nslots].nbytes > 65536)
                    break;      /* a big document: let a worker start on it */
            }
            bool waiting = more && ktag_cli_reader_may_wait(reader);
            pthread_mutex_lock(&p.mu);
            p.produced += filled;
            if (filled)
                pthread_cond_broadcast(&p.work_cv);
            if (waiting != p.input_waiting) {
                p.input_waiting = waiting;
                pthread_cond_signal(&p.done_cv);
            }
            pthread_mutex_unlock(&p.mu);
        }
    }
    pthread_mutex_lock(&p.mu);
    p.eof = true;
    pthread_cond_broadcast(&p.work_cv);
    pthread_cond_broadcast(&p.done_cv);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    if (writer_started)
        pthread_join(writer, NULL);

    for (size_t i = 0; i < p.nslots; i++)
        ktag_cli_slot_free(&p.slots[i]);
    free(p.slots);
    free(p.done);
    free(workers);
    pthread_cond_destroy(&p.work_cv);
    pthread_cond_destroy(&p.done_cv);
    pthread_cond_destroy(&p.free_cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}
