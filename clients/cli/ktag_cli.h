/*  ktag_cli.h - the pieces of the `ktag` batch CLI: configuration, the
    document slot that travels from reader to worker to writer, and the
    modules that fill it (input, format, pipeline, remote, progress).
*/
#ifndef KTAG_CLI_H_INCLUDED
#define KTAG_CLI_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <msgpack.h>
#include <ktag/ktag.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    KTAG_CLI_IN_TEXT = 0,   /* one document per file */
    KTAG_CLI_IN_LINES,      /* one document per line */
    KTAG_CLI_IN_JSONL,      /* one JSON object per line */
    KTAG_CLI_IN_MSGPACK,    /* a stream of msgpack maps */
} ktag_cli_input_t;

typedef enum {
    KTAG_CLI_OUT_JSONL = 0,
    KTAG_CLI_OUT_MSGPACK,
    KTAG_CLI_OUT_TSV,
    KTAG_CLI_OUT_PRETTY,
} ktag_cli_output_t;

/* Everything the command line decides. */
typedef struct {
    ktag_cli_input_t input;
    ktag_cli_output_t output;
    const char *text_field;     /* jsonl/msgpack: key of the text */
    const char *id_field;       /* jsonl/msgpack: key of the id */
    const char *title_field;    /* jsonl/msgpack: key of the optional title */
    const char *output_path;    /* NULL = stdout */
    const char *lexicon_dir;    /* resolved */
    const char *connect;        /* ktagd endpoint, or NULL for in-process */
    int jobs;                   /* worker threads, >= 1 */
    int window;                 /* --connect: documents in flight */
    int batch;                  /* --connect: documents per request (1 = no batches) */
    double timeout;             /* --connect: seconds before a request is sent again */
    int retries;                /* --connect: times a late request is sent again */
    int progress;               /* -1 auto, 0 off, 1 on */
    ktag_options_t options;
} ktag_cli_config_t;

/* A growable byte buffer that keeps its memory between documents. */
typedef struct {
    char *data;
    size_t len, cap;
} ktag_cli_buf_t;

/* Make room for `extra` more bytes.  Exits the program when out of memory:
 * a batch tool cannot do anything useful without it. */
