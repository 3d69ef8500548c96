/*  ktag_msgpack.c - the SPEC.md wire schema in msgpack (see ktag_msgpack.h). */
#include "ktag_msgpack.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A key known at compile time: no strlen per key of every reply. */
#define S_KEY(pk, lit) msgpack_pack_str_with_body((pk), (lit), sizeof(lit) - 1)

static const char *s_code_names[KTAG_WIRE_CODE_COUNT] = {
    "bad_request", "bad_utf8", "too_large", "unsupported", "overloaded", "internal",
};

static const char *s_op_names[] = { "tag", "ping", "info", "stats", "reload" };

const char *
ktag_wire_code_name(ktag_wire_code_t code)
{
    if ((unsigned) code >= KTAG_WIRE_CODE_COUNT)
        return "internal";
    return s_code_names[code];
}

ktag_wire_code_t
ktag_wire_code_from_status(int status)
{
    switch (status) {
    case KTAG_ERR_BAD_UTF8: return KTAG_WIRE_BAD_UTF8;
    case KTAG_ERR_TOO_LARGE: return KTAG_WIRE_TOO_LARGE;
    case KTAG_ERR_INVALID: return KTAG_WIRE_BAD_REQUEST;
    default: return KTAG_WIRE_INTERNAL;
    }
}

const char *
ktag_op_name(ktag_op_t op)
{
    if ((unsigned) op >= sizeof s_op_names / sizeof s_op_names[0])
        return "tag";
    return s_op_names[op];
}

static int
s_fail(ktag_wire_error_t *err, ktag_wire_code_t code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_fail(ktag_wire_error_t *err, ktag_wire_code_t code, const char *format, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, format);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, format, ap);
        va_end(ap);
    }
    return -1;
}

static bool
s_str_is(const msgpack_object *obj, const char *s)
{
    size_t len = strlen(s);
    return obj->type == MSGPACK_OBJECT_STR && obj->via.str.size == len
        && memcmp(obj->via.str.ptr, s, len) == 0;
}

/* Names of msgpack types, for messages that say what was sent instead. */
static const char *
s_type_name(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "float";
    case MSGPACK_OBJECT_STR: return "str";
    case MSGPACK_OBJECT_ARRAY: return "array";
    case MSGPACK_OBJECT_MAP: return "map";
    case MSGPACK_OBJECT_BIN: return "bin";
    case MSGPACK_OBJECT_EXT: return "ext";
    }
    return "unknown";
}

/* Only for the short strings echoed back (id, op): a reply must always
   decode, so an id that is not UTF-8 is refused rather than echoed.  The
   document text is checked by the engine, which names the offset. */
static bool
s_utf8_valid(const char *str, size_t len)
{
    return ktag_schema_utf8_prefix(str, len) == len;
}

