/*  ktag_json.h - a libktag result as the JSON object of SPEC.md (jansson).

    The object's keys come in the order fixed by notes/schema.md:
      id, ok, entities, sentiment, sentences, explain, lexicon, elapsed_us
    and an entity's keys in the order
      type, id, name, text, start, end, field, sentiment, attrs.
    Scores are rounded to 3 decimals.  Dump with KTAG_JSON_DUMP_FLAGS so that
    every ktag program prints the same bytes for the same result.
*/
#ifndef KTAG_JSON_H_INCLUDED
#define KTAG_JSON_H_INCLUDED

#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>
#include <ktag/ktag.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Compact, key order preserved, UTF-8 unescaped, and a real precision that
 *  prints 0.62 as 0.62 (scores carry 3 decimals). */
#define KTAG_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/** Build the success object for the last ktag_tag() on `result`.
 *  @param id          the document id to echo (string or integer), or NULL
 *                     to omit the key.  Borrowed: the object takes its own
 *                     reference.
 *  @param options     the options the document was tagged with (NULL means
 *                     the defaults); they decide which keys are present.
 *  @param elapsed_us  microseconds ktag_tag() took, as measured by the caller.
 *  @returns a new object (caller json_decref()s it), or NULL when out of
 *  memory. */
json_t *ktag_json_result(const ktag_result_t *result, json_t *id,
                         const ktag_options_t *options, int64_t elapsed_us);

/** Receives the bytes of ktag_json_write_result(); the same type as
 *  jansson's json_dump_callback_t.  @returns 0, or -1 to stop. */
typedef int (ktag_json_write_fn)(const char *data, size_t len, void *user);

/** Write the success object for the last ktag_tag() on `result` straight to
 *  `fn`, without building a json_t: the bytes are exactly those of
 *  json_dumpb(ktag_json_result(...), KTAG_JSON_DUMP_FLAGS) (a unit test
 *  holds the two together), at a fraction of the cost, which matters when
 *  the CLI's output is the bottleneck.  No newline is written.
 *  @param id  the id to echo, a JSON string or integer, or NULL.  Borrowed.
 *  @returns 0, or -1 when `fn` failed. */
int ktag_json_write_result(const ktag_result_t *result, json_t *id,
                           const ktag_options_t *options, int64_t elapsed_us,
                           ktag_json_write_fn *fn, void *user);

/** Write a msgpack value (a ktagd reply) as compact JSON straight to `fn`,
 *  with the same bytes json_dumpb(KTAG_JSON_DUMP_FLAGS) would give for its
 *  jansson conversion, but without building one.  At the top level the
 *  "id" key is replaced: `id` (a JSON string or integer) is written first
 *  in its place, or no "id" at all when `id` is NULL; this is how
 *  `ktag --connect` puts a document's own id back on a reply that carried
 *  the request's sequence number.  Map keys that are not strings are
 *  skipped; bin is written as a string, ext as null; strings are written
 *  as they are (ktagd's replies are UTF-8).  No newline.
 *  @returns 0, or -1 when `fn` failed. */
int ktag_json_write_msgpack(const msgpack_object *value, json_t *id,
                            ktag_json_write_fn *fn, void *user);

/** Build the error object {id, ok: false, error: {code, message}}.
 *  @param id       the id to echo, or NULL when it could not be read.
 *                  Borrowed.
 *  @param code     one of the SPEC.md codes (see ktag_json_error_code()).
 *  @param message  human-readable; copied.
 *  @returns a new object, or NULL when out of memory. */
json_t *ktag_json_error(json_t *id, const char *code, const char *message);

/** Map a ktag_status_t to the SPEC.md error code: bad_utf8, too_large,
 *  bad_request (KTAG_ERR_INVALID) or internal (everything else).
 *  @returns a static string. */
const char *ktag_json_error_code(int status);

/** Round a score to 3 decimals, as every ktag output does. */
double ktag_json_round3(double x);

#ifdef __cplusplus
}
#endif

#endif
