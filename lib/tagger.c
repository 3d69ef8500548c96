/*  tagger.c - tags one document: each field goes through normalize, scan
    and resolve; the analyzers read the fields; then the tagger, and only
    it, writes the result, mapping every normalized offset back to the
    original text.
*/
#include <stdio.h>
#include <string.h>

#include "lexicon_internal.h"
#include "resolve.h"
#include "result.h"
#include "util.h"

static const char *const s_unit_names[] = { "codepoint", "byte", "utf16" };

const char *ktag_offset_unit_name(ktag_offset_unit_t unit)
{
    return (unsigned) unit <= KTAG_OFFSETS_UTF16 ? s_unit_names[unit] : NULL;
}

int ktag_offset_unit_from_name(const char *name, ktag_offset_unit_t *unit)
{
    for (int u = 0; u <= KTAG_OFFSETS_UTF16; u++)
        if (strcmp(name, s_unit_names[u]) == 0) {
            *unit = (ktag_offset_unit_t) u;
            return 0;
        }
    if (strcmp(name, "char") == 0) {
        *unit = KTAG_OFFSETS_CODEPOINT;
        return 0;
    }
    return KTAG_ERR_INVALID;
}

const char *ktag_field_name(ktag_field_t field)
{
    return field == KTAG_FIELD_TITLE ? "title" : "text";
}

void ktag_options_init(ktag_options_t *options)
{
    *options = (ktag_options_t) {
        .types = 0,
        .offsets = KTAG_OFFSETS_CODEPOINT,
        .overlaps = false,
        .sentiment = true,
        .explain = false,
        .events = true,
    };
}

/* ------------------------------------------------ guess (guess.c) */

/*  Companies are guessed unless the types asked for leave them out. */
static bool s_guessing(const ktag_result_t *self)
{
    unsigned types = self->options.types;
    return types == 0 || (types & (1u << KTAG_TYPE_COMPANY));
}

/*  Guess the companies of a field whose first `kept` candidates resolve
    kept; with explain, say which rule found each. */
static int s_guess(ktag_result_t *self, ktag_field_t which, const char *norm, size_t norm_len, size_t kept)
{
    const ktag_scan_t *scan = &self->fields[which].scan;
    int rc = ktag_guess_field(&self->guess, self->lexicon, norm, norm_len, scan->candidates, kept,
                              scan);
    for (size_t g = 0; !rc && self->options.explain && g < self->guess.hit_count; g++) {
        const ktag_guess_hit_t *hit = &self->guess.hits[g];
        char line[160];
        int len = snprintf(line, sizeof line, "guess %s by %s", hit->entry->id, hit->rule);
        rc = ktag_result_add_explain(self, line, (size_t) len < sizeof line ? (size_t) len : sizeof line - 1);
    }
    return rc;
}

/*  Normalize, scan and resolve one field, and add its mentions to the
    result. */