const msgpack_object *
ktag_msgpack_map_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (s_str_is(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

int
ktag_msgpack_id_from_object(ktag_wire_id_t *id, const msgpack_object *obj)
{
    memset(id, 0, sizeof *id);
    switch (obj->type) {
    case MSGPACK_OBJECT_STR:
        if (!s_utf8_valid(obj->via.str.ptr, obj->via.str.size))
            return -1;
        id->kind = KTAG_ID_STR;
        id->str = obj->via.str.ptr;
        id->str_len = obj->via.str.size;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        id->kind = KTAG_ID_UINT;
        id->unum = obj->via.u64;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        id->kind = KTAG_ID_INT;
        id->num = obj->via.i64;
        return 0;
    default:
        return -1;
    }
}

static int
s_bool_option(const msgpack_object *options, const char *key, bool *out, ktag_wire_error_t *err)
{
    const msgpack_object *v = ktag_msgpack_map_get(options, key);
    if (!v)
        return 0;
    if (v->type != MSGPACK_OBJECT_BOOLEAN)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "options.%s must be a bool, not %s",
                      key, s_type_name(v));
    *out = v->via.boolean;
    return 0;
}

/* A str object as a NUL-terminated string in `buf`, for the ktag_*_from_name
   parsers; false when it does not fit (no valid name is that long) or holds
   a NUL, which would make "byte\0zzz" read as "byte". */
static bool
s_str_copy(const msgpack_object *obj, char *buf, size_t size)
{
    if (obj->via.str.size >= size
        || (obj->via.str.size && memchr(obj->via.str.ptr, '\0', obj->via.str.size)))
        return false;
    memcpy(buf, obj->via.str.ptr, obj->via.str.size);
    buf[obj->via.str.size] = '\0';
    return true;
}

static int
s_decode_options(ktag_options_t *opt, const msgpack_object *options, ktag_wire_error_t *err)
{
    if (options->type != MSGPACK_OBJECT_MAP)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "options must be a map, not %s",
                      s_type_name(options));
    if (s_bool_option(options, "sentiment", &opt->sentiment, err)
        || s_bool_option(options, "overlaps", &opt->overlaps, err)
        || s_bool_option(options, "explain", &opt->explain, err))
        return -1;
    bool events_given = ktag_msgpack_map_get(options, "events") != NULL;

    char name[32];
    const msgpack_object *v = ktag_msgpack_map_get(options, "offsets");
    if (v) {
        if (v->type != MSGPACK_OBJECT_STR)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "options.offsets must be a str, not %s",
                          s_type_name(v));
        if (!s_str_copy(v, name, sizeof name)
            || ktag_offset_unit_from_name(name, &opt->offsets) != 0)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                          "options.offsets must be \"codepoint\", \"byte\" or \"utf16\"");
    }
    v = ktag_msgpack_map_get(options, "types");
    if (v) {
        if (v->type != MSGPACK_OBJECT_ARRAY)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "options.types must be an array, not %s",
                          s_type_name(v));
        unsigned types = 0;
        bool events = false;
        for (uint32_t i = 0; i < v->via.array.size; i++) {
            const msgpack_object *t = &v->via.array.ptr[i];
            ktag_type_t type;
            if (t->type != MSGPACK_OBJECT_STR)
                return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                              "options.types[%u] must be a str, not %s", i, s_type_name(t));
            if (s_str_copy(t, name, sizeof name) && strcmp(name, "events") == 0) {
                events = true;
                continue;
            }
            if (!s_str_copy(t, name, sizeof name) || ktag_type_from_name(name, &type) != 0)
                return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                              "options.types[%u] is not company, org, chip, funding or events", i);
            types |= 1u << type;
        }
        /* An empty array asks for no type at all, which the engine spells
           as "all"; refusing it is clearer than tagging everything.  A
           list that names only events keeps every entity type. */
        if (types == 0 && !events)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "options.types is empty");
        opt->types = types;
        opt->events = events;
    }
    /*  An explicit `events` wins over what `types` implies. */
    if (events_given && s_bool_option(options, "events", &opt->events, err))
        return -1;
    return 0;
}

/* The document fields of a request or of a batch entry: `text_field` (a
   non-empty str) and `title` (a str, or nil = none). */
static int
s_doc_fields(ktag_request_t *req, const msgpack_object *obj, const char *text_field,
             ktag_wire_error_t *err)
{
    const msgpack_object *v = ktag_msgpack_map_get(obj, text_field);
    if (!v)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "missing %s", text_field);
    if (v->type != MSGPACK_OBJECT_STR)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "%s must be a str, not %s",
                      text_field, s_type_name(v));
    if (v->via.str.size == 0)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "%s is empty", text_field);
    req->text = v->via.str.ptr;
    req->text_len = v->via.str.size;

    v = ktag_msgpack_map_get(obj, "title");
    if (v && v->type != MSGPACK_OBJECT_NIL) {
        if (v->type != MSGPACK_OBJECT_STR)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "title must be a str, not %s",
                          s_type_name(v));
        req->title = v->via.str.ptr;
        req->title_len = v->via.str.size;
    }
    return 0;
}

