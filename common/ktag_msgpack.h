/*  ktag_msgpack.h - the wire schema of SPEC.md in msgpack: request decoding
    and request, result and error encoding.  Shared by ktagd (which decodes
    requests and encodes replies) and the ktag CLI (`-i msgpack`,
    `-f msgpack`, `--connect`), so that both write byte-identical replies.

    Decoding is zero-copy: a decoded request points into the bytes it was
    decoded from (strings) and into the caller's msgpack_unpacked (the zone),
    so both must outlive the request.

    Key order of every map written here is the one of ktag_schema.h:
        success: id, ok, entities, sentiment, sentences, explain, lexicon, elapsed_us
        entity:  type, id, name, text, start, end, field, sentiment, attrs
        error:   id, ok, error{code, message}
        batch:   id, ok, results[one success or error object per document]
    "id" is omitted when the request had none (or it could not be read).
    Scores are rounded to 3 decimals (round(x * 1000) / 1000) and written as
    float64, so a JSON writer that prints the same doubles agrees.
*/
#ifndef KTAG_MSGPACK_H_INCLUDED
#define KTAG_MSGPACK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "ktag/ktag.h"
#include "ktag_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes of the wire protocol (SPEC.md), in the order listed there. */
typedef enum {
    KTAG_WIRE_BAD_REQUEST = 0,  /**< not msgpack, not a map, wrong types, missing text */
    KTAG_WIRE_BAD_UTF8,         /**< text or title is not valid UTF-8 */
    KTAG_WIRE_TOO_LARGE,        /**< the message exceeds the size limit */
    KTAG_WIRE_UNSUPPORTED,      /**< unknown op, or an op this socket does not serve */
    KTAG_WIRE_OVERLOADED,       /**< the server cannot take the request now */
    KTAG_WIRE_INTERNAL,         /**< a bug or out of memory on the server */
    KTAG_WIRE_CODE_COUNT
} ktag_wire_code_t;

/** @returns "bad_request", "bad_utf8", "too_large", "unsupported",
 *  "overloaded" or "internal"; "internal" for an out-of-range value. */
const char *ktag_wire_code_name(ktag_wire_code_t code);

/** Map a libktag status (ktag_status_t) to the wire code a client sees:
 *  BAD_UTF8 -> bad_utf8, TOO_LARGE -> too_large, INVALID -> bad_request,
 *  anything else -> internal.  This function can't fail. */
ktag_wire_code_t ktag_wire_code_from_status(int status);

/** The `op` of a request. */
typedef enum {
    KTAG_OP_TAG = 0,    /**< the default */
    KTAG_OP_PING,
    KTAG_OP_INFO,
    KTAG_OP_STATS,
    KTAG_OP_RELOAD,     /**< only meaningful on ktagd's control socket */
} ktag_op_t;

/** @returns "tag", "ping", "info", "stats" or "reload". */
const char *ktag_op_name(ktag_op_t op);

/** Documents a batch request may carry; more is `too_large`. */
#define KTAG_MAX_BATCH_DOCS 10000

/** A decoded request.  Every pointer is borrowed (see the file comment).
 *  An op tag request is either one document (`text` set, `docs` NULL) or
 *  a batch (`docs` set, `text` NULL): read its documents with
 *  ktag_msgpack_batch_doc(). */
typedef struct {
    ktag_op_t op;
    ktag_wire_id_t id;
    const char *text;       /**< op tag, one document: text_len > 0, not NUL-terminated */
    size_t text_len;        /**< bytes */
    const char *title;      /**< NULL when the request had no title */
    size_t title_len;
    ktag_options_t options; /**< the caller's defaults with the request's `options` applied */
    const msgpack_object *docs;  /**< op tag, a batch: the `docs` array (every entry a map) */
    size_t doc_count;            /**< entries of `docs`, 1..KTAG_MAX_BATCH_DOCS */
} ktag_request_t;

/** One document of a batch request, for ktag_msgpack_pack_batch_request().
 *  Every pointer is borrowed. */
