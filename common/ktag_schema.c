/*  ktag_schema.c - the one walk over a result that every writer shares. */
#include "ktag_schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define S_KEY(e, lit) s_key((e), (lit), sizeof(lit) - 1)

/* A key of the schema (see ktag_emitter_t.key). */
static inline int
s_key(ktag_emitter_t *e, const char *s, size_t len)
{
    return e->key ? e->key(e, s, len) : e->str(e, s, len);
}

double
ktag_schema_round3(double x)
{
    double r = round(x * 1000.0) / 1000.0;
    /* -0.0 would print as "-0.0"; a score of nothing is plain 0. */
    return r == 0.0 ? 0.0 : r;
}

size_t
ktag_schema_utf8_prefix(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *) str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1; cp = c & 0x1f; min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2; cp = c & 0x0f; min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3; cp = c & 0x07; min = 0x10000;
        } else {
            return i;
        }
        if (n > len - i - 1)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n + 1;
    }
    return len;
}

int
ktag_schema_text(ktag_emitter_t *e, const char *s, size_t len)
{
    size_t valid = ktag_schema_utf8_prefix(s, len);
    if (valid == len)
        return e->str(e, s, len);
    /*  Rare (a message quoting bad input): build the repaired copy, each
        invalid byte becoming U+FFFD (3 bytes), so at most 3x the input. */
    char stack[512];
    size_t cap = 3 * len;
    char *out = cap <= sizeof stack ? stack : malloc(cap);
    if (!out)
        return -1;
    size_t n = 0, i = 0;
    while (i < len) {
        size_t ok = ktag_schema_utf8_prefix(s + i, len - i);
        memcpy(out + n, s + i, ok);
        n += ok;
        i += ok;
        if (i < len) {
            memcpy(out + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        }
    }
    int rc = e->str(e, out, n);
    if (out != stack)
        free(out);
    return rc;
}

static int
s_cstr(ktag_emitter_t *e, const char *s)
{
    return s ? e->str(e, s, strlen(s)) : e->str(e, "", 0);
}

bool
ktag_schema_has_id(const ktag_wire_id_t *id)
{
    return id && id->kind != KTAG_ID_NONE;
}

int
ktag_schema_id(ktag_emitter_t *e, const ktag_wire_id_t *id)
{
    switch (id ? id->kind : KTAG_ID_NONE) {
    case KTAG_ID_STR: return ktag_schema_text(e, id->str, id->str_len);
    case KTAG_ID_INT: return e->i64(e, id->num);
    case KTAG_ID_UINT: return e->u64(e, id->unum);
    default: return 0;
    }
}

static int
s_sentiment(ktag_emitter_t *e, const ktag_sentiment_t *s)
{
    int rc = e->map(e, 4);
    rc |= S_KEY(e, "score");
    rc |= e->real(e, ktag_schema_round3(s->score));
    rc |= S_KEY(e, "label");
    rc |= s_cstr(e, s->label ? s->label : "neutral");
    rc |= S_KEY(e, "positive");
    rc |= e->u64(e, s->positive);
    rc |= S_KEY(e, "negative");
    rc |= e->u64(e, s->negative);
    return rc;
}

static int
s_entity(ktag_emitter_t *e, const ktag_entity_t *entity, bool with_sentiment)
{
    int rc = e->map(e, 8 + with_sentiment);
    rc |= S_KEY(e, "type");
    rc |= s_cstr(e, ktag_type_name(entity->type));
    rc |= S_KEY(e, "id");
    rc |= e->str(e, entity->id, entity->id_len);
    rc |= S_KEY(e, "name");
    rc |= e->str(e, entity->name, entity->name_len);
    rc |= S_KEY(e, "text");
    rc |= e->str(e, entity->text, entity->byte_end - entity->byte_start);
    rc |= S_KEY(e, "start");
    rc |= e->u64(e, entity->start);
    rc |= S_KEY(e, "end");
    rc |= e->u64(e, entity->end);
    rc |= S_KEY(e, "field");
    rc |= s_cstr(e, ktag_field_name(entity->field));
    if (with_sentiment) {
        rc |= S_KEY(e, "sentiment");
        rc |= e->real(e, ktag_schema_round3(entity->sentiment));
    }
    rc |= S_KEY(e, "attrs");
    rc |= e->map(e, entity->attr_count);
    for (size_t i = 0; i < entity->attr_count; i++) {
        rc |= e->str(e, entity->attrs[i].key, entity->attrs[i].key_len);
        rc |= e->str(e, entity->attrs[i].value, entity->attrs[i].value_len);
    }
    return rc;
}

static int
s_sentence(ktag_emitter_t *e, const ktag_sentence_t *s)
{
    int rc = e->map(e, 5);
    rc |= S_KEY(e, "field");
    rc |= s_cstr(e, ktag_field_name(s->field));
    rc |= S_KEY(e, "start");
    rc |= e->u64(e, s->start);
    rc |= S_KEY(e, "end");
    rc |= e->u64(e, s->end);
    rc |= S_KEY(e, "score");
    rc |= e->real(e, ktag_schema_round3(s->sentiment.score));
    rc |= S_KEY(e, "label");
    rc |= s_cstr(e, s->sentiment.label ? s->sentiment.label : "neutral");
    return rc;
}

/*  An amount: an integer when it is one (money, shares), else a real. */
static int
s_amount(ktag_emitter_t *e, double v)
{
    /*  Range first: converting a double outside int64's range is UB. */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double) (int64_t) v)
        return e->i64(e, (int64_t) v);
    return e->real(e, v);
}

