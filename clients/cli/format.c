/*  format.c - one document's output in the chosen format.  A result (in
    process), a daemon's reply (--connect) and an error are each one walk
    (common/ktag_schema.h, or a generic walk of the reply) driving the
    format's emitter: JSON text, msgpack, or the tsv row picker.  Only the
    pretty format, written for people, reads a jansson tree of the walk.
*/
#include "ktag_cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ktag_json.h"
#include "ktag_msgpack.h"

static int
s_dump_cb(const char *data, size_t size, void *user)
{
    ktag_cli_buf_append(user, data, size);
    return 0;
}

static int
s_pack_cb(void *user, const char *data, size_t size)
{
    ktag_cli_buf_append(user, data, size);
    return 0;
}

/* Append a value for a one-line cell: tabs and line breaks would break
 * the row. */
static void
s_append_flat(ktag_cli_buf_t *out, const char *s, size_t n)
{
    size_t start = out->len;
    ktag_cli_buf_append(out, s, n);
    for (size_t i = start; i < out->len; i++)
        if (out->data[i] == '\t' || out->data[i] == '\n' || out->data[i] == '\r')
            out->data[i] = ' ';
}

static void
s_scalar(ktag_cli_buf_t *out, json_t *v)
{
    if (json_is_string(v))
        s_append_flat(out, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        ktag_cli_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        ktag_cli_buf_printf(out, "%.10g", json_real_value(v));
    else if (json_is_true(v))
        ktag_cli_buf_append(out, "true", 4);
    else if (json_is_false(v))
        ktag_cli_buf_append(out, "false", 5);
}

/* ---- tsv: a row per entity and per event, picked from the walk -------- */

/* The entity keys that make a row, in column order after the doc id.  An
 * event's row has the same columns: type "event", id its event type, name
 * its facts as key=value pairs (kind, company, …, limit), then its text,
 * start, end and sentiment. */
static const char *const s_tsv_keys[] = {"type", "id", "name", "text", "start", "end", "sentiment"};
#define S_TSV_COLUMNS (sizeof s_tsv_keys / sizeof *s_tsv_keys)
#define S_TSV_DEPTH 8

/* Where the walk stands: depth 1 is the document, 2 its "entities" array,
 * 3 an entity.  Everything else (attrs, sentences, …) passes unseen. */
typedef struct {
    ktag_emitter_t base;
    ktag_cli_buf_t *out;
    ktag_cli_buf_t id;                     /* the document's id cell */
    ktag_cli_buf_t cells[S_TSV_COLUMNS];   /* the current entity's or event's cells */
    ktag_cli_buf_t fact;                   /* an event's pending "key=" */
    struct {
        size_t total, done;
        bool map;
        int key;                           /* what the pending value is: see s_tsv_slot */
    } stack[S_TSV_DEPTH];
    int depth, overflow;                   /* levels below S_TSV_DEPTH are only counted */
} s_tsv_t;

enum { S_KEY_OTHER = -1, S_KEY_ID = -2, S_KEY_ENTITIES = -3, S_KEY_EVENTS = -4, S_KEY_FACT = -5 };
enum { S_COL_TYPE = 0, S_COL_ID = 1, S_COL_NAME = 2 };

/* True when the walk is inside an entity (rows = S_KEY_ENTITIES) or an
 * event (S_KEY_EVENTS) map. */
static bool
s_tsv_in(const s_tsv_t *t, int rows)
{
    return t->depth == 3 && t->stack[1].key == rows && t->stack[2].map;
}

/* The cell a scalar at the current position goes to, or NULL. */
static ktag_cli_buf_t *
s_tsv_slot(s_tsv_t *t)
{
    if (t->overflow || t->depth == 0)
        return NULL;
    int key = t->stack[t->depth - 1].key;
    if (t->depth == 1 && key == S_KEY_ID)
        return &t->id;
    if (t->depth == 3 && key >= 0)
        return &t->cells[key];
    if (t->depth == 3 && key == S_KEY_FACT)
        return &t->fact;
    return NULL;
}

static void
s_tsv_row(s_tsv_t *t)
{
    if (t->stack[1].key == S_KEY_EVENTS) {
        t->cells[S_COL_TYPE].len = 0;
        ktag_cli_buf_append(&t->cells[S_COL_TYPE], "event", 5);
    }
    ktag_cli_buf_append(t->out, t->id.data, t->id.len);
    for (size_t c = 0; c < S_TSV_COLUMNS; c++) {
        ktag_cli_buf_append(t->out, "\t", 1);
        ktag_cli_buf_append(t->out, t->cells[c].data, t->cells[c].len);
        t->cells[c].len = 0;
    }
    ktag_cli_buf_append(t->out, "\n", 1);
}

/* An item is complete: count it, close what it completes (an entity's
 * map closing writes its row). */
static void
s_tsv_after(s_tsv_t *t)
{
    if (t->overflow)
        return;
    while (t->depth) {
        __typeof__(t->stack[0]) *l = &t->stack[t->depth - 1];
        l->done++;
        if (l->map && l->done % 2 == 0)
            l->key = S_KEY_OTHER;
        if (l->done < l->total)
            return;
        if (s_tsv_in(t, S_KEY_ENTITIES) || s_tsv_in(t, S_KEY_EVENTS))
            s_tsv_row(t);
        t->depth--;
    }
}

static int
s_tsv_open(s_tsv_t *t, bool map, size_t items)
{
    if (t->overflow || t->depth == S_TSV_DEPTH) {
        t->overflow += items > 0;
        return 0;
    }
    bool entity = map && t->depth == 2 && (t->stack[1].key == S_KEY_ENTITIES || t->stack[1].key == S_KEY_EVENTS);
    if (entity)
        for (size_t c = 0; c < S_TSV_COLUMNS; c++)
            t->cells[c].len = 0;
    if (items == 0) {
        if (entity)
            s_tsv_row(t);
        s_tsv_after(t);
        return 0;
    }
    /* The array inherits its key so entities know they are entities. */
    int key = !map && t->depth ? t->stack[t->depth - 1].key : S_KEY_OTHER;
    t->stack[t->depth++] = (__typeof__(t->stack[0])) { map ? 2 * items : items, 0, map, key };
    return 0;
}

static int s_tsv_map(ktag_emitter_t *e, size_t pairs) { return s_tsv_open((s_tsv_t *) e, true, pairs); }
static int s_tsv_array(ktag_emitter_t *e, size_t items) { return s_tsv_open((s_tsv_t *) e, false, items); }

static void
s_tsv_cell(ktag_cli_buf_t *cell, const char *s, size_t n)
{
    cell->len = 0;
    s_append_flat(cell, s, n);
}

/* Put a scalar where the walk stands: a column, or an event's fact, which
 * goes after the facts before it in the name column. */
static void
s_tsv_put(s_tsv_t *t, const char *s, size_t n)
{
    ktag_cli_buf_t *cell = s_tsv_slot(t);
    if (cell == &t->fact) {
        ktag_cli_buf_append(&t->cells[S_COL_NAME], t->fact.data, t->fact.len);
        s_append_flat(&t->cells[S_COL_NAME], s, n);
    } else if (cell) {
        s_tsv_cell(cell, s, n);
    }
}

static int
s_tsv_str(ktag_emitter_t *e, const char *s, size_t n)
{
    s_tsv_t *t = (s_tsv_t *) e;
    if (!t->overflow && t->depth) {
        __typeof__(t->stack[0]) *l = &t->stack[t->depth - 1];
        if (l->map && l->done % 2 == 0) {   /* a key: which value comes next */
            l->key = S_KEY_OTHER;
            if (t->depth == 1 && n == 2 && memcmp(s, "id", 2) == 0)
                l->key = S_KEY_ID;
            else if (t->depth == 1 && n == 8 && memcmp(s, "entities", 8) == 0)
                l->key = S_KEY_ENTITIES;
            else if (t->depth == 1 && n == 6 && memcmp(s, "events", 6) == 0)
                l->key = S_KEY_EVENTS;
            else if (s_tsv_in(t, S_KEY_EVENTS)) {
                static const char *const event_keys[] = {"type", "", "", "text", "start", "end", "sentiment"};
                for (size_t c = 0; c < S_TSV_COLUMNS; c++)
                    if (*event_keys[c] && strlen(event_keys[c]) == n && memcmp(event_keys[c], s, n) == 0)
                        l->key = c == S_COL_TYPE ? S_COL_ID : (int) c;
                if (l->key == S_KEY_OTHER && !(n == 5 && memcmp(s, "field", 5) == 0)) {
                    l->key = S_KEY_FACT;
                    t->fact.len = 0;
                    ktag_cli_buf_printf(&t->fact, "%s%.*s=", t->cells[S_COL_NAME].len ? ";" : "", (int) n, s);
                }
            } else if (t->depth == 3)
                for (size_t c = 0; c < S_TSV_COLUMNS; c++)
                    if (strlen(s_tsv_keys[c]) == n && memcmp(s_tsv_keys[c], s, n) == 0)
                        l->key = (int) c;
            l->done++;
            return 0;
        }
    }
    s_tsv_put(t, s, n);
    s_tsv_after(t);
    return 0;
}

static int
s_tsv_printf(ktag_emitter_t *e, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int
s_tsv_printf(ktag_emitter_t *e, const char *format, ...)
{
    s_tsv_t *t = (s_tsv_t *) e;
    if (s_tsv_slot(t)) {
        char tmp[64];
        va_list ap;
        va_start(ap, format);
        int n = vsnprintf(tmp, sizeof tmp, format, ap);
        va_end(ap);
        s_tsv_put(t, tmp, n > 0 ? (size_t) n : 0);
    }
    s_tsv_after(t);
    return 0;
}

static int s_tsv_i64(ktag_emitter_t *e, int64_t v) { return s_tsv_printf(e, "%" PRId64, v); }
static int s_tsv_u64(ktag_emitter_t *e, uint64_t v) { return s_tsv_printf(e, "%" PRIu64, v); }
static int s_tsv_real(ktag_emitter_t *e, double v) { return s_tsv_printf(e, "%.10g", v); }
static int s_tsv_boolean(ktag_emitter_t *e, bool v) { return s_tsv_printf(e, "%s", v ? "true" : "false"); }
static int s_tsv_nil(ktag_emitter_t *e) { return s_tsv_printf(e, "%s", ""); }

static void
s_tsv_init(s_tsv_t *t, ktag_cli_buf_t *out)
{
    memset(t, 0, sizeof *t);
    t->base = (ktag_emitter_t) { s_tsv_map, s_tsv_array, s_tsv_str, s_tsv_i64, s_tsv_u64,
                                 s_tsv_real, s_tsv_boolean, s_tsv_nil, NULL };
    t->out = out;
}

static void
s_tsv_release(s_tsv_t *t)
{
    ktag_cli_buf_free(&t->id);
    ktag_cli_buf_free(&t->fact);
    for (size_t c = 0; c < S_TSV_COLUMNS; c++)
        ktag_cli_buf_free(&t->cells[c]);
}

/* Terminal columns of a UTF-8 string: East Asian wide characters (Hangul,
 * Han, full-width forms, most emoji) take two.  Enough to line up a table;
 * not a full wcwidth. */
static size_t
s_display_width(const char *s)
{
    size_t width = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        uint32_t c;
        int n;
        if (*p < 0x80) {
            c = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            c = *p & 0x1F;
            n = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            c = *p & 0x0F;
            n = 3;
        } else {
            c = *p & 0x07;
            n = 4;
        }
        for (int i = 1; i < n && p[i]; i++)
            c = (c << 6) | (p[i] & 0x3F);
        for (int i = 0; i < n && *p; i++)
            p++;
        bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF)
                    || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF)
                    || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60)
                    || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF)
                    || (c >= 0x20000 && c <= 0x3FFFD);
        width += wide ? 2 : 1;
    }
    return width;
}