typedef struct {
    ktag_wire_id_t id;      /**< KTAG_ID_NONE: the entry has no id */
    const char *text;       /**< bytes, not NUL-terminated */
    size_t text_len;
    const char *title;      /**< NULL: no title */
    size_t title_len;
} ktag_wire_doc_t;

/** Why a request was refused: the wire code and a message naming the key. */
typedef struct {
    ktag_wire_code_t code;
    char message[256];
} ktag_wire_error_t;

/** Decode the request in `data` (`len` bytes, exactly one msgpack value).
 *  `unpacked` must have been initialised with msgpack_unpacked_init(); it
 *  keeps the decoded objects and the caller destroys it with
 *  msgpack_unpacked_destroy() once done with `req`.  `defaults` are the
 *  options a request without `options` gets (NULL = ktag_options_init()).
 *  Rules: the value must be a map; `id` str (valid UTF-8) or int; `op` one of the op
 *  names; for op tag `text` a non-empty str, `title` a str; `options` a
 *  map of `sentiment`/`overlaps`/`explain` bools, `types` an array of type
 *  names, `offsets` "codepoint"/"byte"/"utf16".  Unknown keys are ignored.
 *  A batch (op tag) has `docs` instead of `text`: a non-empty array of maps
 *  (bad_request otherwise, or when both or neither of text/docs are there;
 *  too_large over KTAG_MAX_BATCH_DOCS entries).  Its entries are not
 *  checked here: ktag_msgpack_batch_doc() reads each, so that one bad
 *  document fails alone.
 *  UTF-8 validity is NOT checked here: ktag_tag() checks it and names the
 *  byte offset.
 *  @returns 0, or -1 with `err` filled (bad_request, or unsupported for an
 *  unknown op).  Even on failure req->id is set whenever the value was a map
 *  with a readable id, so the error reply can echo it. */
int ktag_msgpack_decode_request(ktag_request_t *req, msgpack_unpacked *unpacked,
                                const char *data, size_t len,
                                const ktag_options_t *defaults, ktag_wire_error_t *err);

/** Same as ktag_msgpack_decode_request() on an already unpacked value, with
 *  the document fields renamed for `ktag -i msgpack --text-field/--id-field`
 *  (NULL = "text" / "id"), and without batches (`docs` is an unknown key:
 *  an input record is one document).  The object must outlive `req`. */
int ktag_msgpack_request_from_object(ktag_request_t *req, const msgpack_object *obj,
                                     const char *text_field, const char *id_field,
                                     const ktag_options_t *defaults, ktag_wire_error_t *err);

/** Read document `index` (< batch->doc_count) of the batch `batch` into
 *  `doc`, as ktag_msgpack_decode_request() reads a one-document request:
 *  `id` (str or int), `text` (non-empty str), `title` (str); the batch's
 *  options apply.  Borrows from what `batch` borrows from.
 *  @returns 0, or -1 with `err` filled (bad_request naming the key); doc->id
 *  is set whenever the entry's id was readable, so that its error entry can
 *  echo it. */
int ktag_msgpack_batch_doc(const ktag_request_t *batch, size_t index, ktag_request_t *doc,
                           ktag_wire_error_t *err);

/** Read a str or int into `id` (KTAG_ID_NONE for any other type).
 *  A str must be valid UTF-8, so that echoing it keeps replies decodable.
 *  @returns 0, or -1 when `obj` is neither or a str that is not UTF-8. */
int ktag_msgpack_id_from_object(ktag_wire_id_t *id, const msgpack_object *obj);

/** @returns the value of the str key `key` in the map `map`, or NULL when
 *  `map` is not a map or has no such key.  Borrowed. */
const msgpack_object *ktag_msgpack_map_get(const msgpack_object *map, const char *key);

/** Write `id` (a str or an int).  Writes nothing for KTAG_ID_NONE.
 *  @returns 0, or the packer's error. */
int ktag_msgpack_pack_id(msgpack_packer *pk, const ktag_wire_id_t *id);

