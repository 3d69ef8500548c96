/*  ktag_json.c - JSON emitters for the schema walk (ktag_schema.h): JSON
    text written straight to a callback, and a jansson tree (for the CLI's
    pretty format, and as the reference the tests hold the text against).
*/
#include "ktag_json.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktag_msgpack.h"

/*  The schema nests 4 deep; a reply from a daemon is walked generically
    and may nest deeper, but never this deep unless it is hostile. */
#define S_MAX_DEPTH 64

const char *
ktag_json_error_code(int status)
{
    return ktag_wire_code_name(ktag_wire_code_from_status(status));
}

const ktag_wire_id_t *
ktag_json_wire_id(json_t *id, ktag_wire_id_t *out)
{
    if (json_is_string(id)) {
        *out = (ktag_wire_id_t) { .kind = KTAG_ID_STR, .str = json_string_value(id),
                                  .str_len = json_string_length(id) };
    } else if (json_is_integer(id)) {
        json_int_t v = json_integer_value(id);
        *out = v < 0 ? (ktag_wire_id_t) { .kind = KTAG_ID_INT, .num = v }
                     : (ktag_wire_id_t) { .kind = KTAG_ID_UINT, .unum = (uint64_t) v };
    } else {
        return NULL;
    }
    return out;
}

/* Where a container stands: items announced and items written (a map
 * announces 2 per pair: key, value). */
typedef struct {
    size_t total, done;
    bool map;
} s_level_t;

/* ---- JSON text ------------------------------------------------------- */

/* A container being written: items (keys and values) still to come. */
typedef struct {
    size_t left;
    bool map;
} s_open_t;

typedef struct {
    ktag_emitter_t base;
    char buf[4096];     /* staged, so that `fn` sees a few large writes */
    size_t len;
    ktag_json_write_fn *fn;
    void *user;
    int failed;
    char sep;           /* written before the next item: ',', ':' or none */
    s_open_t stack[S_MAX_DEPTH];
    int depth;
} s_text_t;

static void
s_flush(s_text_t *w)
{
    if (w->len && !w->failed && w->fn(w->buf, w->len, w->user) != 0)
        w->failed = 1;
    w->len = 0;
}

static void
s_put(s_text_t *w, const char *data, size_t len)
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

/* Make room for `n` more bytes in the staging buffer, flushing it when
 * needed.  @returns false when `n` is more than the buffer holds. */
static inline bool
s_room(s_text_t *w, size_t n)
{
    if (n <= sizeof w->buf - w->len)
        return true;
    s_flush(w);
    return n <= sizeof w->buf;
}

/* Punctuation, one byte at a time: most items are short, and a call to
 * memcpy for one byte costs more than the byte. */
static inline void
s_putc(s_text_t *w, char c)
{
    if (w->len == sizeof w->buf)
        s_flush(w);
    w->buf[w->len++] = c;
}

/* The separator before an item: ',' between items, ':' after a key. */
static inline void
s_before(s_text_t *w)
{
    if (w->sep)
        s_putc(w, w->sep);
}

/* An item is complete: choose the next separator, or close every
 * container the item completes. */
static int
s_after(s_text_t *w)
{
    while (w->depth) {
        s_open_t *l = &w->stack[w->depth - 1];
        if (--l->left) {
            /* In a map, an odd count left means a value comes next. */
            w->sep = l->map && (l->left & 1) ? ':' : ',';
            return w->failed ? -1 : 0;
        }
        s_putc(w, l->map ? '}' : ']');
        w->depth--;
    }
    w->sep = 0;
    return w->failed ? -1 : 0;
}

static int
s_text_open(s_text_t *w, bool map, size_t items)
{
    s_before(w);
    if (items == 0) {
        if (map)
            S_PUTS(w, "{}");
        else
            S_PUTS(w, "[]");
        return s_after(w);
    }
    if (w->depth == S_MAX_DEPTH)
        return -1;
    w->stack[w->depth++] = (s_open_t) { map ? 2 * items : items, map };
    s_putc(w, map ? '{' : '[');
    w->sep = 0;
    return w->failed ? -1 : 0;
}

