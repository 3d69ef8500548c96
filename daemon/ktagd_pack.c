/*  ktagd_pack.c - msgpack written straight into a buffer (see ktagd_pack.h). */
#include "ktagd_pack.h"

#include <stdlib.h>
#include <string.h>

#define S_INITIAL_ALLOC 8192

/*  Out of line, like every path that may call a function: the pieces of a
    reply that fit in the room left (nearly all) are then written by leaf
    functions, with no stack frame and no registers to save. */
__attribute__((noinline, cold)) static int
s_grow(msgpack_sbuffer *out, size_t len)
{
    size_t alloc = out->alloc ? out->alloc * 2 : S_INITIAL_ALLOC;
    while (alloc < out->size + len)
        alloc *= 2;
    char *grown = realloc(out->data, alloc);
    if (!grown)
        return -1;
    out->data = grown;
    out->alloc = alloc;
    return 0;
}

/* @returns where the next `len` bytes go (counted as written), or NULL
   when out of memory. */
static inline unsigned char *
s_take(msgpack_sbuffer *out, size_t len)
{
    if (out->alloc - out->size < len && s_grow(out, len) != 0)
        return NULL;
    unsigned char *p = (unsigned char *) out->data + out->size;
    out->size += len;
    return p;
}

/* Copy `len` bytes; the short pieces of a reply (keys, names) with
   fixed-size moves, which may overlap, instead of a call to memcpy. */
static inline void
s_copy(unsigned char *dst, const void *src, size_t len)
{
    const unsigned char *s = src;
    if (len > 16 && len <= 32) {
        memcpy(dst, s, 16);
        memcpy(dst + len - 16, s + len - 16, 16);
    } else if (len >= 8 && len <= 16) {
        memcpy(dst, s, 8);
        memcpy(dst + len - 8, s + len - 8, 8);
    } else if (len >= 4 && len < 8) {
        memcpy(dst, s, 4);
        memcpy(dst + len - 4, s + len - 4, 4);
    } else if (len > 0 && len < 4) {
        dst[0] = s[0];
        dst[len / 2] = s[len / 2];
        dst[len - 1] = s[len - 1];
    } else if (len > 32) {
        memcpy(dst, s, len);
    }
}

/* Write `n` bytes of `v`, big-endian, at `p`. */
static inline void
s_be(unsigned char *p, size_t n, uint64_t v)
{
    for (size_t i = n; i > 0; i--, v >>= 8)
        p[i - 1] = (unsigned char) v;
}

/* s_typed when the buffer may have to grow. */
__attribute__((noinline)) static int
s_typed_grow(msgpack_sbuffer *out, unsigned char type, size_t n, uint64_t v)
{
    unsigned char *p = s_take(out, 1 + n);
    if (!p)
        return -1;
    p[0] = type;
    s_be(p + 1, n, v);
    return 0;
}

/* Append a type byte and `n` (at most 8) bytes of `v`, big-endian. */
static inline int
s_typed(msgpack_sbuffer *out, unsigned char type, size_t n, uint64_t v)
{
    if (__builtin_expect(out->alloc - out->size <= 8, 0))
        return s_typed_grow(out, type, n, v);
    unsigned char *p = (unsigned char *) out->data + out->size;
    out->size += 1 + n;
    p[0] = type;
    s_be(p + 1, n, v);
    return 0;
}

/* A map's or an array's header: `fix` | n below 16, else `c16` or `c32`
   and the count. */
static int
s_container(msgpack_sbuffer *out, size_t n, unsigned char fix, unsigned char c16,
            unsigned char c32)
{
    if (n < 16)
        return s_typed(out, (unsigned char) (fix | n), 0, 0);
    return n < 65536 ? s_typed(out, c16, 2, n) : s_typed(out, c32, 4, n);
}

#define S_OUT(e) (((ktagd_pack_emitter_t *) (e))->out)

static int
s_map(ktag_emitter_t *e, size_t pairs)
{
    return s_container(S_OUT(e), pairs, 0x80, 0xde, 0xdf);
}

