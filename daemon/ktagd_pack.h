/*  ktagd_pack.h - the daemon's reply writer: msgpack written straight into
    a growable buffer.

    common/ktag_msgpack.h packs through msgpack-c's packer: a call through
    the emitter, one into the packer and one to its write callback (with a
    memcpy) for every piece, ~80 pieces a document, which cost the daemon
    about as much as a third of the tagging (callgrind, docs/OPERATIONS.md).
    This emitter writes the same bytes (msgpack-c's choices of the shortest
    form, str8 included) with one bounds check a piece.  The test
    tests/daemon/test_pack.c proves both give identical bytes.
*/
#ifndef KTAGD_PACK_H_INCLUDED
#define KTAGD_PACK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "ktag_msgpack.h"
#include "ktag_schema.h"

/** An emitter (common/ktag_schema.h) that appends msgpack to `out`. */
typedef struct {
    ktag_emitter_t base;
    msgpack_sbuffer *out;
} ktagd_pack_emitter_t;

/** @returns an emitter appending to `out` (borrowed; grown with realloc
 *  as msgpack_sbuffer_write does).  Its calls return -1 when out of memory,
 *  leaving `out` with what was written before. */
ktagd_pack_emitter_t ktagd_pack_emitter(msgpack_sbuffer *out);

/** Append the reply for the last ktag_tag() on `result` to `out`: the same
 *  bytes as ktag_msgpack_pack_result() on a packer writing to `out`.
 *  @returns 0, or -1 when out of memory. */
int ktagd_pack_result(msgpack_sbuffer *out, const ktag_wire_id_t *id,
                      const ktag_result_t *result, const ktag_options_t *options,
                      uint64_t elapsed_us);

/** A msgpack_packer write callback for a msgpack_sbuffer (`data`): what
 *  msgpack_sbuffer_write does, with short copies inlined.
 *  @returns 0, or -1 when out of memory. */
int ktagd_pack_write(void *data, const char *buf, size_t len);

#endif