static int
s_text_map(ktag_emitter_t *e, size_t pairs)
{
    return s_text_open((s_text_t *) e, true, pairs);
}

static int
s_text_array(ktag_emitter_t *e, size_t items)
{
    return s_text_open((s_text_t *) e, false, items);
}

/* Escape byte `c` (a control character, '"' or '\\') at `o` as jansson
 * does: \b \f \n \r \t, else \u00XX with upper-case hex.  @returns the
 * end of what was written (at most 6 bytes). */
static char *
s_escape(char *o, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    *o++ = '\\';
    switch (c) {
    case '"':  *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default:
        memcpy(o, "u00", 3);
        o[3] = hex[c >> 4];
        o[4] = hex[c & 15];
        o += 5;
    }
    return o;
}

static inline bool
s_plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

/* @returns nonzero when one of the 8 bytes of `x` needs escaping: below
 * 0x20, '"' or '\\' (the bit tricks find a zero or small byte exactly,
 * bytes >= 0x80 never count as small). */
static inline uint64_t
s_special8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    return ((x - ones * 0x20) & ~x & highs)
           | ((quote - ones) & ~quote & highs)
           | ((backslash - ones) & ~backslash & highs);
}

/* Write s[0, n) escaped at `o` (room for 6n bytes).  Plain runs are copied
 * 8 bytes at a time, and a string's last bytes as one overlapping word:
 * most strings are keys and names of a few bytes.  @returns the end. */
static char *
s_escape_string(char *o, const char *s, size_t n)
{
    char *const start = o;
    size_t i = 0;
    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!s_special8(x)) {
                memcpy(o, &x, 8);
                o += 8;
                continue;
            }
            for (size_t k = i; k < i + 8; k++)
                o = s_plain((unsigned char) s[k]) ? (*o = s[k], o + 1) : s_escape(o, (unsigned char) s[k]);
        }
        /* While nothing was escaped, output offsets are input offsets, so
         * the last 8 input bytes can be stored over the last output ones. */
        uint64_t x;
        memcpy(&x, s + n - 8, 8);
        if (i < n && o - start == (ptrdiff_t) i && !s_special8(x)) {
            memcpy(start + n - 8, &x, 8);
            return start + n;
        }
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        if (!s_special8((uint64_t) a << 32 | b)) {
            memcpy(o, &a, 4);
            memcpy(o + n - 4, &b, 4);
            return o + n;
        }
    }
    for (; i < n; i++)
        o = s_plain((unsigned char) s[i]) ? (*o = s[i], o + 1) : s_escape(o, (unsigned char) s[i]);
    return o;
}

/* A JSON string as jansson writes it without JSON_ENSURE_ASCII: UTF-8 kept,
 * '"' and '\\' and control characters escaped (s_escape).  A string that
 * fits the staging buffer escaped (6 bytes per byte at worst: nearly all)
 * is written straight into it. */
static int
s_text_str(ktag_emitter_t *e, const char *s, size_t n)
{
    s_text_t *w = (s_text_t *) e;
    s_before(w);
    if (s_room(w, 6 * n + 2)) {
        char *o = w->buf + w->len;
        *o++ = '"';
        o = s_escape_string(o, s, n);
        *o++ = '"';
        w->len = (size_t) (o - w->buf);
        return s_after(w);
    }
    /* A long string: plain runs go out as they are. */
    s_putc(w, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (s_plain(c))
            continue;
        s_put(w, s + run, i - run);
        run = i + 1;
        char esc[6];
        s_put(w, esc, (size_t) (s_escape(esc, c) - esc));
    }
    s_put(w, s + run, n - run);
    s_putc(w, '"');
    return s_after(w);
}

/* Copy n <= 16 bytes with two overlapping loads and stores: no call. */
static inline void
s_copy_short(char *o, const char *s, size_t n)
{
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            o[i] = s[i];
    }
}