static int
s_array(ktag_emitter_t *e, size_t items)
{
    return s_container(S_OUT(e), items, 0x90, 0xdc, 0xdd);
}

__attribute__((noinline)) static int
s_str_any(msgpack_sbuffer *out, const char *s, size_t len)
{
    size_t head = len < 32 ? 1 : len < 256 ? 2 : len < 65536 ? 3 : 5;
    unsigned char *p = s_take(out, head + len);
    if (!p)
        return -1;
    switch (head) {
    case 1: p[0] = (unsigned char) (0xa0 | len); break;
    case 2: p[0] = 0xd9; p[1] = (unsigned char) len; break;
    case 3: p[0] = 0xda; s_be(p + 1, 2, len); break;
    default: p[0] = 0xdb; s_be(p + 1, 4, len); break;
    }
    s_copy(p + head, s, len);
    return 0;
}

/* Keys, ids, names and attributes: a fixstr (under 32 bytes) in the room
   left, which is all but a few strings of a reply. */
static int
s_str(ktag_emitter_t *e, const char *s, size_t len)
{
    msgpack_sbuffer *out = S_OUT(e);
    if (__builtin_expect(len < 32 && out->alloc - out->size > 32, 1)) {
        unsigned char *p = (unsigned char *) out->data + out->size;
        p[0] = (unsigned char) (0xa0 | len);
        s_copy(p + 1, s, len);
        out->size += 1 + len;
        return 0;
    }
    return s_str_any(out, s, len);
}

static int
s_u64(ktag_emitter_t *e, uint64_t v)
{
    if (v < 128)
        return s_typed(S_OUT(e), (unsigned char) v, 0, 0);    /* positive fixint */
    if (v < 256)
        return s_typed(S_OUT(e), 0xcc, 1, v);
    if (v < 65536)
        return s_typed(S_OUT(e), 0xcd, 2, v);
    if (v < (1ULL << 32))
        return s_typed(S_OUT(e), 0xce, 4, v);
    return s_typed(S_OUT(e), 0xcf, 8, v);
}

/* msgpack-c writes a non-negative int64 as it writes a uint64. */
static int
s_i64(ktag_emitter_t *e, int64_t v)
{
    if (v >= 0)
        return s_u64(e, (uint64_t) v);
    if (v >= -32)
        return s_typed(S_OUT(e), (unsigned char) (int8_t) v, 0, 0);     /* negative fixint */
    if (v >= -128)
        return s_typed(S_OUT(e), 0xd0, 1, (uint64_t) v);
    if (v >= -32768)
        return s_typed(S_OUT(e), 0xd1, 2, (uint64_t) v);
    if (v >= INT32_MIN)
        return s_typed(S_OUT(e), 0xd2, 4, (uint64_t) v);
    return s_typed(S_OUT(e), 0xd3, 8, (uint64_t) v);
}

static int
s_real(ktag_emitter_t *e, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return s_typed(S_OUT(e), 0xcb, 8, bits);
}

static int
s_boolean(ktag_emitter_t *e, bool v)
{
    return s_typed(S_OUT(e), v ? 0xc3 : 0xc2, 0, 0);
}

static int
s_nil(ktag_emitter_t *e)
{
    return s_typed(S_OUT(e), 0xc0, 0, 0);
}

ktagd_pack_emitter_t
ktagd_pack_emitter(msgpack_sbuffer *out)
{
    return (ktagd_pack_emitter_t) { { s_map, s_array, s_str, s_i64, s_u64, s_real, s_boolean,
                                      s_nil, NULL }, out };
}

int
ktagd_pack_result(msgpack_sbuffer *out, const ktag_wire_id_t *id, const ktag_result_t *result,
                  const ktag_options_t *options, uint64_t elapsed_us)
{
    ktagd_pack_emitter_t e = ktagd_pack_emitter(out);
    return ktag_schema_result(&e.base, id, result, options, elapsed_us);
}

int
ktagd_pack_write(void *data, const char *buf, size_t len)
{
    if (len == 0)
        return 0;
    unsigned char *p = s_take(data, len);
    if (!p)
        return -1;
    s_copy(p, buf, len);
    return 0;
}
