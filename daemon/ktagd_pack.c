/*  ktagd_pack.c - msgpack written straight into a buffer (see ktagd_pack.h). */
#include "ktagd_pack.h"

#include <stdlib.h>
#include <string.h>

#define S_INITIAL_ALLOC 8192

static int
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
    if (len >= 8 && len <= 16) {
        memcpy(dst, s, 8);
        memcpy(dst + len - 8, s + len - 8, 8);
    } else if (len >= 4 && len < 8) {
        memcpy(dst, s, 4);
        memcpy(dst + len - 4, s + len - 4, 4);
    } else if (len > 0 && len < 4) {
        dst[0] = s[0];
        dst[len / 2] = s[len / 2];
        dst[len - 1] = s[len - 1];
    } else if (len > 16) {
        memcpy(dst, s, len);
    }
}

static inline void
s_be16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) (v >> 8);
    p[1] = (unsigned char) v;
}

static inline void
s_be32(unsigned char *p, uint32_t v)
{
    s_be16(p, (uint16_t) (v >> 16));
    s_be16(p + 2, (uint16_t) v);
}

static inline void
s_be64(unsigned char *p, uint64_t v)
{
    s_be32(p, (uint32_t) (v >> 32));
    s_be32(p + 4, (uint32_t) v);
}

/* A map's or an array's header: `fix` | n below 16, else `c16` or `c32`
   and the count. */
static int
s_container(msgpack_sbuffer *out, size_t n, unsigned char fix, unsigned char c16,
            unsigned char c32)
{
    unsigned char *p;
    if (n < 16) {
        if (!(p = s_take(out, 1)))
            return -1;
        p[0] = (unsigned char) (fix | n);
    } else if (n < 65536) {
        if (!(p = s_take(out, 3)))
            return -1;
        p[0] = c16;
        s_be16(p + 1, (uint16_t) n);
    } else {
        if (!(p = s_take(out, 5)))
            return -1;
        p[0] = c32;
        s_be32(p + 1, (uint32_t) n);
    }
    return 0;
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

static int
s_str(ktag_emitter_t *e, const char *s, size_t len)
{
    size_t head = len < 32 ? 1 : len < 256 ? 2 : len < 65536 ? 3 : 5;
    unsigned char *p = s_take(S_OUT(e), head + len);
    if (!p)
        return -1;
    switch (head) {
    case 1: p[0] = (unsigned char) (0xa0 | len); break;
    case 2: p[0] = 0xd9; p[1] = (unsigned char) len; break;
    case 3: p[0] = 0xda; s_be16(p + 1, (uint16_t) len); break;
    default: p[0] = 0xdb; s_be32(p + 1, (uint32_t) len); break;
    }
    s_copy(p + head, s, len);
    return 0;
}

static int
s_u64(ktag_emitter_t *e, uint64_t v)
{
    unsigned char *p;
    if (v < 128) {
        if (!(p = s_take(S_OUT(e), 1)))
            return -1;
        p[0] = (unsigned char) v;
    } else if (v < 256) {
        if (!(p = s_take(S_OUT(e), 2)))
            return -1;
        p[0] = 0xcc;
        p[1] = (unsigned char) v;
    } else if (v < 65536) {
        if (!(p = s_take(S_OUT(e), 3)))
            return -1;
        p[0] = 0xcd;
        s_be16(p + 1, (uint16_t) v);
    } else if (v < (1ULL << 32)) {
        if (!(p = s_take(S_OUT(e), 5)))
            return -1;
        p[0] = 0xce;
        s_be32(p + 1, (uint32_t) v);
    } else {
        if (!(p = s_take(S_OUT(e), 9)))
            return -1;
        p[0] = 0xcf;
        s_be64(p + 1, v);
    }
    return 0;
}

/* msgpack-c writes a non-negative int64 as it writes a uint64. */
static int
s_i64(ktag_emitter_t *e, int64_t v)
{
    if (v >= 0)
        return s_u64(e, (uint64_t) v);
    unsigned char *p;
    if (v >= -32) {
        if (!(p = s_take(S_OUT(e), 1)))
            return -1;
        p[0] = (unsigned char) (int8_t) v;
    } else if (v >= -128) {
        if (!(p = s_take(S_OUT(e), 2)))
            return -1;
        p[0] = 0xd0;
        p[1] = (unsigned char) (int8_t) v;
    } else if (v >= -32768) {
        if (!(p = s_take(S_OUT(e), 3)))
            return -1;
        p[0] = 0xd1;
        s_be16(p + 1, (uint16_t) (int16_t) v);
    } else if (v >= INT32_MIN) {
        if (!(p = s_take(S_OUT(e), 5)))
            return -1;
        p[0] = 0xd2;
        s_be32(p + 1, (uint32_t) (int32_t) v);
    } else {
        if (!(p = s_take(S_OUT(e), 9)))
            return -1;
        p[0] = 0xd3;
        s_be64(p + 1, (uint64_t) v);
    }
    return 0;
}

static int
s_real(ktag_emitter_t *e, double v)
{
    unsigned char *p = s_take(S_OUT(e), 9);
    if (!p)
        return -1;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    p[0] = 0xcb;
    s_be64(p + 1, bits);
    return 0;
}

static int
s_byte(ktag_emitter_t *e, unsigned char b)
{
    unsigned char *p = s_take(S_OUT(e), 1);
    if (!p)
        return -1;
    p[0] = b;
    return 0;
}

static int
s_boolean(ktag_emitter_t *e, bool v)
{
    return s_byte(e, v ? 0xc3 : 0xc2);
}

static int
s_nil(ktag_emitter_t *e)
{
    return s_byte(e, 0xc0);
}

ktagd_pack_emitter_t
ktagd_pack_emitter(msgpack_sbuffer *out)
{
    return (ktagd_pack_emitter_t) { { s_map, s_array, s_str, s_i64, s_u64, s_real, s_boolean,
                                      s_nil }, out };
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