/* A key of the schema: nothing to escape (ktag_emitter_t.key). */
static int
s_text_key(ktag_emitter_t *e, const char *s, size_t n)
{
    if (n > 16)
        return s_text_str(e, s, n);
    s_text_t *w = (s_text_t *) e;
    s_before(w);
    s_room(w, n + 2);
    char *o = w->buf + w->len;
    o[0] = '"';
    s_copy_short(o + 1, s, n);
    o[n + 1] = '"';
    w->len += n + 2;
    return s_after(w);
}

/* Integers without printf: the writer emits several per entity. */
static void
s_put_digits(s_text_t *w, unsigned long long u, bool negative)
{
    size_t n = 1 + negative;
    for (unsigned long long v = u; v >= 10; v /= 10)
        n++;
    s_room(w, n);
    char *o = w->buf + w->len + n;
    do {
        *--o = (char) ('0' + u % 10);
        u /= 10;
    } while (u);
    if (negative)
        *--o = '-';
    w->len += n;
}

static int
s_text_i64(ktag_emitter_t *e, int64_t v)
{
    s_text_t *w = (s_text_t *) e;
    s_before(w);
    s_put_digits(w, v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v, v < 0);
    return s_after(w);
}

/* jansson's integers are signed 64-bit: a larger unsigned value wraps the
 * same way its conversion would. */
static int
s_text_u64(ktag_emitter_t *e, uint64_t v)
{
    return s_text_i64(e, (int64_t) v);
}

/* A real as jansson prints it with JSON_REAL_PRECISION(10): "%.10g", then
 * ".0" when that looks like an integer, and no '+' or leading zeros in the
 * exponent. */
static int
s_text_real(ktag_emitter_t *e, double v)
{
    s_text_t *w = (s_text_t *) e;
    /* NaN and the infinities have no JSON spelling ("%.10g" gives "nan"):
     * refused, as jansson's json_real() refuses them for the tree.  Only a
     * daemon's reply can hold one (ktag_json_write_msgpack). */
    if (!isfinite(v))
        return -1;
    s_before(w);
    /* Scores arrive rounded to thousandths, which "%.10g" prints as the
     * plain decimal k/1000 with trailing zeros dropped: do that directly.
     * Only for exactly t/1000 (what ktag_schema_round3 returns): an
     * amount near a thousandth (1e-10%) is no score and goes to "%.10g". */
    double k = v * 1000.0;
    long long t = k > -1e9 && k < 1e9 ? llround(k) : 0;
    if (k > -1e9 && k < 1e9 && (double) t / 1000.0 == v) {
        unsigned long long a = (unsigned long long) (t < 0 ? -t : t);
        s_put_digits(w, a / 1000, t < 0);
        char frac[4] = { '.', (char) ('0' + a / 100 % 10), (char) ('0' + a / 10 % 10), (char) ('0' + a % 10) };
        size_t n = 4;
        while (n > 2 && frac[n - 1] == '0')
            n--;
        s_room(w, 4);
        memcpy(w->buf + w->len, frac, 4);   /* 4 bytes copied, n kept */
        w->len += n;
        return s_after(w);
    }
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, "%.10g", v);
    if (n < 0 || n >= (int) sizeof tmp - 3)
        return -1;
    char *x = strchr(tmp, 'e');
    if (!strchr(tmp, '.') && !x) {
        memcpy(tmp + n, ".0", 3);
        n += 2;
    }
    if (x) {
        char *p = x + 1;
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
    return s_after(w);
}

static int
s_text_boolean(ktag_emitter_t *e, bool v)
{
    s_text_t *w = (s_text_t *) e;
    s_before(w);
    if (v)
        S_PUTS(w, "true");
    else
        S_PUTS(w, "false");
    return s_after(w);
}

static int
s_text_nil(ktag_emitter_t *e)
{
    s_text_t *w = (s_text_t *) e;
    s_before(w);
    S_PUTS(w, "null");
    return s_after(w);
}

