/*  pipeline.c - in-process tagging.  With one job the reader, tagger and
    writer take turns on the main thread.  With N jobs, N workers (each with
    its own ktag_result_t, all sharing the lexicon) read batches into a ring
    of slots, tag and format them, and the slots go out in sequence order:
    the ring is both the bounded queue and the reorder buffer, so a slow
    document holds back at most one ring of others.
*/
#include "ktag_cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* What one thread tags with: its result, and its JSON line parser (jsonl
 * input only). */
typedef struct {
    ktag_result_t *result;
    ktag_cli_jsonl_t *jsonl;
} s_tagger_t;

/* KTAG_CLI_JSONL=jansson reads every JSON line with jansson alone: the
 * reference the tests hold the simdjson path against. */
static void
s_tagger_init(s_tagger_t *self, const ktag_cli_config_t *config)
{
    const char *force = getenv("KTAG_CLI_JSONL");
    bool fast = config->input == KTAG_CLI_IN_JSONL && !(force && strcmp(force, "jansson") == 0);
    self->result = ktag_result_new();
    self->jsonl = fast ? ktag_cli_jsonl_new() : NULL;
    if (!self->result || (fast && !self->jsonl)) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
}

static void
s_tagger_release(s_tagger_t *self)
{
    ktag_result_destroy(&self->result);
    ktag_cli_jsonl_destroy(&self->jsonl);
}

static void
s_tag(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
      s_tagger_t *tagger, ktag_cli_slot_t *slot)
{
    ktag_result_t *result = tagger->result;
    ktag_cli_doc_t doc;
    if (ktag_cli_doc_extract(slot, config, tagger->jsonl, &doc) != 0)
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
    /* `-f msgpack` is byte for byte a ktagd reply: the same walk and emitter. */
    ktag_cli_format_result(config, doc.id, result, elapsed, &slot->out);
}

/* Tag and format one slot.  The parsed JSON line is freed here, by the
 * thread that made it: handing it to whichever thread reuses the slot
 * would make every free cross malloc arenas. */
static void
s_process(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
          s_tagger_t *tagger, ktag_cli_slot_t *slot)
{
    s_tag(config, lexicon, tagger, slot);
    json_decref(slot->parsed);
    slot->parsed = NULL;
}