static int
s_event(ktag_emitter_t *e, const ktag_event_t *ev, bool with_sentiment)
{
    size_t pairs = 5 + (ev->kind != NULL) + (ev->company != NULL) + (ev->counterparty != NULL)
                   + (ev->source != NULL) + (ev->direction != NULL) + 2 * ev->has_amount
                   + ev->has_previous + ev->limit + with_sentiment;
    int rc = e->map(e, pairs);
    rc |= S_KEY(e, "type");
    rc |= s_cstr(e, ktag_event_type_name(ev->type));
    const char *const optional[][2] = {
        { "kind", ev->kind }, { "company", ev->company }, { "counterparty", ev->counterparty },
        { "source", ev->source }, { "direction", ev->direction },
    };
    for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
        if (optional[i][1]) {
            rc |= s_key(e, optional[i][0], strlen(optional[i][0]));
            rc |= s_cstr(e, optional[i][1]);
        }
    if (ev->has_amount) {
        rc |= S_KEY(e, "amount");
        rc |= s_amount(e, ev->amount);
        rc |= S_KEY(e, "unit");
        rc |= s_cstr(e, ev->unit ? ev->unit : "KRW");
    }
    if (ev->has_previous) {
        rc |= S_KEY(e, "previous");
        rc |= s_amount(e, ev->previous);
    }
    if (ev->limit) {
        rc |= S_KEY(e, "limit");
        rc |= e->boolean(e, true);
    }
    rc |= S_KEY(e, "text");
    rc |= e->str(e, ev->text, ev->byte_end - ev->byte_start);
    rc |= S_KEY(e, "start");
    rc |= e->u64(e, ev->start);
    rc |= S_KEY(e, "end");
    rc |= e->u64(e, ev->end);
    rc |= S_KEY(e, "field");
    rc |= s_cstr(e, ktag_field_name(ev->field));
    if (with_sentiment) {
        rc |= S_KEY(e, "sentiment");
        rc |= e->real(e, ktag_schema_round3(ev->sentiment));
    }
    return rc;
}

int
ktag_schema_result(ktag_emitter_t *e, const ktag_wire_id_t *id, const ktag_result_t *result,
                   const ktag_options_t *options, uint64_t elapsed_us)
{
    ktag_options_t defaults;
    if (!options) {
        ktag_options_init(&defaults);
        options = &defaults;
    }
    const ktag_sentiment_t *doc = options->sentiment ? ktag_result_sentiment(result) : NULL;
    bool with_sentiment = doc != NULL;
    bool explain = options->explain;

    bool events = options->events;
    int rc = e->map(e, 4 + ktag_schema_has_id(id) + with_sentiment + events + 2 * explain);
    if (ktag_schema_has_id(id)) {
        rc |= S_KEY(e, "id");
        rc |= ktag_schema_id(e, id);
    }
    rc |= S_KEY(e, "ok");
    rc |= e->boolean(e, true);

    size_t n = ktag_result_entity_count(result);
    rc |= S_KEY(e, "entities");
    rc |= e->array(e, n);
    for (size_t i = 0; i < n && !rc; i++)
        rc |= s_entity(e, ktag_result_entity(result, i), with_sentiment);

    if (with_sentiment) {
        rc |= S_KEY(e, "sentiment");
        rc |= s_sentiment(e, doc);
    }
    if (events) {
        n = ktag_result_event_count(result);
        rc |= S_KEY(e, "events");
        rc |= e->array(e, n);
        for (size_t i = 0; i < n && !rc; i++)
            rc |= s_event(e, ktag_result_event(result, i), with_sentiment);
    }
    if (explain) {
        n = ktag_result_sentence_count(result);
        rc |= S_KEY(e, "sentences");
        rc |= e->array(e, n);
        for (size_t i = 0; i < n && !rc; i++)
            rc |= s_sentence(e, ktag_result_sentence(result, i));
        n = ktag_result_explain_count(result);
        rc |= S_KEY(e, "explain");
        rc |= e->array(e, n);
        for (size_t i = 0; i < n && !rc; i++) {
            const char *line = ktag_result_explain(result, i);
            rc |= ktag_schema_text(e, line, strlen(line));
        }
    }
    rc |= S_KEY(e, "lexicon");
    rc |= s_cstr(e, ktag_result_lexicon_version(result));
    rc |= S_KEY(e, "elapsed_us");
    rc |= e->u64(e, elapsed_us);
    return rc ? -1 : 0;
}

int
ktag_schema_error(ktag_emitter_t *e, const ktag_wire_id_t *id, const char *code, const char *message)
{
    int rc = e->map(e, 2 + ktag_schema_has_id(id));
    if (ktag_schema_has_id(id)) {
        rc |= S_KEY(e, "id");
        rc |= ktag_schema_id(e, id);
    }
    rc |= S_KEY(e, "ok");
    rc |= e->boolean(e, false);
    rc |= S_KEY(e, "error");
    rc |= e->map(e, 2);
    rc |= S_KEY(e, "code");
    rc |= s_cstr(e, code);
    rc |= S_KEY(e, "message");
    rc |= ktag_schema_text(e, message ? message : "", message ? strlen(message) : 0);
    return rc ? -1 : 0;
}
