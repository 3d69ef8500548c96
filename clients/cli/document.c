/*  document.c - buffers, slots, and what a slot's bytes mean as a document. */
#include "ktag_cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ktag_json.h"

void
ktag_cli_buf_reserve(ktag_cli_buf_t *self, size_t extra)
{
    if (self->cap - self->len >= extra)
        return;
    size_t cap = self->cap ? self->cap : 256;
    while (cap - self->len < extra)
        cap *= 2;
    char *data = realloc(self->data, cap);
    if (!data) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    self->data = data;
    self->cap = cap;
}

void
ktag_cli_buf_append(ktag_cli_buf_t *self, const void *data, size_t len)
{
    if (len == 0)
        return;   /* an empty cell of a buffer never written has data NULL */
    ktag_cli_buf_reserve(self, len);
    memcpy(self->data + self->len, data, len);
    self->len += len;
}

static void
s_buf_vprintf(ktag_cli_buf_t *self, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(self->data ? self->data + self->len : NULL, self->cap - self->len, fmt, ap);
    if (n >= 0 && (size_t) n >= self->cap - self->len) {
        ktag_cli_buf_reserve(self, (size_t) n + 1);
        vsnprintf(self->data + self->len, self->cap - self->len, fmt, again);
    }
    va_end(again);
    if (n >= 0)
        self->len += (size_t) n;
}

void
ktag_cli_buf_printf(ktag_cli_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_buf_vprintf(self, fmt, ap);
    va_end(ap);
}

void
ktag_cli_buf_free(ktag_cli_buf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}

/* Buffers above this are given back after use rather than kept for the
 * next document: one huge file must not pin its size in every slot. */
#define S_KEEP_BYTES (4u << 20)

void
ktag_cli_slot_reset(ktag_cli_slot_t *self)
{
    if (self->raw.cap > S_KEEP_BYTES)
        ktag_cli_buf_free(&self->raw);
    if (self->out.cap > S_KEEP_BYTES)
        ktag_cli_buf_free(&self->out);
    self->raw.len = 0;
    self->out.len = 0;
    self->diag.len = 0;
    self->has_title = false;
    self->title_off = self->title_len = 0;
    json_decref(self->id);
    self->id = NULL;
    json_decref(self->parsed);
    self->parsed = NULL;
    free(self->read_error);
    self->read_error = NULL;
    self->read_code = NULL;
    self->emit_read_error = false;
    self->nbytes = 0;
    self->failed = false;
}

void
ktag_cli_slot_free(ktag_cli_slot_t *self)
{
    ktag_cli_slot_reset(self);
    ktag_cli_buf_free(&self->raw);
    ktag_cli_buf_free(&self->out);
    ktag_cli_buf_free(&self->diag);
}

void
ktag_cli_slot_diag(ktag_cli_slot_t *slot, const char *fmt, ...)
{
    slot->failed = true;
    const char *source = strcmp(slot->source, "-") == 0 ? "<stdin>" : slot->source;
    if (slot->line)
        ktag_cli_buf_printf(&slot->diag, "ktag: %s:%llu: ", source, (unsigned long long) slot->line);
    else
        ktag_cli_buf_printf(&slot->diag, "ktag: %s: ", source);
    va_list ap;
    va_start(ap, fmt);
    s_buf_vprintf(&slot->diag, fmt, ap);
    va_end(ap);
    ktag_cli_buf_printf(&slot->diag, "\n");
}

static void
s_vfail(ktag_cli_slot_t *slot, const ktag_cli_config_t *config, bool emit,
        json_t *id, const char *code, const char *fmt, va_list ap)
{
    char message[1024];
    vsnprintf(message, sizeof message, fmt, ap);
    ktag_cli_slot_diag(slot, "%s", message);
    if (!emit)
        return;
    ktag_cli_format_error(config, id, code, message, &slot->out);
}

void
ktag_cli_doc_fail(ktag_cli_slot_t *slot, const ktag_cli_config_t *config,
                  json_t *id, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vfail(slot, config, true, id, code, fmt, ap);
    va_end(ap);
}

static void
s_fail_quiet(ktag_cli_slot_t *slot, const ktag_cli_config_t *config, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vfail(slot, config, false, NULL, NULL, fmt, ap);
    va_end(ap);
}