static int s_tag_field(ktag_result_t *self, ktag_field_t which, const char *text, size_t len,
                       ktag_error_t *err)
{
    const ktag_lexicon_t *lex = self->lexicon;
    ktag_field_state_t *field = &self->fields[which];
    field->present = true;
    field->orig = text;
    field->orig_len = len;
    field->mention_count = field->funding_count = 0;

    int rc = ktag_normalize(&field->normbuf, text, len, err);
    if (rc) {
        /*  The normalizer knows no field: say which one, a title too
            large was reported as "text of N bytes". */
        if (rc == KTAG_ERR_BAD_UTF8)
            ktag_error_set(err, rc, "invalid UTF-8 in %s at byte offset %zu", ktag_field_name(which),
                           err ? err->offset : 0);
        else if (err) {
            char reason[sizeof err->message];   /* the message may not be formatted into itself */
            snprintf(reason, sizeof reason, "%s", err->message);
            ktag_error_set(err, rc, "%s: %s", ktag_field_name(which), reason);
        }
        return rc;
    }
    const char *norm = field->normbuf.view;
    size_t norm_len = field->normbuf.len;
    ktag_scan_t *scan = &field->scan;
    if (ktag_scan(scan, lex, norm, norm_len, self->options.types, self->options.sentiment))
        return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    size_t kept = ktag_resolve(scan, lex, norm, norm_len, self->options.overlaps, &self->filter_work);

    size_t guessed = 0;
    if (s_guessing(self)) {
        rc = s_guess(self, which, norm, norm_len, kept);
        if (rc)
            return ktag_error_set(err, rc, "out of memory");
        guessed = self->guess.hit_count;
    }
    if (KTAG_RESERVE(field->mentions, field->mention_cap, kept + guessed))
        return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    /* The lexicon's mentions and the guessed ones, merged by start. */
    for (size_t c = 0, g = 0; c < kept || g < guessed;) {
        const ktag_guess_hit_t *hit = g < guessed ? &self->guess.hits[g] : NULL;
        const ktag_candidate_t *candidate = c < kept ? &scan->candidates[c] : NULL;
        uint32_t start, end;
        const ktag_entry_t *entry;
        if (hit && (!candidate || hit->start < candidate->start)) {
            start = hit->start, end = hit->end, entry = hit->entry;
            g++;
        } else {
            start = candidate->start, end = candidate->end, entry = &lex->entries[candidate->entry];
            c++;
        }
        size_t byte_start = ktag_norm_orig_start(&field->normbuf, start);
        size_t byte_end = ktag_norm_orig_end(&field->normbuf, end);
        field->mentions[field->mention_count++]
            = (ktag_mention_t) { start, end, (uint32_t) self->entity_count, entry };
        field->funding_count += entry->type == KTAG_TYPE_FUNDING;
        if (ktag_result_add_entity(self, entry, which, text, byte_start, byte_end))
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/*  The fields as the analyzers see them, title first.  @returns how many. */
static size_t s_views(const ktag_result_t *self, ktag_field_view_t views[2])
{
    size_t count = 0;
    for (int f = KTAG_FIELD_TITLE; f >= KTAG_FIELD_TEXT; f--) {
        const ktag_field_state_t *field = &self->fields[f];
        if (!field->present)
            continue;
        views[count++] = (ktag_field_view_t) {
            .field = (ktag_field_t) f,
            .norm = field->normbuf.view,
            .norm_len = field->normbuf.len,
            .terms = field->scan.terms,
            .term_count = field->scan.term_count,
            .mentions = field->mentions,
            .mention_count = field->mention_count,
            .cue_words = field->scan.cue_words,
            .cue_word_count = field->scan.cue_word_count,
            .cue_word_first = field->scan.cue_word_first,
            .funding_count = field->funding_count,
        };
    }
    return count;
}

/*  Write what the sentiment analyzer found into the result. */
static int s_write_sentiment(ktag_result_t *self, const ktag_sentiment_findings_t *found)
{
    for (size_t i = 0; i < found->sentence_count; i++) {
        const ktag_sentence_finding_t *sentence = &found->sentences[i];
        const ktag_normbuf_t *normbuf = &self->fields[sentence->field].normbuf;
        size_t byte_start = ktag_norm_orig_start(normbuf, sentence->start);
        size_t byte_end = sentence->end > sentence->start ? ktag_norm_orig_end(normbuf, sentence->end) : byte_start;
        if (ktag_result_add_sentence(self, sentence->field, byte_start, byte_end, &sentence->sentiment))
            return KTAG_ERR_NOMEM;
    }
    for (size_t i = 0; i < found->entity_count && i < self->entity_count; i++)
        self->entities[i].sentiment = found->entity_scores[i];
    const char *line = found->explain;
    for (size_t i = 0; i < found->explain_count; i++) {
        size_t len = strlen(line);
        if (ktag_result_add_explain(self, line, len))
            return KTAG_ERR_NOMEM;
        line += len + 1;
    }
    self->sentiment = found->document;
    self->has_sentiment = true;
    return 0;
}

/* ------------------------------------------------ events (events.c) */

/*  Run the events analyzer on the fields and write its events: entity
    indexes become ids, normalized spans original bytes, and each event gets
    the sentiment of its span from the sentiment findings. */
static int s_events(ktag_result_t *self, const ktag_field_view_t *views, size_t view_count)
{
    /*  Most headlines hold no trigger: then the analyzer's code and its
        findings are not touched at all. */
    bool may_state = false;
    for (size_t v = 0; v < view_count; v++)
        may_state |= ktag_events_may_state(&views[v]);
    if (!may_state)
        return 0;
    ktag_events_findings_t *found = &self->events_findings;
    int rc = ktag_events_analyze(views, view_count, found);
    if (rc)
        return rc;
    for (size_t i = 0; i < found->event_count; i++) {
        const ktag_event_finding_t *e = &found->events[i];
        const ktag_field_state_t *field = &self->fields[e->field];
        ktag_event_t *event = ktag_result_add_event(self, e->field, field->orig,
                                                    ktag_norm_orig_start(&field->normbuf, e->start),
                                                    ktag_norm_orig_end(&field->normbuf, e->end));
        if (!event)
            return KTAG_ERR_NOMEM;
        event->type = e->type;
        event->kind = e->kind;
        event->company = e->company >= 0 ? self->entities[e->company].id : NULL;
        event->counterparty = e->counterparty >= 0 ? self->entities[e->counterparty].id : NULL;
        event->source = e->source >= 0 ? self->entities[e->source].id : NULL;
        event->direction = e->direction;
        event->has_amount = e->has_amount;
        event->amount = e->amount;
        event->unit = e->has_amount ? ktag_amount_unit_name(e->unit) : NULL;
        event->has_previous = e->has_previous;
        event->previous = e->previous;
        event->limit = e->limit;
        if (self->options.sentiment)
            event->sentiment = ktag_sentiment_span_score(&self->sentiment_findings, e->field, e->start, e->end);
        event->rule = e->rule;
        if (self->options.explain) {
            char line[96];
            int len = snprintf(line, sizeof line, "event %s by %s", ktag_event_type_name(e->type),
                               e->rule ? e->rule : "none");
            if (ktag_result_add_explain(self, line, (size_t) len < sizeof line ? (size_t) len : sizeof line - 1))
                return KTAG_ERR_NOMEM;
        }
    }
    return 0;
}

int ktag_tag(ktag_result_t *self, ktag_lexicon_t *lexicon, const char *text, size_t text_len,
             const char *title, size_t title_len, const ktag_options_t *options, ktag_error_t *err)
{
    ktag_result_reset(self);
    if (self->lexicon != lexicon) {
        ktag_lexicon_destroy(&self->lexicon);
        self->lexicon = ktag_lexicon_retain(lexicon);
    }
    if (options)
        self->options = *options;
    else
        ktag_options_init(&self->options);
    if (self->options.offsets > KTAG_OFFSETS_UTF16)
        return ktag_error_set(err, KTAG_ERR_INVALID, "unknown offset unit %d", (int) self->options.offsets);
    unsigned unknown = self->options.types & ~((1u << KTAG_TYPE_COUNT) - 1);
    if (unknown)
        return ktag_error_set(err, KTAG_ERR_INVALID, "options.types 0x%x has bits 0x%x that name no type",
                              self->options.types, unknown);
    if (!text && text_len)
        return ktag_error_set(err, KTAG_ERR_INVALID, "text is NULL");

    int rc = 0;
    if (title)
        rc = s_tag_field(self, KTAG_FIELD_TITLE, title, title_len, err);
    if (!rc)
        rc = s_tag_field(self, KTAG_FIELD_TEXT, text ? text : "", text_len, err);

    /*  The analyzers read the same views of the fields. */
    ktag_field_view_t views[2];
    size_t view_count = !rc && (self->options.sentiment || self->options.events) ? s_views(self, views) : 0;
    if (!rc && self->options.sentiment) {
        rc = ktag_sentiment_score(self->lexicon->sentiment, views, view_count, self->options.explain,
                                  &self->sentiment_findings);
        if (!rc)
            rc = s_write_sentiment(self, &self->sentiment_findings);
        if (rc)
            ktag_error_set(err, rc, "%s", ktag_strerror(rc));
    }
    if (!rc && self->options.events) {
        rc = s_events(self, views, view_count);
        if (rc)
            ktag_error_set(err, rc, "%s", ktag_strerror(rc));
    }
    if (!rc && ktag_result_finish(self))
        rc = ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    if (rc)
        ktag_result_reset(self);
    return rc;
}
