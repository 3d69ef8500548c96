/*  fuzz_common.c - invariants shared by the fuzz targets (fuzz_common.h). */
#include "fuzz_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>

void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

ktag_lexicon_t *
fuzz_lexicon(void)
{
    static ktag_lexicon_t *lexicon;
    if (lexicon)
        return lexicon;
    const char *candidates[] = { getenv("KTAG_FUZZ_LEXICONS"), KTAG_FUZZ_BUNDLED_LEXICONS,
                                 KTAG_FUZZ_FIXTURE_LEXICONS };
    ktag_error_t err;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i] || !*candidates[i])
            continue;
        lexicon = ktag_lexicon_open(candidates[i], &err);
        if (lexicon)
            return lexicon;
        fprintf(stderr, "fuzz: cannot load lexicons from %s: %s\n", candidates[i], err.message);
    }
    fuzz_fail(__FILE__, __LINE__, "no lexicon loads");
}

int
fuzz_doc_from_input(fuzz_doc_t *doc, const uint8_t *data, size_t size)
{
    memset(doc, 0, sizeof *doc);
    if (size < 2)
        return -1;
    ktag_options_init(&doc->options);
    unsigned bits = data[0];
    doc->options.offsets = (bits & 3) == 3 ? KTAG_OFFSETS_CODEPOINT : (ktag_offset_unit_t) (bits & 3);
    doc->options.overlaps = (bits & 4) != 0;
    doc->options.sentiment = (bits & 8) == 0;
    doc->options.explain = (bits & 16) != 0;
    doc->options.types = data[1] & 0x0F;

    size_t len = size - 2;
    doc->copy = malloc(len ? len : 1);
    FUZZ_ASSERT(doc->copy);
    memcpy(doc->copy, data + 2, len);
    doc->text = doc->copy;
    doc->text_len = len;
    const char *sep = memmem(doc->copy, len, "\xff\xff", 2);
    if (sep) {
        doc->title = doc->copy;
        doc->title_len = (size_t) (sep - doc->copy);
        doc->text = sep + 2;
        doc->text_len = len - doc->title_len - 2;
    }
    return 0;
}

void
fuzz_doc_free(fuzz_doc_t *doc)
{
    free(doc->copy);
    memset(doc, 0, sizeof *doc);
}

int
fuzz_utf8_valid(const char *data, size_t len)
{
    /* Preflight only (no destination): ICU walks the whole input and
       reports U_INVALID_CHAR_FOUND for any ill-formed sequence, including
       surrogates and overlong forms. */
    UErrorCode status = U_ZERO_ERROR;
    int32_t needed = 0;
    if (len > INT32_MAX)
        return 0;
    u_strFromUTF8(NULL, 0, &needed, data, (int32_t) len, &status);
    return status == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(status);
}

/* Length of [from, to) of valid UTF-8 in the unit asked for. */
static size_t
s_units(const char *s, size_t from, size_t to, ktag_offset_unit_t unit)
{
    if (unit == KTAG_OFFSETS_BYTE)
        return to - from;
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char) s[i];
        if ((c & 0xC0) == 0x80)
            continue;
        n += (unit == KTAG_OFFSETS_UTF16 && c >= 0xF0) ? 2 : 1;
    }
    return n;
}

static void
s_check_sentiment(const ktag_sentiment_t *s)
{
    FUZZ_ASSERT(s);
    FUZZ_ASSERT(!isnan(s->score) && s->score >= -1.0 && s->score <= 1.0);
    FUZZ_ASSERT(s->label);
    FUZZ_ASSERT(!strcmp(s->label, "positive") || !strcmp(s->label, "negative")
                || !strcmp(s->label, "neutral"));
}