/* The id of a request or batch entry into req->id.  @returns 0, or -1 with
   `err` filled (req->id stays absent). */
static int
s_id_field(ktag_request_t *req, const msgpack_object *obj, const char *id_field,
           ktag_wire_error_t *err)
{
    const msgpack_object *v = ktag_msgpack_map_get(obj, id_field);
    if (!v || ktag_msgpack_id_from_object(&req->id, v) == 0)
        return 0;
    if (v->type == MSGPACK_OBJECT_STR)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "%s is not valid UTF-8", id_field);
    return s_fail(err, KTAG_WIRE_BAD_REQUEST, "%s must be a str or an int, not %s",
                  id_field, s_type_name(v));
}

/* `docs` of a batch: a non-empty array of maps, at most KTAG_MAX_BATCH_DOCS.
   The entries themselves are read one by one (ktag_msgpack_batch_doc), so
   that a bad document fails alone. */
static int
s_batch(ktag_request_t *req, const msgpack_object *docs, ktag_wire_error_t *err)
{
    if (docs->type != MSGPACK_OBJECT_ARRAY)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "docs must be an array of maps, not %s",
                      s_type_name(docs));
    uint32_t n = docs->via.array.size;
    if (n == 0)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "docs is empty");
    if (n > KTAG_MAX_BATCH_DOCS)
        return s_fail(err, KTAG_WIRE_TOO_LARGE,
                      "a batch of %u documents exceeds the limit of %d documents", n,
                      KTAG_MAX_BATCH_DOCS);
    for (uint32_t i = 0; i < n; i++)
        if (docs->via.array.ptr[i].type != MSGPACK_OBJECT_MAP)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "docs[%u] must be a map, not %s", i,
                          s_type_name(&docs->via.array.ptr[i]));
    req->docs = docs;
    req->doc_count = n;
    return 0;
}

static int
s_request_from_object(ktag_request_t *req, const msgpack_object *obj, const char *text_field,
                      const char *id_field, bool batches, const ktag_options_t *defaults,
                      ktag_wire_error_t *err)
{
    memset(req, 0, sizeof *req);
    if (defaults)
        req->options = *defaults;
    else
        ktag_options_init(&req->options);

    if (obj->type != MSGPACK_OBJECT_MAP)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "request must be a map, not %s",
                      s_type_name(obj));

    /* The id first, so that every later error can echo it. */
    if (s_id_field(req, obj, id_field, err) != 0)
        return -1;

    const msgpack_object *v = ktag_msgpack_map_get(obj, "op");
    if (v) {
        if (v->type != MSGPACK_OBJECT_STR)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "op must be a str, not %s", s_type_name(v));
        size_t i;
        for (i = 0; i < sizeof s_op_names / sizeof s_op_names[0]; i++)
            if (s_str_is(v, s_op_names[i]))
                break;
        if (i == sizeof s_op_names / sizeof s_op_names[0]) {
            /* Echo the op only when it is short, printable-safe UTF-8. */
            if (v->via.str.size > 64 || !s_utf8_valid(v->via.str.ptr, v->via.str.size))
                return s_fail(err, KTAG_WIRE_UNSUPPORTED, "unknown op");
            return s_fail(err, KTAG_WIRE_UNSUPPORTED, "unknown op '%.*s'",
                          (int) v->via.str.size, v->via.str.ptr);
        }
        req->op = (ktag_op_t) i;
    }

    v = ktag_msgpack_map_get(obj, "options");
    if (v && s_decode_options(&req->options, v, err) != 0)
        return -1;

    if (req->op != KTAG_OP_TAG)
        return 0;

    const msgpack_object *docs = batches ? ktag_msgpack_map_get(obj, "docs") : NULL;
    if (docs) {
        if (ktag_msgpack_map_get(obj, text_field))
            return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                          "a request carries text (one document) or docs (a batch), not both");
        return s_batch(req, docs, err);
    }
    if (batches && !ktag_msgpack_map_get(obj, text_field))
        return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                      "missing text (one document) or docs (a batch)");
    return s_doc_fields(req, obj, text_field, err);
}