static void
s_text_init(s_text_t *w, ktag_json_write_fn *fn, void *user)
{
    w->base = (ktag_emitter_t) { s_text_map, s_text_array, s_text_str, s_text_i64,
                                 s_text_u64, s_text_real, s_text_boolean, s_text_nil, s_text_key };
    w->len = 0;
    w->fn = fn;
    w->user = user;
    w->failed = 0;
    w->sep = 0;
    w->depth = 0;
}

static int
s_text_finish(s_text_t *w, int rc)
{
    s_flush(w);
    return rc || w->failed ? -1 : 0;
}

int
ktag_json_write_result(const ktag_result_t *result, json_t *id, const ktag_options_t *options,
                       int64_t elapsed_us, ktag_json_write_fn *fn, void *user)
{
    s_text_t w;
    s_text_init(&w, fn, user);
    ktag_wire_id_t wid;
    int rc = ktag_schema_result(&w.base, ktag_json_wire_id(id, &wid), result, options,
                                (uint64_t) elapsed_us);
    return s_text_finish(&w, rc);
}

int
ktag_json_write_error(json_t *id, const char *code, const char *message,
                      ktag_json_write_fn *fn, void *user)
{
    s_text_t w;
    s_text_init(&w, fn, user);
    ktag_wire_id_t wid;
    int rc = ktag_schema_error(&w.base, ktag_json_wire_id(id, &wid), code, message);
    return s_text_finish(&w, rc);
}

int
ktag_json_write_msgpack(const msgpack_object *value, json_t *id, ktag_json_write_fn *fn, void *user)
{
    s_text_t w;
    s_text_init(&w, fn, user);
    ktag_wire_id_t wid;
    int rc = ktag_msgpack_walk(&w.base, value, true, ktag_json_wire_id(id, &wid));
    return s_text_finish(&w, rc);
}

/* ---- jansson tree ---------------------------------------------------- */

typedef struct {
    ktag_emitter_t base;
    json_t *root;
    struct {
        s_level_t at;
        json_t *container;
        char *key;          /* a map's pending key, until its value comes */
        size_t key_len;
    } stack[S_MAX_DEPTH];
    int depth;
} s_tree_t;

/* Put `v` (a new reference, may be NULL on allocation failure) where the
 * walk stands; an item completes the containers it fills. */
static int
s_tree_add(s_tree_t *t, json_t *v, bool opens)
{
    if (!v)
        return -1;
    int rc = 0;
    if (!t->depth) {
        json_decref(t->root);
        t->root = v;
    } else {
        __typeof__(t->stack[0]) *l = &t->stack[t->depth - 1];
        if (l->at.map) {
            rc = l->key ? json_object_setn_new_nocheck(l->container, l->key, l->key_len, v) : -1;
            free(l->key);
            l->key = NULL;
        } else {
            rc = json_array_append_new(l->container, v);
        }
    }
    if (opens)
        return rc;
    while (t->depth) {
        __typeof__(t->stack[0]) *l = &t->stack[t->depth - 1];
        l->at.done += l->at.map ? 2 : 1;
        if (l->at.done < l->at.total)
            break;
        t->depth--;
    }
    return rc;
}

static int
s_tree_open(s_tree_t *t, json_t *container, bool map, size_t items)
{
    if (!container || t->depth == S_MAX_DEPTH) {
        json_decref(container);
        return -1;
    }
    if (items == 0)
        return s_tree_add(t, container, false);
    if (s_tree_add(t, container, true))
        return -1;
    t->stack[t->depth].at = (s_level_t) { map ? 2 * items : items, 0, map };
    t->stack[t->depth].container = container;
    t->stack[t->depth].key = NULL;
    t->depth++;
    return 0;
}

static int
s_tree_map(ktag_emitter_t *e, size_t pairs)
{
    return s_tree_open((s_tree_t *) e, json_object(), true, pairs);
}

static int
s_tree_array(ktag_emitter_t *e, size_t items)
{
    return s_tree_open((s_tree_t *) e, json_array(), false, items);
}