static int
s_extract_jsonl(ktag_cli_slot_t *slot, const ktag_cli_config_t *config, ktag_cli_doc_t *doc)
{
    json_error_t jerr;
    json_t *root = json_loadb(slot->raw.data, slot->raw.len, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        int utf8 = json_error_code(&jerr) == json_error_invalid_utf8;
        ktag_cli_doc_fail(slot, config, NULL, utf8 ? "bad_utf8" : "bad_request",
                          "invalid JSON at column %d: %s", jerr.column, jerr.text);
        return -1;
    }
    slot->parsed = root;
    if (!json_is_object(root)) {
        ktag_cli_doc_fail(slot, config, NULL, "bad_request", "line is not a JSON object");
        return -1;
    }
    json_t *id = json_object_get(root, config->id_field);
    if (id && !json_is_string(id) && !json_is_integer(id)) {
        if (!json_is_null(id)) {
            ktag_cli_doc_fail(slot, config, NULL, "bad_request",
                              "field '%s' must be a string or an integer", config->id_field);
            return -1;
        }
        id = NULL;
    }
    json_t *text = json_object_get(root, config->text_field);
    if (!text) {
        ktag_cli_doc_fail(slot, config, id, "bad_request", "missing text field '%s'", config->text_field);
        return -1;
    }
    if (!json_is_string(text)) {
        ktag_cli_doc_fail(slot, config, id, "bad_request", "field '%s' must be a string", config->text_field);
        return -1;
    }
    json_t *title = json_object_get(root, config->title_field);
    if (title && !json_is_string(title) && !json_is_null(title)) {
        ktag_cli_doc_fail(slot, config, id, "bad_request", "field '%s' must be a string", config->title_field);
        return -1;
    }
    doc->id = id;
    doc->text = json_string_value(text);
    doc->text_len = json_string_length(text);
    if (json_is_string(title)) {
        doc->title = json_string_value(title);
        doc->title_len = json_string_length(title);
    }
    return 0;
}

/* The common line, read by simdjson.  @returns 0, or -1 when jansson must
 * read it (nothing is recorded in the slot then). */
static int
s_extract_fast(ktag_cli_slot_t *slot, const ktag_cli_config_t *config, ktag_cli_jsonl_t *fast,
               ktag_cli_doc_t *doc)
{
    ktag_cli_jsonl_doc_t line;
    if (ktag_cli_jsonl_parse(fast, slot->raw.data, slot->raw.len, slot->raw.cap, config, &line) != 0)
        return -1;
    json_t *id = NULL;
    if (line.id_kind == KTAG_CLI_JSONL_ID_INT)
        id = json_integer((json_int_t) line.id_int);
    else if (line.id_kind == KTAG_CLI_JSONL_ID_STR)
        id = json_stringn_nocheck(line.id_str, line.id_len);
    if (line.id_kind != KTAG_CLI_JSONL_ID_NONE && !id) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    slot->parsed = id;      /* what is kept of the line: freed with it */
    doc->id = id;
    doc->text = line.text;
    doc->text_len = line.text_len;
    doc->title = line.title;
    doc->title_len = line.title_len;
    return 0;
}

int
ktag_cli_doc_extract(ktag_cli_slot_t *slot, const ktag_cli_config_t *config, ktag_cli_jsonl_t *fast,
                     ktag_cli_doc_t *doc)
{
    memset(doc, 0, sizeof *doc);
    if (slot->read_code) {
        if (slot->emit_read_error)
            ktag_cli_doc_fail(slot, config, slot->id, slot->read_code, "%s", slot->read_error);
        else
            s_fail_quiet(slot, config, "%s", slot->read_error);
        return -1;
    }
    if (config->input == KTAG_CLI_IN_JSONL) {
        if (!(fast && s_extract_fast(slot, config, fast, doc) == 0)
            && s_extract_jsonl(slot, config, doc) != 0)
            return -1;
    } else {
        doc->id = slot->id;
        doc->text = slot->raw.data ? slot->raw.data : "";
        doc->text_len = slot->has_title ? slot->title_off : slot->raw.len;
        if (slot->has_title) {
            doc->title = slot->raw.data + slot->title_off;
            doc->title_len = slot->title_len;
        }
    }
    /* One rule for ktag, ktag --connect, ktagd and the Python client: a text
     * of zero bytes is a bad request (whitespace is a document). */
    if (doc->text_len == 0) {
        ktag_cli_doc_fail(slot, config, doc->id, "bad_request", "text is empty");
        return -1;
    }
    return 0;
}
