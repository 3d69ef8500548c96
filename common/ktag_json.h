/*  ktag_json.h - the result schema (ktag_schema.h) as JSON: text written
    straight to a callback (the CLI's JSON lines), or a jansson tree (the
    CLI's pretty format, and the reference the tests hold the text against).

    Every function here is one walk of ktag_schema.h with a JSON emitter, so
    keys, their order, optional keys, rounding and UTF-8 repair are those of
    ktag_schema.h.  Text is compact, in key order, UTF-8 unescaped, and
    byte for byte what json_dumpb(tree, KTAG_JSON_DUMP_FLAGS) prints for the
    tree of the same walk.
*/
#ifndef KTAG_JSON_H_INCLUDED
#define KTAG_JSON_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>
#include <ktag/ktag.h>

#include "ktag_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Compact, key order preserved, UTF-8 unescaped, and a real precision that
 *  prints 0.62 as 0.62 (scores carry 3 decimals). */
#define KTAG_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/** Receives the bytes of the writers below; the same type as jansson's
 *  json_dump_callback_t.  @returns 0, or -1 to stop. */
typedef int (ktag_json_write_fn)(const char *data, size_t len, void *user);

/** Write the success object for the last ktag_tag() on `result` to `fn`.
 *  @param id          the id to echo (a JSON string or integer), or NULL to
 *                     omit the key.  Borrowed.
 *  @param options     the options the document was tagged with (NULL = the
 *                     defaults); they decide the optional keys.
 *  @param elapsed_us  microseconds ktag_tag() took, as the caller measured.
 *  No newline is written.  @returns 0, or -1 when `fn` failed. */
int ktag_json_write_result(const ktag_result_t *result, json_t *id,
                           const ktag_options_t *options, int64_t elapsed_us,
                           ktag_json_write_fn *fn, void *user);

/** Write the error object {id?, ok: false, error: {code, message}} to `fn`.
 *  @returns 0, or -1 when `fn` failed. */
int ktag_json_write_error(json_t *id, const char *code, const char *message,
                          ktag_json_write_fn *fn, void *user);

/** Write a msgpack value (a ktagd reply) as JSON text to `fn`.  At the top
 *  level the "id" key is replaced: `id` is written first in its place, or
 *  no "id" at all when `id` is NULL; this is how `ktag --connect` puts a
 *  document's own id back on a reply that carried a sequence number.  See
 *  ktag_msgpack_walk() for how other msgpack types are written.
 *  @returns 0, or -1 when `fn` failed. */
int ktag_json_write_msgpack(const msgpack_object *value, json_t *id,
                            ktag_json_write_fn *fn, void *user);

/** The success object as a jansson tree.  Parameters as for
 *  ktag_json_write_result().  @returns a new object (caller json_decref()s
 *  it), or NULL when out of memory. */
json_t *ktag_json_result(const ktag_result_t *result, json_t *id,
                         const ktag_options_t *options, int64_t elapsed_us);

/** The error object as a jansson tree.  @returns a new object, or NULL when
 *  out of memory. */
json_t *ktag_json_error(json_t *id, const char *code, const char *message);

/** A msgpack value as a jansson tree; with `replace_id`, the top-level "id"
 *  is replaced as in ktag_json_write_msgpack().  @returns a new value, or
 *  NULL when out of memory or nested too deep. */
json_t *ktag_json_from_msgpack(const msgpack_object *value, bool replace_id, json_t *id);

/** Drive `e` with a jansson value (objects in their key order).
 *  @returns 0, or -1 when the emitter stopped. */
int ktag_json_walk(ktag_emitter_t *e, json_t *value);

/** Read a JSON string or integer id into `out`.  @returns `out`, or NULL
 *  when `id` is NULL or of another type (no id). */
const ktag_wire_id_t *ktag_json_wire_id(json_t *id, ktag_wire_id_t *out);

/** Map a ktag_status_t to the SPEC.md error code: bad_utf8, too_large,
 *  bad_request (KTAG_ERR_INVALID) or internal (everything else).
 *  @returns a static string. */
const char *ktag_json_error_code(int status);

#ifdef __cplusplus
}
#endif

#endif