int
ktag_msgpack_request_from_object(ktag_request_t *req, const msgpack_object *obj,
                                 const char *text_field, const char *id_field,
                                 const ktag_options_t *defaults, ktag_wire_error_t *err)
{
    return s_request_from_object(req, obj, text_field ? text_field : "text",
                                 id_field ? id_field : "id", false, defaults, err);
}

int
ktag_msgpack_batch_doc(const ktag_request_t *batch, size_t index, ktag_request_t *doc,
                       ktag_wire_error_t *err)
{
    assert(batch->docs && index < batch->doc_count);
    const msgpack_object *obj = &batch->docs->via.array.ptr[index];
    memset(doc, 0, sizeof *doc);
    doc->op = KTAG_OP_TAG;
    doc->options = batch->options;
    if (s_id_field(doc, obj, "id", err) != 0)
        return -1;
    return s_doc_fields(doc, obj, "text", err);
}

/* Depth msgpack-c's unpacker supports (MSGPACK_EMBED_STACK_SIZE). */
#define S_MAX_DEPTH 32

static uint64_t
s_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

/* msgpack-c allocates room for every element a container header announces
   before it reads them, so a 5-byte message announcing 2^32 elements asks
   for 100 GB, and nested ones multiply that; the C library has no limit to
   set.  This walk reads only the headers (iteratively, at most 32 levels,
   strings skipped) and refuses a container announcing more elements than
   bytes remain, since each element takes at least one byte.  Returns 0, or
   -1 with `err` filled. */
static int
s_check_headers(const unsigned char *p, size_t len, ktag_wire_error_t *err)
{
    uint64_t pending[S_MAX_DEPTH + 1];
    int depth = 0;
    size_t i = 0;
    pending[0] = 1;
    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        if (i >= len)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "truncated msgpack value (%zu bytes)", len);
        unsigned char b = p[i++];
        uint64_t n = 0, skip = 0;
        int container = 0, lenbytes = 0;    /* container: 1 array, 2 map */
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            ;
        else if (b <= 0x8f) { n = b & 0x0f; container = 2; }
        else if (b <= 0x9f) { n = b & 0x0f; container = 1; }
        else if (b <= 0xbf) skip = b & 0x1f;
        else switch (b) {
            case 0xc4: case 0xd9: lenbytes = 1; break;
            case 0xc5: case 0xda: lenbytes = 2; break;
            case 0xc6: case 0xdb: lenbytes = 4; break;
            case 0xc7: lenbytes = 1; skip = 1; break;           /* ext: + type byte */
            case 0xc8: lenbytes = 2; skip = 1; break;
            case 0xc9: lenbytes = 4; skip = 1; break;
            case 0xca: case 0xce: case 0xd2: skip = 4; break;
            case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: lenbytes = 2; container = 1; break;
            case 0xdd: lenbytes = 4; container = 1; break;
            case 0xde: lenbytes = 2; container = 2; break;
            case 0xdf: lenbytes = 4; container = 2; break;
            default:
                return s_fail(err, KTAG_WIRE_BAD_REQUEST, "not a msgpack value");
            }
        if (lenbytes) {
            if ((size_t) lenbytes > len - i)
                return s_fail(err, KTAG_WIRE_BAD_REQUEST, "truncated msgpack value (%zu bytes)", len);
            uint64_t v = s_be(p + i, lenbytes);
            i += (size_t) lenbytes;
            if (container)
                n = v;
            else
                skip += v;
        }
        if (skip > len - i)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST, "truncated msgpack value (%zu bytes)", len);
        i += (size_t) skip;
        if (container) {
            uint64_t items = container == 2 ? 2 * n : n;
            /* msgpack-c counts empty containers against its stack too. */
            if (depth + 1 > S_MAX_DEPTH)
                return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                              "msgpack value nested deeper than %d levels", S_MAX_DEPTH);
            if (items > len - i)
                return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                              "a msgpack %s announces %llu elements but only %zu bytes follow",
                              container == 2 ? "map" : "array", (unsigned long long) n, len - i);
            if (items)
                pending[++depth] = items;
        }
    }
    if (i < len)
        return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                      "trailing bytes after the msgpack value (at byte %zu of %zu)", i, len);
    return 0;
}