static void
s_pad(ktag_cli_buf_t *out, const char *s, size_t width)
{
    ktag_cli_buf_append(out, s, strlen(s));
    for (size_t w = s_display_width(s); w < width; w++)
        ktag_cli_buf_append(out, " ", 1);
}

static const char *
s_str(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

/* An entity's or event's span as "START-END", "title:START-END" in the
 * title. */
static void
s_span(json_t *e, char *buf, size_t size)
{
    snprintf(buf, size, "%s%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
             strcmp(s_str(e, "field"), "title") == 0 ? "title:" : "",
             json_integer_value(json_object_get(e, "start")),
             json_integer_value(json_object_get(e, "end")));
}

/* One block per document: a header line, then one line per entity with its
 * span, type, id, name (and the surface when it differs), sentiment and
 * attribute values, then one line per event. */
static void
s_pretty(json_t *obj, ktag_cli_buf_t *out)
{
    json_t *id = json_object_get(obj, "id");
    if (id)
        s_scalar(out, id);
    else
        ktag_cli_buf_append(out, "(no id)", 7);
    if (!json_is_true(json_object_get(obj, "ok"))) {
        json_t *err = json_object_get(obj, "error");
        ktag_cli_buf_printf(out, ": ERROR %s: %s\n\n", s_str(err, "code"), s_str(err, "message"));
        return;
    }
    json_t *entities = json_object_get(obj, "entities");
    size_t n = json_array_size(entities);
    ktag_cli_buf_printf(out, ": %zu entit%s", n, n == 1 ? "y" : "ies");
    json_t *events = json_object_get(obj, "events");
    if (events)
        ktag_cli_buf_printf(out, ", %zu event%s", json_array_size(events), json_array_size(events) == 1 ? "" : "s");
    json_t *s = json_object_get(obj, "sentiment");
    if (s)
        ktag_cli_buf_printf(out, ", sentiment %s %+.3f (+%" JSON_INTEGER_FORMAT " -%" JSON_INTEGER_FORMAT ")",
                            s_str(s, "label"), json_number_value(json_object_get(s, "score")),
                            json_integer_value(json_object_get(s, "positive")),
                            json_integer_value(json_object_get(s, "negative")));
    ktag_cli_buf_append(out, "\n", 1);

    size_t i;
    json_t *e;
    json_array_foreach(entities, i, e) {
        char span[64];
        s_span(e, span, sizeof span);
        ktag_cli_buf_append(out, "  ", 2);
        s_pad(out, span, 12);
        ktag_cli_buf_append(out, " ", 1);
        s_pad(out, s_str(e, "type"), 8);
        ktag_cli_buf_append(out, " ", 1);
        s_pad(out, s_str(e, "id"), 16);
        ktag_cli_buf_append(out, " ", 1);
        const char *name = s_str(e, "name");
        const char *text = s_str(e, "text");
        ktag_cli_buf_t label = {0};
        ktag_cli_buf_append(&label, name, strlen(name));
        if (strcmp(text, name) != 0)
            ktag_cli_buf_printf(&label, " \"%s\"", text);
        ktag_cli_buf_append(&label, "", 1);
        s_pad(out, label.data, 28);
        ktag_cli_buf_free(&label);
        json_t *es = json_object_get(e, "sentiment");
        if (es)
            ktag_cli_buf_printf(out, " %+.3f", json_number_value(es));
        const char *key;
        json_t *v;
        const char *sep = "  ";
        json_object_foreach(json_object_get(e, "attrs"), key, v) {
            ktag_cli_buf_printf(out, "%s%s", sep, json_string_value(v));
            sep = " | ";
        }
        /* Trailing blanks from padding help nobody. */
        while (out->len && out->data[out->len - 1] == ' ')
            out->len--;
        ktag_cli_buf_append(out, "\n", 1);
    }
    /* One line per event: span, type, then its facts as key=value. */
    json_array_foreach(json_object_get(obj, "events"), i, e) {
        char span[64];
        s_span(e, span, sizeof span);
        ktag_cli_buf_append(out, "  event ", 8);
        s_pad(out, span, 12);
        ktag_cli_buf_append(out, " ", 1);
        s_pad(out, s_str(e, "type"), 13);
        const char *key;
        json_t *v;
        json_object_foreach(e, key, v) {
            if (!strcmp(key, "type") || !strcmp(key, "text") || !strcmp(key, "start") || !strcmp(key, "end")
                || !strcmp(key, "field") || !strcmp(key, "sentiment"))
                continue;
            ktag_cli_buf_printf(out, " %s=", key);
            s_scalar(out, v);
        }
        ktag_cli_buf_printf(out, "  \"%s\"", s_str(e, "text"));
        json_t *es = json_object_get(e, "sentiment");
        if (es)
            ktag_cli_buf_printf(out, " %+.3f", json_number_value(es));
        ktag_cli_buf_append(out, "\n", 1);
    }
    json_array_foreach(json_object_get(obj, "sentences"), i, e)
        ktag_cli_buf_printf(out, "  sentence %s %" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT ": %s %+.3f\n",
                            s_str(e, "field"), json_integer_value(json_object_get(e, "start")),
                            json_integer_value(json_object_get(e, "end")), s_str(e, "label"),
                            json_number_value(json_object_get(e, "score")));
    json_array_foreach(json_object_get(obj, "explain"), i, e)
        ktag_cli_buf_printf(out, "  explain  %s\n", json_string_value(e));
    ktag_cli_buf_append(out, "\n", 1);
}

/* What one document's output is walked from. */
typedef enum { S_RESULT, S_ERROR, S_REPLY } s_source_kind_t;

typedef struct {
    s_source_kind_t kind;
    json_t *id;                        /* the document's id, or NULL */
    const ktag_result_t *result;       /* S_RESULT */
    const ktag_options_t *options;
    int64_t elapsed_us;
    const char *code, *message;        /* S_ERROR */
    const msgpack_object *reply;       /* S_REPLY: its id is replaced by `id` */
} s_source_t;

static int
s_walk(ktag_emitter_t *e, const s_source_t *src)
{
    ktag_wire_id_t wid;
    const ktag_wire_id_t *id = ktag_json_wire_id(src->id, &wid);
    switch (src->kind) {
    case S_RESULT:
        return ktag_schema_result(e, id, src->result, src->options, (uint64_t) src->elapsed_us);
    case S_ERROR:
        return ktag_schema_error(e, id, src->code, src->message);
    default:
        return ktag_msgpack_walk(e, src->reply, true, id);
    }
}

static void
s_format(const ktag_cli_config_t *config, const s_source_t *src, ktag_cli_buf_t *out)
{
    int rc = 0;
    switch (config->output) {
    case KTAG_CLI_OUT_JSONL:
        if (src->kind == S_RESULT)
            rc = ktag_json_write_result(src->result, src->id, src->options, src->elapsed_us, s_dump_cb, out);
        else if (src->kind == S_ERROR)
            rc = ktag_json_write_error(src->id, src->code, src->message, s_dump_cb, out);
        else
            rc = ktag_json_write_msgpack(src->reply, src->id, s_dump_cb, out);
        ktag_cli_buf_append(out, "\n", 1);
        break;
    case KTAG_CLI_OUT_MSGPACK: {
        /* The walk itself, so that a CLI error code ("timeout") stays
         * as written: the wire's codes are a subset. */
        msgpack_packer pk;
        msgpack_packer_init(&pk, out, s_pack_cb);
        ktag_msgpack_emitter_t e = ktag_msgpack_emitter(&pk);
        rc = s_walk(&e.base, src);
        break;
    }
    case KTAG_CLI_OUT_TSV: {
        s_tsv_t t;
        s_tsv_init(&t, out);
        rc = s_walk(&t.base, src);
        s_tsv_release(&t);
        break;
    }
    case KTAG_CLI_OUT_PRETTY: {
        json_t *obj = src->kind == S_RESULT ? ktag_json_result(src->result, src->id, src->options, src->elapsed_us)
                      : src->kind == S_ERROR ? ktag_json_error(src->id, src->code, src->message)
                                             : ktag_json_from_msgpack(src->reply, true, src->id);
        if (obj)
            s_pretty(obj, out);
        rc = obj ? 0 : -1;
        json_decref(obj);
        break;
    }
    }
    if (rc != 0) {
        /* The walk fails only when memory does (the buffers exit on it) or
         * a daemon's reply nests absurdly deep. */
        fprintf(stderr, "ktag: cannot write this document's output (out of memory or a malformed reply)\n");
        exit(1);
    }
}

void
ktag_cli_format_result(const ktag_cli_config_t *config, json_t *id, const ktag_result_t *result,
                       int64_t elapsed_us, ktag_cli_buf_t *out)
{
    s_source_t src = { .kind = S_RESULT, .id = id, .result = result, .options = &config->options,
                       .elapsed_us = elapsed_us };
    s_format(config, &src, out);
}

void
ktag_cli_format_error(const ktag_cli_config_t *config, json_t *id, const char *code,
                      const char *message, ktag_cli_buf_t *out)
{
    s_source_t src = { .kind = S_ERROR, .id = id, .code = code, .message = message };
    s_format(config, &src, out);
}

void
ktag_cli_format_reply(const ktag_cli_config_t *config, const msgpack_object *reply, json_t *id,
                      ktag_cli_buf_t *out)
{
    s_source_t src = { .kind = S_REPLY, .id = id, .reply = reply };
    s_format(config, &src, out);
}

const char *
ktag_cli_format_header(const ktag_cli_config_t *config)
{
    if (config->output == KTAG_CLI_OUT_TSV)
        return "doc\ttype\tid\tname\ttext\tstart\tend\tsentiment\n";
    return NULL;
}