void ktag_cli_buf_reserve(ktag_cli_buf_t *self, size_t extra);
void ktag_cli_buf_append(ktag_cli_buf_t *self, const void *data, size_t len);
void ktag_cli_buf_printf(ktag_cli_buf_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ktag_cli_buf_free(ktag_cli_buf_t *self);

/* One document on its way through the pipeline.  Slots are reused: their
 * buffers keep their capacity, so a stream allocates only while documents
 * grow. */
typedef struct {
    /* Filled by the reader. */
    uint64_t seq;               /* position in the input, from 0 */
    const char *source;         /* input file name ("-" for stdin); borrowed */
    uint64_t line;              /* 1-based line (lines/jsonl) or record (msgpack); 0 in text mode */
    ktag_cli_buf_t raw;         /* the document text, the JSON line, or text+title (msgpack) */
    size_t title_off, title_len;/* msgpack: title inside `raw`, when has_title */
    bool has_title;
    json_t *id;                 /* text/lines/msgpack: the id; jsonl: set by extract */
    json_t *parsed;             /* jsonl: the parsed line (or only its id), owns `id` and the strings */
    const char *read_code;      /* reader-detected failure: error code, or NULL */
    char *read_error;           /* ...and its message (malloc'ed) */
    bool emit_read_error;       /* whether that failure is a document in the output */
    size_t nbytes;              /* input bytes this slot accounts for (progress) */

    /* Filled by the worker (or the remote client). */
    ktag_cli_buf_t out;         /* formatted output for this document */
    ktag_cli_buf_t diag;        /* the stderr line(s), empty when none */
    bool failed;
} ktag_cli_slot_t;

/* Release what a slot holds from its last document; keep the buffers. */
void ktag_cli_slot_reset(ktag_cli_slot_t *self);
/* Free everything. */
void ktag_cli_slot_free(ktag_cli_slot_t *self);

/* ---- input.c: turn paths into a stream of slots ---------------------- */

typedef struct ktag_cli_reader ktag_cli_reader_t;

/* Expand `paths` (files, directories recursed in name order, "-" for
 * stdin; none means stdin) into the list of sources.  A path that cannot be
 * stat'ed is kept, so that reading it reports the error at its position.
 * @returns a new reader; never NULL (exits when out of memory). */
ktag_cli_reader_t *ktag_cli_reader_new(const ktag_cli_config_t *config,
                                       char **paths, int npaths);
void ktag_cli_reader_destroy(ktag_cli_reader_t **self_p);

/* Total size in bytes of every source, or 0 when one has no known size
 * (stdin on a pipe).  For the progress bar's ETA. */
uint64_t ktag_cli_reader_total_bytes(const ktag_cli_reader_t *self);

/* Fill `slot` with the next document (or a reader-level failure such as a
 * file that cannot be opened).
 * @returns 1 when `slot` was filled, 0 at the end of the input. */
int ktag_cli_reader_next(ktag_cli_reader_t *self, ktag_cli_slot_t *slot);

/* @returns true when the next ktag_cli_reader_next() may block waiting for
 * input (a pipe or terminal with no complete document buffered), so that
 * what was read so far should be handed on first. */
bool ktag_cli_reader_may_wait(const ktag_cli_reader_t *self);

/* ---- jsonl.cpp: JSON lines read by simdjson, jansson behind ---------- */

/* Bytes the reader leaves readable (zeroed) after a JSON line in a slot's
 * `raw`, so that simdjson parses it in place. */
#define KTAG_CLI_JSONL_PADDING 64

/* A simdjson parser and the buffers it keeps between lines; one per
 * thread. */
typedef struct ktag_cli_jsonl ktag_cli_jsonl_t;

typedef enum {
    KTAG_CLI_JSONL_ID_NONE = 0,     /* absent or null */
    KTAG_CLI_JSONL_ID_INT,
    KTAG_CLI_JSONL_ID_STR,
} ktag_cli_jsonl_id_t;

/* The fields of a JSON line, strings unescaped (valid UTF-8, may hold NUL),
 * borrowed from the parser until its next line. */
typedef struct {
    ktag_cli_jsonl_id_t id_kind;
    int64_t id_int;
    const char *id_str;
    size_t id_len;
    const char *text;
    size_t text_len;
    const char *title;          /* NULL when absent or null */
    size_t title_len;
} ktag_cli_jsonl_doc_t;

/* @returns a new parser, or NULL when out of memory. */
ktag_cli_jsonl_t *ktag_cli_jsonl_new(void);
void ktag_cli_jsonl_destroy(ktag_cli_jsonl_t **self_p);

/* Read `line` (`len` bytes; `readable` bytes may be read from `line`, which
 * saves a copy when it is at least len + KTAG_CLI_JSONL_PADDING).
 * @returns 0 and fills `doc` when the line is a JSON object that jansson
 * reads the same way, whose id (config->id_field) is absent, null, an
 * integer or a string, whose text is a string and whose title is absent,
 * null or a string, and that is at most 4 MiB long (simdjson holds ~10
 * bytes per byte of a line); -1 for every other line, which the caller
 * then reads with jansson: it decides, and words the error. */
int ktag_cli_jsonl_parse(ktag_cli_jsonl_t *self, const char *line, size_t len, size_t readable,
                         const ktag_cli_config_t *config, ktag_cli_jsonl_doc_t *doc);

/* ---- document.c: what a slot means ----------------------------------- */

/* The document carried by a slot, pointers borrowed from the slot. */
typedef struct {
    const char *text;
    size_t text_len;
    const char *title;          /* NULL when none */
    size_t title_len;
    json_t *id;                 /* NULL when none; borrowed */
} ktag_cli_doc_t;

/* Decode the slot's document (parse the JSON line in jsonl mode: with
 * `fast`, when not NULL, and jansson for the lines it leaves; `doc` then
 * borrows from `fast` until its next line).
 * @returns 0 and fills `doc`, or -1 after writing the error object (when the
 * failure is a document) to slot->out and the stderr line to slot->diag,
 * and setting slot->failed. */
int ktag_cli_doc_extract(ktag_cli_slot_t *slot, const ktag_cli_config_t *config,
                         ktag_cli_jsonl_t *fast, ktag_cli_doc_t *doc);

/* Mark the slot's document failed and append the stderr line
 * "ktag: SOURCE[:LINE]: MESSAGE" (`fmt`, printf-style) to slot->diag. */
void ktag_cli_slot_diag(ktag_cli_slot_t *slot, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Record a failed document: the error object in the output stream and a
 * line on stderr naming the source and line.  `id` may be NULL. */
void ktag_cli_doc_fail(ktag_cli_slot_t *slot, const ktag_cli_config_t *config,
                       json_t *id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- format.c: one document's output in the chosen format ------------ */

/* Append the output for the last ktag_tag() on `result` (tagged with
 * config->options, echoing `id`, which may be NULL) to `out`. */
void ktag_cli_format_result(const ktag_cli_config_t *config, json_t *id, const ktag_result_t *result,
                            int64_t elapsed_us, ktag_cli_buf_t *out);

/* Append an error object {id?, ok: false, error{code, message}} to `out`. */
void ktag_cli_format_error(const ktag_cli_config_t *config, json_t *id, const char *code,
                           const char *message, ktag_cli_buf_t *out);

/* Append a daemon's reply (a msgpack map) to `out`, its "id" replaced by
 * `id` (the document's own id; NULL: none). */
void ktag_cli_format_reply(const ktag_cli_config_t *config, const msgpack_object *reply, json_t *id,
                           ktag_cli_buf_t *out);

/* Bytes written once before the first document (the TSV header), or NULL. */
const char *ktag_cli_format_header(const ktag_cli_config_t *config);

/* ---- progress.c ------------------------------------------------------ */

typedef struct ktag_cli_progress ktag_cli_progress_t;

/* @returns a progress bar on stderr, or NULL when it is off (`mode` -1 =
 * only when stderr is a terminal). */
ktag_cli_progress_t *ktag_cli_progress_new(int mode, uint64_t total_bytes);
/* Count one finished document of `bytes` input bytes; redraws at most a few
 * times per second.  Accepts NULL. */
void ktag_cli_progress_add(ktag_cli_progress_t *self, size_t bytes);
/* Clear the bar before something else is printed on stderr.  Accepts NULL. */
void ktag_cli_progress_clear(ktag_cli_progress_t *self);
/* Draw the final state, end the line and free.  Accepts NULL. */
void ktag_cli_progress_destroy(ktag_cli_progress_t **self_p);

/* ---- output sink shared by the pipeline and the remote client -------- */

typedef struct {
    FILE *out;
    bool out_is_tty;            /* output shares the terminal with the progress bar */
    ktag_cli_progress_t *progress;
    uint64_t documents;         /* documents written, failed or not */
    uint64_t failed;            /* documents that failed */
    uint64_t input_errors;      /* inputs that could not be read (not documents) */
} ktag_cli_sink_t;

/* Write a finished slot: its output, its stderr line, the progress.  One
 * caller at a time (the pipeline passes a token for it). */
void ktag_cli_sink_write(ktag_cli_sink_t *self, ktag_cli_slot_t *slot);

/* ---- pipeline.c: in-process tagging with N workers, input order kept -- */

/* Tag every document of `reader` with `lexicon` and write them to `sink`.
 * @returns 0, or -1 when the run could not proceed (out of threads). */
int ktag_cli_run_local(const ktag_cli_config_t *config, ktag_lexicon_t *lexicon,
                       ktag_cli_reader_t *reader, ktag_cli_sink_t *sink);

/* ---- remote.c: tagging through a running ktagd ----------------------- */

/* Send every document of `reader` to config->connect, write the replies to
 * `sink` in input order, each exactly once; requests without a reply after
 * config->timeout are sent again on a new socket, up to config->retries
 * times.  @returns 0, or -1 when the daemon could not be reached or a
 * request ran out of tries (its documents are error objects in the output,
 * named on stderr, and the rest of the input is not read). */
int ktag_cli_run_remote(const ktag_cli_config_t *config,
                        ktag_cli_reader_t *reader, ktag_cli_sink_t *sink);

/* ---- lexicon.c, lexicon_update.c: `ktag lexicon ...` ----------------- */

/* `ktag lexicon check|update ...` (argv[1] is "lexicon").  @returns the
 * exit status: 0 ok, 1 problems or failure, 2 usage. */
int ktag_cli_lexicon_main(int argc, char **argv);

/* `ktag lexicon update ...` with argv[0] = "update".  @returns as above. */
int ktag_cli_lexicon_update(int argc, char **argv);

/* Check the sets `dirs` merged, print every problem on stdout (files named
 * under `label` when one set, by path when several) and a summary on
 * stderr; then load them.  @returns 0 when they have at most `allowed`
 * problems and load, else 1. */
int ktag_cli_lexicon_verify(const char *const *dirs, size_t count, const char *label, int allowed);

/* The log handler every ktag command installs (ktag_set_log_handler):
 * errors and warnings of libktag to stderr, "ktag: error: ..."; the rest is
 * dropped. */
void ktag_cli_log(void *user, ktag_log_level_t level, const char *message);

/* @returns `parts` joined with `sep`, malloc'ed (the caller frees). */
char *ktag_cli_join(const char *const *parts, size_t count, const char *sep);

#ifdef __cplusplus
}
#endif

#endif
