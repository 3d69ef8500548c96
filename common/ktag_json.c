/*  ktag_json.c - libktag result -> SPEC.md JSON object. */
#include "ktag_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* ---- direct writer --------------------------------------------------- */

/* Output is staged in a small buffer so that `fn` sees a few large writes
 * per document instead of one per token. */
typedef struct {
    char buf[4096];
    size_t len;
    ktag_json_write_fn *fn;
    void *user;
    int failed;
} s_writer_t;

static void
s_flush(s_writer_t *w)
{
    if (w->len && !w->failed && w->fn(w->buf, w->len, w->user) != 0)
        w->failed = 1;
    w->len = 0;
}

static void
s_put(s_writer_t *w, const char *data, size_t len)
{
    if (len > sizeof w->buf - w->len) {
        s_flush(w);
        if (len > sizeof w->buf) {
            if (!w->failed && w->fn(data, len, w->user) != 0)
                w->failed = 1;
            return;
        }
    }
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

/* String literals only: the "" makes anything else a compile error. */
#define S_PUTS(w, lit) s_put((w), "" lit, sizeof("" lit) - 1)

/* A JSON string as jansson writes it without JSON_ENSURE_ASCII: UTF-8 kept,
 * '"' and '\\' and control characters escaped (\b \f \n \r \t, else
 * \u00XX with upper-case hex). */
static void
s_put_str(s_writer_t *w, const char *s, size_t n)
{
    s_put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        s_put(w, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"':  S_PUTS(w, "\\\""); break;
        case '\\': S_PUTS(w, "\\\\"); break;
        case '\b': S_PUTS(w, "\\b"); break;
        case '\f': S_PUTS(w, "\\f"); break;
        case '\n': S_PUTS(w, "\\n"); break;
        case '\r': S_PUTS(w, "\\r"); break;
        case '\t': S_PUTS(w, "\\t"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", c);
            s_put(w, esc, 6);
        }
    }
    s_put(w, s + run, n - run);
    s_put(w, "\"", 1);
}

static void
s_put_cstr(s_writer_t *w, const char *s)
{
    s_put_str(w, s ? s : "", s ? strlen(s) : 0);
}

/* Integers without printf: the writer emits several per entity. */
static void
s_put_int(s_writer_t *w, long long v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    s_put(w, p, (size_t) (tmp + sizeof tmp - p));
}

/* A real as jansson prints it with JSON_REAL_PRECISION(10): "%.10g", then
 * ".0" when that looks like an integer, and no '+' or leading zeros in the
 * exponent. */
static void
s_put_real(s_writer_t *w, double v)
{
    /* Scores arrive rounded to thousandths, which "%.10g" prints as the
     * plain decimal k/1000 with trailing zeros dropped: do that directly. */
    double k = v * 1000.0;
    if (k > -1e9 && k < 1e9 && fabs(k - (double) llround(k)) < 1e-6) {
        long long t = llround(k);
        char tmp[32];
        char *p = tmp;
        if (t < 0) {
            *p++ = '-';
            t = -t;
        }
        char digits[24];
        int nd = 0;
        long long whole = t / 1000;
        do {
            digits[nd++] = (char) ('0' + whole % 10);
            whole /= 10;
        } while (whole);
        while (nd)
            *p++ = digits[--nd];
        int frac = (int) (t % 1000);
        *p++ = '.';
        if (frac == 0) {
            *p++ = '0';
        } else {
            *p++ = (char) ('0' + frac / 100);
            if (frac % 100) {
                *p++ = (char) ('0' + frac / 10 % 10);
                if (frac % 10)
                    *p++ = (char) ('0' + frac % 10);
            }
        }
        s_put(w, tmp, (size_t) (p - tmp));
        return;
    }
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.10g", v);
    if (n < 0 || n >= (int) sizeof tmp - 3)
        return;
    char *e = strchr(tmp, 'e');
    if (!strchr(tmp, '.') && !e) {
        memcpy(tmp + n, ".0", 3);
        n += 2;
    }
    if (e) {
        char *p = e + 1;
        char *q = p;
        if (*q == '+')
            q++;
        else if (*q == '-')
            p = ++q;
        while (*q == '0' && q[1])
            q++;
        memmove(p, q, strlen(q) + 1);
        n = (int) strlen(tmp);
    }
    s_put(w, tmp, (size_t) n);
}

static void
s_put_sentiment(s_writer_t *w, const ktag_sentiment_t *s)
{
    S_PUTS(w, "{\"score\":");
    s_put_real(w, ktag_json_round3(s->score));
    S_PUTS(w, ",\"label\":");
    s_put_cstr(w, s->label ? s->label : "neutral");
    S_PUTS(w, ",\"positive\":");
    s_put_int(w, s->positive);
    S_PUTS(w, ",\"negative\":");
    s_put_int(w, s->negative);
    S_PUTS(w, "}");
}

