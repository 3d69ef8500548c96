/*  format.c - a result object (SPEC schema, as jansson) -> jsonl, msgpack,
    tsv or pretty bytes.  Both in-process tagging and --connect replies end
    up as the same json_t, so every format is written once, from it.
*/
#include "ktag_cli.h"

#include <inttypes.h>
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

void
ktag_cli_pack_json(json_t *value, void *packer)
{
    msgpack_packer *pk = packer;
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(value));
        const char *key;
        json_t *v;
        json_object_foreach(value, key, v) {
            size_t klen = strlen(key);
            msgpack_pack_str(pk, klen);
            msgpack_pack_str_body(pk, key, klen);
            ktag_cli_pack_json(v, pk);
        }
        break;
    }
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(value));
        size_t i;
        json_t *v;
        json_array_foreach(value, i, v)
            ktag_cli_pack_json(v, pk);
        break;
    }
    case JSON_STRING:
        msgpack_pack_str(pk, json_string_length(value));
        msgpack_pack_str_body(pk, json_string_value(value), json_string_length(value));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, json_integer_value(value));
        break;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(value));
        break;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        break;
    default:
        msgpack_pack_nil(pk);
        break;
    }
}

json_t *
ktag_cli_json_from_msgpack(const void *object)
{
    const msgpack_object *o = object;
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_integer((json_int_t) o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t) o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN: {
        json_t *s = json_stringn(o->via.str.ptr, o->via.str.size);
        /* Strings from the wire that are not UTF-8 cannot be JSON; keep the
         * key visible rather than dropping the whole reply. */
        return s ? s : json_string("(not UTF-8)");
    }
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < o->via.array.size; i++)
            json_array_append_new(a, ktag_cli_json_from_msgpack(&o->via.array.ptr[i]));
        return a;
    }
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; m && i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR)
                continue;
            /* The key is not NUL-terminated (it may end the frame): copy it
             * by length. */
            char *key = malloc((size_t) k->via.str.size + 1);
            if (key) {
                memcpy(key, k->via.str.ptr, k->via.str.size);
                key[k->via.str.size] = '\0';
                json_object_set_new(m, key, ktag_cli_json_from_msgpack(&o->via.map.ptr[i].val));
            }
            free(key);
        }
        return m;
    }
    default:
        return json_null();
    }
}

void
ktag_cli_wire_id(json_t *id, void *wire_id)
{
    ktag_wire_id_t *w = wire_id;
    memset(w, 0, sizeof *w);
    if (json_is_string(id)) {
        w->kind = KTAG_ID_STR;
        w->str = json_string_value(id);
        w->str_len = json_string_length(id);
    } else if (json_is_integer(id)) {
        json_int_t v = json_integer_value(id);
        if (v < 0) {
            w->kind = KTAG_ID_INT;
            w->num = v;
        } else {
            w->kind = KTAG_ID_UINT;
            w->unum = (uint64_t) v;
        }
    }
}

/* A TSV cell: tabs and line breaks would break the row. */
static void
s_tsv_cell(ktag_cli_buf_t *out, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
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
        s_tsv_cell(out, json_string_value(v));
    else if (json_is_integer(v))
        ktag_cli_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        ktag_cli_buf_printf(out, "%.10g", json_real_value(v));
    else if (json_is_true(v))
        ktag_cli_buf_append(out, "true", 4);
    else if (json_is_false(v))
        ktag_cli_buf_append(out, "false", 5);
}

static void
s_tsv(json_t *obj, ktag_cli_buf_t *out)
{
    json_t *id = json_object_get(obj, "id");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(obj, "entities"), i, e) {
        s_scalar(out, id);
        static const char *const keys[] = {"type", "id", "name", "text", "start", "end", "sentiment"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            ktag_cli_buf_append(out, "\t", 1);
            s_scalar(out, json_object_get(e, keys[k]));
        }
        ktag_cli_buf_append(out, "\n", 1);
    }
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

/* One block per document: a header line, then one line per entity with its
 * span, type, id, name (and the surface when it differs), sentiment and
 * attribute values. */
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
        snprintf(span, sizeof span, "%s%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
                 strcmp(s_str(e, "field"), "title") == 0 ? "title:" : "",
                 json_integer_value(json_object_get(e, "start")),
                 json_integer_value(json_object_get(e, "end")));
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
    json_array_foreach(json_object_get(obj, "sentences"), i, e)
        ktag_cli_buf_printf(out, "  sentence %s %" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT ": %s %+.3f\n",
                            s_str(e, "field"), json_integer_value(json_object_get(e, "start")),
                            json_integer_value(json_object_get(e, "end")), s_str(e, "label"),
                            json_number_value(json_object_get(e, "score")));
    json_array_foreach(json_object_get(obj, "explain"), i, e)
        ktag_cli_buf_printf(out, "  explain  %s\n", json_string_value(e));
    ktag_cli_buf_append(out, "\n", 1);
}

void
ktag_cli_format(const ktag_cli_config_t *config, json_t *obj, ktag_cli_buf_t *out)
{
    switch (config->output) {
    case KTAG_CLI_OUT_JSONL:
        json_dump_callback(obj, s_dump_cb, out, KTAG_JSON_DUMP_FLAGS);
        ktag_cli_buf_append(out, "\n", 1);
        break;
    case KTAG_CLI_OUT_MSGPACK: {
        msgpack_packer pk;
        msgpack_packer_init(&pk, out, s_pack_cb);
        ktag_cli_pack_json(obj, &pk);
        break;
    }
    case KTAG_CLI_OUT_TSV:
        s_tsv(obj, out);
        break;
    case KTAG_CLI_OUT_PRETTY:
        s_pretty(obj, out);
        break;
    }
}

const char *
ktag_cli_format_header(const ktag_cli_config_t *config)
{
    if (config->output == KTAG_CLI_OUT_TSV)
        return "doc\ttype\tid\tname\ttext\tstart\tend\tsentiment\n";
    return NULL;
}