/** Open a map of `pairs` pairs, one more when `id` is present (not NULL,
 *  not KTAG_ID_NONE), and write that "id" pair first: how every request
 *  and reply map with an echoed id starts.  The caller writes the `pairs`
 *  pairs after.  @returns 0, or the packer's error. */
int ktag_msgpack_pack_map_id(msgpack_packer *pk, size_t pairs, const ktag_wire_id_t *id);

/** Write a tag request: {id?, text, title?, options{sentiment, overlaps,
 *  explain, offsets, types?}}.  `types` is written only when restricted.
 *  `id` and `title` may be NULL.  @returns 0, or the packer's error. */
int ktag_msgpack_pack_request(msgpack_packer *pk, const ktag_wire_id_t *id,
                              const char *text, size_t text_len,
                              const char *title, size_t title_len,
                              const ktag_options_t *options);

/** Write a batch request: {id?, docs: [{id?, text, title?}...], options{as
 *  ktag_msgpack_pack_request writes them}}.  `id` may be NULL (no batch id).
 *  @returns 0, or -1 (the packer's error, or more than 2^32 documents). */
int ktag_msgpack_pack_batch_request(msgpack_packer *pk, const ktag_wire_id_t *id,
                                    const ktag_wire_doc_t *docs, size_t count,
                                    const ktag_options_t *options);

/** @returns an upper bound of the bytes `doc` adds to a batch request, for
 *  a sender that cuts batches at a size.  This function can't fail. */
size_t ktag_msgpack_batch_doc_size(const ktag_wire_doc_t *doc);

/** Write the head of a batch reply: {id?, ok: true, results: [ and the
 *  array header for `count` entries, which the caller writes next, in the
 *  order of the request's docs, each a whole single-document reply
 *  (ktag_msgpack_pack_result or ktag_msgpack_pack_error).
 *  @returns 0, or -1 (the packer's error, or more than 2^32 entries). */
int ktag_msgpack_pack_batch_reply(msgpack_packer *pk, const ktag_wire_id_t *id, size_t count);

/** Write the success object of ktag_schema.h for `result`, tagged with
 *  `options` (which decide the optional keys), echoing `id` (may be NULL),
 *  with `elapsed_us` as measured by the caller around ktag_tag().
 *  @returns 0, or -1 on the packer's error. */
int ktag_msgpack_pack_result(msgpack_packer *pk, const ktag_wire_id_t *id,
                             const ktag_result_t *result, const ktag_options_t *options,
                             uint64_t elapsed_us);

/** Write the error object {id?, ok: false, error: {code, message}}.
 *  `id` may be NULL.  @returns 0, or -1 on the packer's error. */
int ktag_msgpack_pack_error(msgpack_packer *pk, const ktag_wire_id_t *id,
                            ktag_wire_code_t code, const char *message);

/** Write a NUL-terminated string as a msgpack str.  @returns 0 or the
 *  packer's error. */
int ktag_msgpack_pack_cstr(msgpack_packer *pk, const char *s);

/** Drive `e` with a msgpack value, generically: maps keep their order,
 *  pairs whose key is not a str are skipped, bin is written as str, ext as
 *  nil, and strings are UTF-8-repaired (ktag_schema_text).  With
 *  `replace_id`, the top-level map's "id" is dropped and `id` (when present)
 *  written first in its place.  @returns 0, or -1 when the emitter stopped
 *  or the value nests deeper than 64. */
int ktag_msgpack_walk(ktag_emitter_t *e, const msgpack_object *value, bool replace_id,
                      const ktag_wire_id_t *id);

/** The msgpack emitter: a walk (ktag_schema_result, ktag_schema_error,
 *  ktag_msgpack_walk) driving `base` is packed into `pk`. */
typedef struct {
    ktag_emitter_t base;
    msgpack_packer *pk;
} ktag_msgpack_emitter_t;

/** @returns an emitter packing into `pk` (borrowed; it must outlive the
 *  walk).  This function can't fail. */
ktag_msgpack_emitter_t ktag_msgpack_emitter(msgpack_packer *pk);

#ifdef __cplusplus
}
#endif

#endif