static int
s_tree_str(ktag_emitter_t *e, const char *s, size_t len)
{
    s_tree_t *t = (s_tree_t *) e;
    if (t->depth) {
        __typeof__(t->stack[0]) *l = &t->stack[t->depth - 1];
        if (l->at.map && l->key == NULL) {
            /* A key: held until its value arrives. */
            l->key = malloc(len + 1);
            if (!l->key)
                return -1;
            memcpy(l->key, s, len);
            l->key[len] = '\0';
            l->key_len = len;
            return 0;
        }
    }
    return s_tree_add(t, json_stringn_nocheck(s, len), false);
}

static int
s_tree_i64(ktag_emitter_t *e, int64_t v)
{
    return s_tree_add((s_tree_t *) e, json_integer((json_int_t) v), false);
}

static int
s_tree_u64(ktag_emitter_t *e, uint64_t v)
{
    return s_tree_add((s_tree_t *) e, json_integer((json_int_t) v), false);
}

static int
s_tree_real(ktag_emitter_t *e, double v)
{
    return s_tree_add((s_tree_t *) e, json_real(v), false);
}

static int
s_tree_boolean(ktag_emitter_t *e, bool v)
{
    return s_tree_add((s_tree_t *) e, json_boolean(v), false);
}

static int
s_tree_nil(ktag_emitter_t *e)
{
    return s_tree_add((s_tree_t *) e, json_null(), false);
}

static void
s_tree_init(s_tree_t *t)
{
    t->base = (ktag_emitter_t) { s_tree_map, s_tree_array, s_tree_str, s_tree_i64,
                                 s_tree_u64, s_tree_real, s_tree_boolean, s_tree_nil, NULL };
    t->root = NULL;
    t->depth = 0;
}

/* @returns the tree when the walk succeeded and completed it, else NULL. */
static json_t *
s_tree_finish(s_tree_t *t, int rc)
{
    for (int d = 0; d < t->depth; d++)
        free(t->stack[d].key);
    if (rc || t->depth) {
        json_decref(t->root);
        return NULL;
    }
    return t->root;
}

json_t *
ktag_json_result(const ktag_result_t *result, json_t *id, const ktag_options_t *options,
                 int64_t elapsed_us)
{
    s_tree_t t;
    s_tree_init(&t);
    ktag_wire_id_t wid;
    int rc = ktag_schema_result(&t.base, ktag_json_wire_id(id, &wid), result, options,
                                (uint64_t) elapsed_us);
    return s_tree_finish(&t, rc);
}

json_t *
ktag_json_error(json_t *id, const char *code, const char *message)
{
    s_tree_t t;
    s_tree_init(&t);
    ktag_wire_id_t wid;
    return s_tree_finish(&t, ktag_schema_error(&t.base, ktag_json_wire_id(id, &wid), code, message));
}

json_t *
ktag_json_from_msgpack(const msgpack_object *value, bool replace_id, json_t *id)
{
    s_tree_t t;
    s_tree_init(&t);
    ktag_wire_id_t wid;
    int rc = ktag_msgpack_walk(&t.base, value, replace_id, ktag_json_wire_id(id, &wid));
    return s_tree_finish(&t, rc);
}

/* ---- jansson tree -> any emitter --------------------------------------- */

int
ktag_json_walk(ktag_emitter_t *e, json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        int rc = e->map(e, json_object_size(value));
        const char *key;
        json_t *v;
        json_object_foreach(value, key, v) {
            rc |= e->str(e, key, strlen(key));
            rc |= ktag_json_walk(e, v);
        }
        return rc ? -1 : 0;
    }
    case JSON_ARRAY: {
        int rc = e->array(e, json_array_size(value));
        size_t i;
        json_t *v;
        json_array_foreach(value, i, v)
            rc |= ktag_json_walk(e, v);
        return rc ? -1 : 0;
    }
    case JSON_STRING:
        return e->str(e, json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        return e->i64(e, json_integer_value(value));
    case JSON_REAL:
        return e->real(e, json_real_value(value));
    case JSON_TRUE:
        return e->boolean(e, true);
    case JSON_FALSE:
        return e->boolean(e, false);
    default:
        return e->nil(e);
    }
}
