/*  ktag_json.c - libktag result -> SPEC.md JSON object. */
#include "ktag_json.h"

#include <math.h>

double
ktag_json_round3(double x)
{
    double r = round(x * 1000.0) / 1000.0;
    /* -0.0 would print as "-0.0"; a score of nothing is plain 0. */
    return r == 0.0 ? 0.0 : r;
}

const char *
ktag_json_error_code(int status)
{
    switch (status) {
    case KTAG_ERR_BAD_UTF8:
        return "bad_utf8";
    case KTAG_ERR_TOO_LARGE:
        return "too_large";
    case KTAG_ERR_INVALID:
        return "bad_request";
    default:
        return "internal";
    }
}

/* json_object_set_new() tolerates a NULL value by failing; count failures so
 * that one check at the end covers every allocation. */
static int
s_set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new_nocheck(obj, key, value);
}

static json_t *
s_sentiment(const ktag_sentiment_t *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= s_set(o, "score", json_real(ktag_json_round3(s->score)));
    rc |= s_set(o, "label", json_string(s->label ? s->label : "neutral"));
    rc |= s_set(o, "positive", json_integer(s->positive));
    rc |= s_set(o, "negative", json_integer(s->negative));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *
s_entity(const ktag_entity_t *e, int with_sentiment)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= s_set(o, "type", json_string_nocheck(ktag_type_name(e->type)));
    rc |= s_set(o, "id", json_string(e->id));
    rc |= s_set(o, "name", json_string(e->name));
    rc |= s_set(o, "text", json_string(e->text));
    rc |= s_set(o, "start", json_integer((json_int_t) e->start));
    rc |= s_set(o, "end", json_integer((json_int_t) e->end));
    rc |= s_set(o, "field", json_string_nocheck(ktag_field_name(e->field)));
    if (with_sentiment)
        rc |= s_set(o, "sentiment", json_real(ktag_json_round3(e->sentiment)));
    json_t *attrs = json_object();
    for (size_t i = 0; attrs && i < e->attr_count; i++)
        rc |= json_object_set_new(attrs, e->attrs[i].key, json_string(e->attrs[i].value));
    rc |= s_set(o, "attrs", attrs);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
ktag_json_result(const ktag_result_t *result, json_t *id,
                 const ktag_options_t *options, int64_t elapsed_us)
{
    ktag_options_t defaults;
    if (!options) {
        ktag_options_init(&defaults);
        options = &defaults;
    }
    const ktag_sentiment_t *doc_sentiment = ktag_result_sentiment(result);
    int with_sentiment = options->sentiment && doc_sentiment != NULL;

    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
    if (id)
        rc |= s_set(o, "id", json_incref(id));
    rc |= s_set(o, "ok", json_true());

    size_t n = ktag_result_entity_count(result);
    json_t *entities = json_array();
    for (size_t i = 0; entities && i < n; i++)
        rc |= json_array_append_new(entities, s_entity(ktag_result_entity(result, i), with_sentiment));
    rc |= s_set(o, "entities", entities);

    if (with_sentiment)
        rc |= s_set(o, "sentiment", s_sentiment(doc_sentiment));

    if (options->explain) {
        json_t *sentences = json_array();
        size_t ns = ktag_result_sentence_count(result);
        for (size_t i = 0; sentences && i < ns; i++) {
            const ktag_sentence_t *s = ktag_result_sentence(result, i);
            json_t *so = json_object();
            if (so) {
                rc |= s_set(so, "field", json_string_nocheck(ktag_field_name(s->field)));
                rc |= s_set(so, "start", json_integer((json_int_t) s->start));
                rc |= s_set(so, "end", json_integer((json_int_t) s->end));
                rc |= s_set(so, "score", json_real(ktag_json_round3(s->sentiment.score)));
                rc |= s_set(so, "label", json_string(s->sentiment.label ? s->sentiment.label : "neutral"));
            }
            rc |= json_array_append_new(sentences, so);
        }
        rc |= s_set(o, "sentences", sentences);

        json_t *explain = json_array();
        size_t ne = ktag_result_explain_count(result);
        for (size_t i = 0; explain && i < ne; i++)
            rc |= json_array_append_new(explain, json_string(ktag_result_explain(result, i)));
        rc |= s_set(o, "explain", explain);
    }

    rc |= s_set(o, "lexicon", json_string(ktag_result_lexicon_version(result)));
    rc |= s_set(o, "elapsed_us", json_integer(elapsed_us));
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
ktag_json_error(json_t *id, const char *code, const char *message)
{
    json_t *o = json_object();
    json_t *err = json_object();
    if (!o || !err) {
        json_decref(o);
        json_decref(err);
        return NULL;
    }
    int rc = 0;
    if (id)
        rc |= s_set(o, "id", json_incref(id));
    rc |= s_set(o, "ok", json_false());
    rc |= s_set(err, "code", json_string(code));
    /* A message may quote a few bytes of bad input; never let that make the
     * error itself unprintable. */
    json_t *msg = json_string(message);
    if (!msg)
        msg = json_string("(message not valid UTF-8)");
    rc |= s_set(err, "message", msg);
    rc |= s_set(o, "error", err);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}