int
ktag_msgpack_decode_request(ktag_request_t *req, msgpack_unpacked *unpacked,
                            const char *data, size_t len,
                            const ktag_options_t *defaults, ktag_wire_error_t *err)
{
    memset(req, 0, sizeof *req);
    if (defaults)
        req->options = *defaults;
    else
        ktag_options_init(&req->options);

    if (s_check_headers((const unsigned char *) data, len, err) != 0)
        return -1;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next(unpacked, data, len, &off);
    switch (rc) {
    case MSGPACK_UNPACK_SUCCESS:
    case MSGPACK_UNPACK_EXTRA_BYTES:
        /* One message is one value: bytes after it mean a broken sender. */
        if (off < len)
            return s_fail(err, KTAG_WIRE_BAD_REQUEST,
                          "trailing bytes after the msgpack value (at byte %zu of %zu)", off, len);
        break;
    case MSGPACK_UNPACK_CONTINUE:
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "truncated msgpack value (%zu bytes)", len);
    case MSGPACK_UNPACK_NOMEM_ERROR:
        /* Headers were checked above: only a real shortage of memory. */
        return s_fail(err, KTAG_WIRE_INTERNAL, "out of memory decoding the request");
    default:
        return s_fail(err, KTAG_WIRE_BAD_REQUEST, "not a msgpack value");
    }
    return s_request_from_object(req, &unpacked->data, "text", "id", true, defaults, err);
}

int
ktag_msgpack_pack_cstr(msgpack_packer *pk, const char *s)
{
    if (!s)
        s = "";
    return msgpack_pack_str_with_body(pk, s, strlen(s));
}

int
ktag_msgpack_pack_id(msgpack_packer *pk, const ktag_wire_id_t *id)
{
    switch (id->kind) {
    case KTAG_ID_STR: return msgpack_pack_str_with_body(pk, id->str, id->str_len);
    case KTAG_ID_INT: return msgpack_pack_int64(pk, id->num);
    case KTAG_ID_UINT: return msgpack_pack_uint64(pk, id->unum);
    default: return 0;
    }
}

int
ktag_msgpack_pack_map_id(msgpack_packer *pk, size_t pairs, const ktag_wire_id_t *id)
{
    bool has_id = ktag_schema_has_id(id);
    int rc = msgpack_pack_map(pk, pairs + has_id);
    if (has_id) {
        rc |= S_KEY(pk, "id");
        rc |= ktag_msgpack_pack_id(pk, id);
    }
    return rc;
}

static int
s_pack_options(msgpack_packer *pk, const ktag_options_t *options)
{
    ktag_options_t defaults;
    if (!options) {
        ktag_options_init(&defaults);
        options = &defaults;
    }
    int rc = msgpack_pack_map(pk, 5 + (options->types != 0));
    rc |= S_KEY(pk, "sentiment");
    rc |= options->sentiment ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rc |= S_KEY(pk, "overlaps");
    rc |= options->overlaps ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rc |= S_KEY(pk, "explain");
    rc |= options->explain ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    rc |= S_KEY(pk, "offsets");
    rc |= ktag_msgpack_pack_cstr(pk, ktag_offset_unit_name(options->offsets));
    rc |= S_KEY(pk, "events");
    rc |= options->events ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    if (options->types) {
        unsigned n = 0;
        for (int t = 0; t < KTAG_TYPE_COUNT; t++)
            n += (options->types >> t) & 1u;
        rc |= S_KEY(pk, "types");
        rc |= msgpack_pack_array(pk, n);
        for (int t = 0; t < KTAG_TYPE_COUNT; t++)
            if ((options->types >> t) & 1u)
                rc |= ktag_msgpack_pack_cstr(pk, ktag_type_name((ktag_type_t) t));
    }
    return rc;
}