int
ktag_json_write_result(const ktag_result_t *result, json_t *id,
                       const ktag_options_t *options, int64_t elapsed_us,
                       ktag_json_write_fn *fn, void *user)
{
    ktag_options_t defaults;
    if (!options) {
        ktag_options_init(&defaults);
        options = &defaults;
    }
    const ktag_sentiment_t *doc_sentiment = ktag_result_sentiment(result);
    int with_sentiment = options->sentiment && doc_sentiment != NULL;

    s_writer_t w;
    w.len = 0;
    w.fn = fn;
    w.user = user;
    w.failed = 0;
    S_PUTS(&w, "{");
    if (json_is_string(id)) {
        S_PUTS(&w, "\"id\":");
        s_put_str(&w, json_string_value(id), json_string_length(id));
        S_PUTS(&w, ",");
    } else if (json_is_integer(id)) {
        S_PUTS(&w, "\"id\":");
        s_put_int(&w, json_integer_value(id));
        S_PUTS(&w, ",");
    }
    S_PUTS(&w, "\"ok\":true,\"entities\":[");
    size_t n = ktag_result_entity_count(result);
    for (size_t i = 0; i < n; i++) {
        const ktag_entity_t *e = ktag_result_entity(result, i);
        if (i)
            S_PUTS(&w, ",");
        S_PUTS(&w, "{\"type\":");
        s_put_cstr(&w, ktag_type_name(e->type));
        S_PUTS(&w, ",\"id\":");
        s_put_cstr(&w, e->id);
        S_PUTS(&w, ",\"name\":");
        s_put_cstr(&w, e->name);
        S_PUTS(&w, ",\"text\":");
        s_put_cstr(&w, e->text);
        S_PUTS(&w, ",\"start\":");
        s_put_int(&w, (long long) e->start);
        S_PUTS(&w, ",\"end\":");
        s_put_int(&w, (long long) e->end);
        S_PUTS(&w, ",\"field\":");
        s_put_cstr(&w, ktag_field_name(e->field));
        if (with_sentiment) {
            S_PUTS(&w, ",\"sentiment\":");
            s_put_real(&w, ktag_json_round3(e->sentiment));
        }
        S_PUTS(&w, ",\"attrs\":{");
        for (size_t a = 0; a < e->attr_count; a++) {
            if (a)
                S_PUTS(&w, ",");
            s_put_cstr(&w, e->attrs[a].key);
            S_PUTS(&w, ":");
            s_put_cstr(&w, e->attrs[a].value);
        }
        S_PUTS(&w, "}}");
    }
    S_PUTS(&w, "]");
    if (with_sentiment) {
        S_PUTS(&w, ",\"sentiment\":");
        s_put_sentiment(&w, doc_sentiment);
    }
    if (options->explain) {
        S_PUTS(&w, ",\"sentences\":[");
        size_t ns = ktag_result_sentence_count(result);
        for (size_t i = 0; i < ns; i++) {
            const ktag_sentence_t *s = ktag_result_sentence(result, i);
            if (i)
                S_PUTS(&w, ",");
            S_PUTS(&w, "{\"field\":");
            s_put_cstr(&w, ktag_field_name(s->field));
            S_PUTS(&w, ",\"start\":");
            s_put_int(&w, (long long) s->start);
            S_PUTS(&w, ",\"end\":");
            s_put_int(&w, (long long) s->end);
            S_PUTS(&w, ",\"score\":");
            s_put_real(&w, ktag_json_round3(s->sentiment.score));
            S_PUTS(&w, ",\"label\":");
            s_put_cstr(&w, s->sentiment.label ? s->sentiment.label : "neutral");
            S_PUTS(&w, "}");
        }
        S_PUTS(&w, "],\"explain\":[");
        size_t ne = ktag_result_explain_count(result);
        for (size_t i = 0; i < ne; i++) {
            if (i)
                S_PUTS(&w, ",");
            s_put_cstr(&w, ktag_result_explain(result, i));
        }
        S_PUTS(&w, "]");
    }
    S_PUTS(&w, ",\"lexicon\":");
    s_put_cstr(&w, ktag_result_lexicon_version(result));
    S_PUTS(&w, ",\"elapsed_us\":");
    s_put_int(&w, (long long) elapsed_us);
    S_PUTS(&w, "}");
    s_flush(&w);
    return w.failed ? -1 : 0;
}

/* ---- msgpack -> JSON ------------------------------------------------- */

static void
s_put_id(s_writer_t *w, json_t *id)
{
    if (json_is_string(id))
        s_put_str(w, json_string_value(id), json_string_length(id));
    else
        s_put_int(w, json_integer_value(id));
}

static void
s_put_msgpack(s_writer_t *w, const msgpack_object *o, json_t *id, int top)
{
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        if (o->via.boolean)
            S_PUTS(w, "true");
        else
            S_PUTS(w, "false");
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        /* jansson's integers are signed 64-bit: the conversion wraps the
         * same way. */
        s_put_int(w, (long long) o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        s_put_int(w, (long long) o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        s_put_real(w, o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN:
        s_put_str(w, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        S_PUTS(w, "[");
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                S_PUTS(w, ",");
            s_put_msgpack(w, &o->via.array.ptr[i], NULL, 0);
        }
        S_PUTS(w, "]");
        break;
    case MSGPACK_OBJECT_MAP: {
        S_PUTS(w, "{");
        int first = 1;
        if (top && id) {
            S_PUTS(w, "\"id\":");
            s_put_id(w, id);
            first = 0;
        }
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR)
                continue;
            if (top && k->via.str.size == 2 && memcmp(k->via.str.ptr, "id", 2) == 0)
                continue;
            if (!first)
                S_PUTS(w, ",");
            first = 0;
            s_put_str(w, k->via.str.ptr, k->via.str.size);
            S_PUTS(w, ":");
            s_put_msgpack(w, &o->via.map.ptr[i].val, NULL, 0);
        }
        S_PUTS(w, "}");
        break;
    }
    default:
        S_PUTS(w, "null");
        break;
    }
}

int
ktag_json_write_msgpack(const msgpack_object *value, json_t *id,
                        ktag_json_write_fn *fn, void *user)
{
    s_writer_t w;
    w.len = 0;
    w.fn = fn;
    w.user = user;
    w.failed = 0;
    s_put_msgpack(&w, value, id, 1);
    s_flush(&w);
    return w.failed ? -1 : 0;
}