void
ktag_cli_sink_write(ktag_cli_sink_t *self, ktag_cli_slot_t *slot)
{
    if (slot->out.len) {
        if (self->out_is_tty)
            ktag_cli_progress_clear(self->progress);    /* one terminal, two streams */
        if (fwrite(slot->out.data, 1, slot->out.len, self->out) != slot->out.len) {
            /* A full disk or a closed pipe: tagging on would only burn CPU
             * into a dead output.  Other threads may be mid-document, so
             * leave without running exit handlers. */
            fprintf(stderr, "ktag: write error: %s\n", strerror(errno));
            _exit(1);
        }
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

/* Threads move documents in batches: with headline-sized documents a lock
 * round trip per document would cost as much as tagging it.  A batch ends
 * at S_BATCH documents or S_BATCH_BYTES of input, whichever comes first, so
 * that big documents still spread over the workers. */
#define S_BATCH 64
#define S_BATCH_BYTES (256u << 10)
/* Bytes held by slots read but not yet written (their input, and their
 * output once formatted) above which reading waits: many big files must not
 * all sit in memory behind one slow document. */
#define S_MAX_INFLIGHT_BYTES ((uint64_t) 64 << 20)

/* There is no reader thread and no writer thread: each worker takes the
 * input token, reads a batch into the next free slots of the ring, tags and
 * formats it, then whoever finds the next slot in sequence done writes the
 * whole done run (the `writing` token).  Threads only ever sleep when the
 * ring is full, so a run costs no thread wake-ups, which on two cores is
 * most of the price of threading small documents. */
typedef struct {
    const ktag_cli_config_t *config;
    ktag_lexicon_t *lexicon;
    ktag_cli_reader_t *reader;
    ktag_cli_sink_t *sink;
    ktag_cli_slot_t *slots;
    bool *done;
    size_t nslots;
    pthread_mutex_t input_mu;   /* the input token: held while reading */
    bool eof;                   /* under input_mu */
    pthread_mutex_t mu;         /* everything below */
    pthread_cond_t free_cv;     /* slots were written and released */
    uint64_t produced;          /* slots [next_write, produced) are read, not yet written */
    uint64_t next_write;
    uint64_t inflight_bytes;    /* input and output bytes of slots [next_write, produced) */
    size_t keep_bytes;          /* buffer bytes a written slot may keep for its next document */
    bool writing;               /* a thread is writing slots out */
    bool input_waiting;         /* input may block on a pipe: flush output */
} s_pipe_t;

/* Write every slot done in sequence from next_write, unless another thread
 * is already at it (it will see ours too).  Called and returns with p->mu
 * held. */
static void
s_drain(s_pipe_t *p)
{
    if (p->writing)
        return;
    p->writing = true;
    /* The token is given back only right after a look, under the lock,
     * that found nothing more to write: a thread that finished a batch
     * while we wrote or flushed left it to us. */
    for (;;) {
        bool wrote = false;
        while (p->next_write < p->produced && p->done[p->next_write % p->nslots]) {
            uint64_t first = p->next_write, last = first;
            while (last < p->produced && p->done[last % p->nslots])
                last++;
            pthread_mutex_unlock(&p->mu);
            uint64_t written = 0;
            for (uint64_t seq = first; seq < last; seq++) {
                ktag_cli_slot_t *slot = &p->slots[seq % p->nslots];
                ktag_cli_sink_write(p->sink, slot);
                written += slot->raw.len + slot->out.len;
                /* Every slot of the ring in turn takes a document: kept
                 * buffers of big ones would add up to the ring's size
                 * times theirs, far past S_MAX_INFLIGHT_BYTES. */
                if (slot->raw.cap + slot->out.cap > p->keep_bytes) {
                    ktag_cli_buf_free(&slot->raw);
                    ktag_cli_buf_free(&slot->out);
                }
            }
            pthread_mutex_lock(&p->mu);
            for (uint64_t seq = first; seq < last; seq++)
                p->done[seq % p->nslots] = false;
            p->inflight_bytes -= written;
            p->next_write = last;
            wrote = true;
            pthread_cond_broadcast(&p->free_cv);
        }
        if (!wrote || !p->input_waiting)
            break;
        /* Someone feeds us by hand or through a slow pipe: let them see
         * each result rather than a buffer's worth. */
        pthread_mutex_unlock(&p->mu);
        fflush(p->sink->out);
        pthread_mutex_lock(&p->mu);
    }
    p->writing = false;
}

/* Read the next batch into the ring.  @returns its first sequence number
 * and sets *count (0 at the end of the input). */
static uint64_t
s_read_batch(s_pipe_t *p, uint64_t *count)
{
    *count = 0;
    pthread_mutex_lock(&p->input_mu);
    if (p->eof) {
        pthread_mutex_unlock(&p->input_mu);
        return 0;
    }
    pthread_mutex_lock(&p->mu);
    while (p->nslots - (p->produced - p->next_write) < S_BATCH
           || (p->inflight_bytes > S_MAX_INFLIGHT_BYTES && p->produced > p->next_write))
        pthread_cond_wait(&p->free_cv, &p->mu);
    uint64_t first = p->produced;
    pthread_mutex_unlock(&p->mu);
    /* Slots [first, first + S_BATCH) are free and only the holder of the
     * input token touches free slots. */
    uint64_t n = 0;
    size_t bytes = 0;
    while (n < S_BATCH && bytes < S_BATCH_BYTES) {
        if (n && ktag_cli_reader_may_wait(p->reader))
            break;      /* a slow producer: do not sit on what we have */
        ktag_cli_slot_t *slot = &p->slots[(first + n) % p->nslots];
        if (!ktag_cli_reader_next(p->reader, slot)) {
            p->eof = true;
            break;
        }
        n++;
        bytes += slot->raw.len;
    }
    bool waiting = !p->eof && ktag_cli_reader_may_wait(p->reader);
    pthread_mutex_lock(&p->mu);
    p->produced += n;
    p->inflight_bytes += bytes;
    p->input_waiting = waiting;
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->input_mu);
    *count = n;
    return first;
}

static void *
s_worker(void *arg)
{
    s_pipe_t *p = arg;
    s_tagger_t tagger;
    s_tagger_init(&tagger, p->config);
    for (;;) {
        uint64_t n;
        uint64_t first = s_read_batch(p, &n);
        if (n == 0)
            break;
        for (uint64_t seq = first; seq < first + n; seq++)
            s_process(p->config, p->lexicon, &tagger, &p->slots[seq % p->nslots]);
        pthread_mutex_lock(&p->mu);
        for (uint64_t seq = first; seq < first + n; seq++) {
            p->done[seq % p->nslots] = true;
            p->inflight_bytes += p->slots[seq % p->nslots].out.len;
        }
        s_drain(p);
        pthread_mutex_unlock(&p->mu);
    }
    s_tagger_release(&tagger);
    return NULL;
}

static int
s_run_inline(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
             ktag_cli_reader_t *reader, ktag_cli_sink_t *sink)
{
    s_tagger_t tagger;
    s_tagger_init(&tagger, config);
    ktag_cli_slot_t slot;
    memset(&slot, 0, sizeof slot);
    for (;;) {
        if (ktag_cli_reader_may_wait(reader))
            fflush(sink->out);  /* input comes slowly: show what is done */
        if (!ktag_cli_reader_next(reader, &slot))
            break;
        s_process(config, lexicon, &tagger, &slot);
        ktag_cli_sink_write(sink, &slot);
    }
    ktag_cli_slot_free(&slot);
    s_tagger_release(&tagger);
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
    p.reader = reader;
    p.sink = sink;
    /* Room for many batches per worker: when the machine is busy and the
     * thread holding the oldest batch is preempted, the others keep going
     * instead of waiting for it. */
    p.nslots = (size_t) config->jobs * S_BATCH * 16;
    p.keep_bytes = S_MAX_INFLIGHT_BYTES / p.nslots;
    p.slots = calloc(p.nslots, sizeof *p.slots);
    p.done = calloc(p.nslots, sizeof *p.done);
    pthread_t *workers = calloc((size_t) config->jobs, sizeof *workers);
    if (!p.slots || !p.done || !workers) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    pthread_mutex_init(&p.input_mu, NULL);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.free_cv, NULL);

    int started = 0, rc = 0;
    for (; started < config->jobs; started++)
        if (pthread_create(&workers[started], NULL, s_worker, &p) != 0)
            break;
    if (started == 0) {
        fprintf(stderr, "ktag: cannot start threads\n");
        rc = -1;
    }
    for (int i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
    /* Each worker drains after its last batch and a drain that is under way
     * picks up what others finish meanwhile, so this finds nothing; it is
     * the cheap guarantee that nothing read is left unwritten. */
    pthread_mutex_lock(&p.mu);
    s_drain(&p);
    pthread_mutex_unlock(&p.mu);

    for (size_t i = 0; i < p.nslots; i++)
        ktag_cli_slot_free(&p.slots[i]);
    free(p.slots);
    free(p.done);
    free(workers);
    pthread_cond_destroy(&p.free_cv);
    pthread_mutex_destroy(&p.mu);
    pthread_mutex_destroy(&p.input_mu);
    return rc;
}