/* {id?, text, title?} and `extra` more pairs the caller writes after. */
static int
s_pack_doc(msgpack_packer *pk, const ktag_wire_id_t *id, const char *text, size_t text_len,
           const char *title, size_t title_len, uint32_t extra)
{
    int rc = ktag_msgpack_pack_map_id(pk, 1 + (title != NULL) + extra, id);
    rc |= S_KEY(pk, "text");
    rc |= msgpack_pack_str_with_body(pk, text, text_len);
    if (title) {
        rc |= S_KEY(pk, "title");
        rc |= msgpack_pack_str_with_body(pk, title, title_len);
    }
    return rc;
}

int
ktag_msgpack_pack_request(msgpack_packer *pk, const ktag_wire_id_t *id,
                          const char *text, size_t text_len,
                          const char *title, size_t title_len,
                          const ktag_options_t *options)
{
    int rc = s_pack_doc(pk, id, text, text_len, title, title_len, 1);
    rc |= S_KEY(pk, "options");
    rc |= s_pack_options(pk, options);
    return rc ? -1 : 0;
}

int
ktag_msgpack_pack_batch_request(msgpack_packer *pk, const ktag_wire_id_t *id,
                                const ktag_wire_doc_t *docs, size_t count,
                                const ktag_options_t *options)
{
    if (count > UINT32_MAX)
        return -1;
    int rc = ktag_msgpack_pack_map_id(pk, 2, id);
    rc |= S_KEY(pk, "docs");
    rc |= msgpack_pack_array(pk, count);
    for (size_t i = 0; i < count; i++)
        rc |= s_pack_doc(pk, &docs[i].id, docs[i].text, docs[i].text_len, docs[i].title,
                         docs[i].title_len, 0);
    rc |= S_KEY(pk, "options");
    rc |= s_pack_options(pk, options);
    return rc ? -1 : 0;
}

size_t
ktag_msgpack_batch_doc_size(const ktag_wire_doc_t *doc)
{
    /* map header 1, "id" 3 + at most 9, "text" 5 + header 5, "title" 6 + header 5 */
    return 34 + doc->text_len + (doc->title ? doc->title_len : 0)
        + (doc->id.kind == KTAG_ID_STR ? doc->id.str_len + 5 : 0);
}

int
ktag_msgpack_pack_batch_reply(msgpack_packer *pk, const ktag_wire_id_t *id, size_t count)
{
    if (count > UINT32_MAX)
        return -1;
    int rc = ktag_msgpack_pack_map_id(pk, 2, id);
    rc |= S_KEY(pk, "ok");
    rc |= msgpack_pack_true(pk);
    rc |= S_KEY(pk, "results");
    rc |= msgpack_pack_array(pk, count);
    return rc ? -1 : 0;
}

/* ---- msgpack emitter ------------------------------------------------- */

#define S_PK(e) (((ktag_msgpack_emitter_t *) (e))->pk)