void
fuzz_check_result(const ktag_result_t *result, int status, const ktag_error_t *err,
                  const char *text, size_t text_len,
                  const char *title, size_t title_len,
                  const ktag_options_t *options)
{
    if (status != 0) {
        FUZZ_ASSERT(status < 0);
        FUZZ_ASSERT(ktag_result_entity_count(result) == 0);
        if (status == KTAG_ERR_BAD_UTF8) {
            /* The offset names a byte of the field the message names. */
            int in_title = title && strstr(err->message, "title") != NULL;
            FUZZ_ASSERT(err->offset < (in_title ? title_len : text_len));
            FUZZ_ASSERT(!fuzz_utf8_valid(text, text_len)
                        || (title && !fuzz_utf8_valid(title, title_len)));
        }
        FUZZ_ASSERT(memchr(err->message, '\0', sizeof err->message) != NULL);
        return;
    }
    /* Success means both fields were valid UTF-8. */
    FUZZ_ASSERT(fuzz_utf8_valid(text, text_len));
    FUZZ_ASSERT(!title || fuzz_utf8_valid(title, title_len));

    size_t n = ktag_result_entity_count(result);
    int prev_field = -1;
    size_t prev_start = 0, prev_end = 0;
    for (size_t i = 0; i < n; i++) {
        const ktag_entity_t *e = ktag_result_entity(result, i);
        FUZZ_ASSERT(e && e->id && e->name && e->text);
        FUZZ_ASSERT(strlen(e->id) == e->id_len && strlen(e->name) == e->name_len);
        FUZZ_ASSERT(ktag_type_name(e->type) != NULL);
        if (options->types)
            FUZZ_ASSERT(options->types & (1u << e->type));
        FUZZ_ASSERT(e->field == KTAG_FIELD_TEXT || e->field == KTAG_FIELD_TITLE);
        const char *field = e->field == KTAG_FIELD_TITLE ? title : text;
        size_t field_len = e->field == KTAG_FIELD_TITLE ? title_len : text_len;
        FUZZ_ASSERT(field);
        FUZZ_ASSERT(e->byte_start < e->byte_end && e->byte_end <= field_len);
        FUZZ_ASSERT(strlen(e->text) == e->byte_end - e->byte_start);
        FUZZ_ASSERT(memcmp(e->text, field + e->byte_start, e->byte_end - e->byte_start) == 0);
        FUZZ_ASSERT(e->start == s_units(field, 0, e->byte_start, options->offsets));
        FUZZ_ASSERT(e->end == s_units(field, 0, e->byte_end, options->offsets));
        FUZZ_ASSERT(!isnan(e->sentiment) && e->sentiment >= -1.0 && e->sentiment <= 1.0);
        for (size_t a = 0; a < e->attr_count; a++)
            FUZZ_ASSERT(e->attrs[a].key && e->attrs[a].value && strlen(e->attrs[a].key) == e->attrs[a].key_len
                        && strlen(e->attrs[a].value) == e->attrs[a].value_len);
        /* Title first, then start ascending, then end descending. */
        int f = e->field == KTAG_FIELD_TITLE ? 0 : 1;
        if (prev_field >= 0) {
            FUZZ_ASSERT(f >= prev_field);
            if (f == prev_field) {
                FUZZ_ASSERT(e->start >= prev_start);
                if (e->start == prev_start)
                    FUZZ_ASSERT(e->end <= prev_end);
                /* Without overlaps, leftmost-longest leaves disjoint spans. */
                if (!options->overlaps)
                    FUZZ_ASSERT(e->start >= prev_end);
            }
        }
        prev_field = f;
        prev_start = e->start;
        prev_end = e->end;
    }

    if (options->sentiment) {
        s_check_sentiment(ktag_result_sentiment(result));
        for (size_t i = 0; i < ktag_result_sentence_count(result); i++) {
            const ktag_sentence_t *s = ktag_result_sentence(result, i);
            FUZZ_ASSERT(s && s->start <= s->end);
            s_check_sentiment(&s->sentiment);
        }
    } else {
        FUZZ_ASSERT(ktag_result_sentiment(result) == NULL);
    }
    for (size_t i = 0; i < ktag_result_explain_count(result); i++)
        FUZZ_ASSERT(ktag_result_explain(result, i) != NULL);
    FUZZ_ASSERT(ktag_result_lexicon_version(result) != NULL);
}