static int s_pk_map(ktag_emitter_t *e, size_t pairs) { return msgpack_pack_map(S_PK(e), pairs) ? -1 : 0; }
static int s_pk_array(ktag_emitter_t *e, size_t items) { return msgpack_pack_array(S_PK(e), items) ? -1 : 0; }
static int s_pk_str(ktag_emitter_t *e, const char *s, size_t len) { return msgpack_pack_str_with_body(S_PK(e), s, len) ? -1 : 0; }
static int s_pk_i64(ktag_emitter_t *e, int64_t v) { return msgpack_pack_int64(S_PK(e), v) ? -1 : 0; }
static int s_pk_u64(ktag_emitter_t *e, uint64_t v) { return msgpack_pack_uint64(S_PK(e), v) ? -1 : 0; }
static int s_pk_real(ktag_emitter_t *e, double v) { return msgpack_pack_double(S_PK(e), v) ? -1 : 0; }
static int s_pk_boolean(ktag_emitter_t *e, bool v) { return (v ? msgpack_pack_true(S_PK(e)) : msgpack_pack_false(S_PK(e))) ? -1 : 0; }
static int s_pk_nil(ktag_emitter_t *e) { return msgpack_pack_nil(S_PK(e)) ? -1 : 0; }

ktag_msgpack_emitter_t
ktag_msgpack_emitter(msgpack_packer *pk)
{
    return (ktag_msgpack_emitter_t) { { s_pk_map, s_pk_array, s_pk_str, s_pk_i64, s_pk_u64,
                                        s_pk_real, s_pk_boolean, s_pk_nil, NULL }, pk };
}

int
ktag_msgpack_pack_result(msgpack_packer *pk, const ktag_wire_id_t *id,
                         const ktag_result_t *result, const ktag_options_t *options,
                         uint64_t elapsed_us)
{
    ktag_msgpack_emitter_t e = ktag_msgpack_emitter(pk);
    return ktag_schema_result(&e.base, id, result, options, elapsed_us);
}

int
ktag_msgpack_pack_error(msgpack_packer *pk, const ktag_wire_id_t *id,
                        ktag_wire_code_t code, const char *message)
{
    ktag_msgpack_emitter_t e = ktag_msgpack_emitter(pk);
    return ktag_schema_error(&e.base, id, ktag_wire_code_name(code), message);
}

/* ---- msgpack value -> any emitter -------------------------------------- */

static bool
s_is_id_key(const msgpack_object *k)
{
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == 2 && memcmp(k->via.str.ptr, "id", 2) == 0;
}

static int
s_walk(ktag_emitter_t *e, const msgpack_object *o, bool top, bool replace_id, const ktag_wire_id_t *id,
       int depth)
{
    if (depth > 64)
        return -1;
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        return e->boolean(e, o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return e->u64(e, o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return e->i64(e, o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return e->real(e, o->via.f64);
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BIN:
        return ktag_schema_text(e, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        int rc = e->array(e, o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size && !rc; i++)
            rc = s_walk(e, &o->via.array.ptr[i], false, false, NULL, depth + 1);
        return rc;
    }
    case MSGPACK_OBJECT_MAP: {
        bool replacing = top && replace_id;
        size_t pairs = 0;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            pairs += k->type == MSGPACK_OBJECT_STR && !(replacing && s_is_id_key(k));
        }
        bool with_id = replacing && ktag_schema_has_id(id);
        int rc = e->map(e, pairs + with_id);
        if (with_id) {
            rc |= e->str(e, "id", 2);
            rc |= ktag_schema_id(e, id);
        }
        for (uint32_t i = 0; i < o->via.map.size && !rc; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type != MSGPACK_OBJECT_STR || (replacing && s_is_id_key(k)))
                continue;
            rc |= ktag_schema_text(e, k->via.str.ptr, k->via.str.size);
            rc |= s_walk(e, &o->via.map.ptr[i].val, false, false, NULL, depth + 1);
        }
        return rc ? -1 : 0;
    }
    default:
        return e->nil(e);
    }
}

int
ktag_msgpack_walk(ktag_emitter_t *e, const msgpack_object *value, bool replace_id,
                  const ktag_wire_id_t *id)
{
    return s_walk(e, value, true, replace_id, id, 0);
}
