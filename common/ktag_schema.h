/*  ktag_schema.h - the result schema of SPEC.md, walked once.

    Every reply and output line ktag writes (ktagd's msgpack, the CLI's JSON
    lines, msgpack and tsv) is one walk over a libktag result that drives an
    emitter.  The walk alone decides the keys, their order, which optional
    keys are present, how scores are rounded and what happens to a string
    that is not UTF-8; an emitter only spells values in its format.

    Key order (also the order of every msgpack map):
        success: id, ok, entities, sentiment, events, sentences, explain, lexicon, elapsed_us
        entity:  type, id, name, text, start, end, field, sentiment, attrs
        event:   type, kind, company, counterparty, source, direction, amount, unit,
                 previous, limit, text, start, end, field, sentiment
        sentence: field, start, end, score, label
        error:   id, ok, error{code, message}
    Policy:
      - "id" is present only when the document had one.
      - "events" is present when the options asked for events (an empty
        array when there are none); an event's absent facts are absent keys.
      - "sentiment" (document, per entity and per event) is present when the options
        asked for sentiment and the result has it; "sentences" and
        "explain" when the options asked for explain.
      - Scores are rounded to 3 decimals (ktag_schema_round3).
      - Explain lines and error messages are checked for UTF-8; an invalid
        sequence is written as U+FFFD, so no emitter ever writes invalid
        UTF-8.  Ids, names and surfaces come from the lexicon and from text
        the engine has validated and are written as they are.
*/
#ifndef KTAG_SCHEMA_H_INCLUDED
#define KTAG_SCHEMA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ktag/ktag.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A request or document id: absent, a string, or an integer. */
typedef enum {
    KTAG_ID_NONE = 0,
    KTAG_ID_STR,    /**< str/str_len; borrowed, not NUL-terminated */
    KTAG_ID_INT,    /**< num: a negative integer */
    KTAG_ID_UINT,   /**< unum: a non-negative integer */
} ktag_id_kind_t;

typedef struct {
    ktag_id_kind_t kind;
    const char *str;
    size_t str_len;
    int64_t num;
    uint64_t unum;
} ktag_wire_id_t;

/** What a walk drives.  A map announces its number of key/value pairs and
 *  is followed by that many (key, value) pairs, keys as `str`; an array
 *  announces its items.  Containers close by count, so an emitter needs no
 *  end call.  Each function returns 0, or -1 to stop the walk (the walk
 *  then returns -1). */
typedef struct ktag_emitter ktag_emitter_t;
struct ktag_emitter {
    int (*map)(ktag_emitter_t *self, size_t pairs);
    int (*array)(ktag_emitter_t *self, size_t items);
    int (*str)(ktag_emitter_t *self, const char *s, size_t len);
    int (*i64)(ktag_emitter_t *self, int64_t v);
    int (*u64)(ktag_emitter_t *self, uint64_t v);
    int (*real)(ktag_emitter_t *self, double v);
    int (*boolean)(ktag_emitter_t *self, bool v);
    int (*nil)(ktag_emitter_t *self);
    /** Optional (NULL: `str` is called instead): a map key of the schema
     *  itself, printable ASCII with nothing to escape, so that a text
     *  emitter can copy it as it is. */
    int (*key)(ktag_emitter_t *self, const char *s, size_t len);
};

/** Walk the success object for the last ktag_tag() on `result`.
 *  @param id       the id to echo; NULL or KTAG_ID_NONE omits the key.
 *  @param options  the options the document was tagged with (NULL = the
 *                  defaults); they decide the optional keys.
 *  @param elapsed_us  microseconds ktag_tag() took, as the caller measured.
 *  @returns 0, or -1 when the emitter stopped. */
int ktag_schema_result(ktag_emitter_t *e, const ktag_wire_id_t *id, const ktag_result_t *result,
                       const ktag_options_t *options, uint64_t elapsed_us);

/** Walk the error object {id?, ok: false, error: {code, message}}.
 *  @returns 0, or -1 when the emitter stopped. */
int ktag_schema_error(ktag_emitter_t *e, const ktag_wire_id_t *id, const char *code,
                      const char *message);

/** Emit a string, replacing each invalid UTF-8 sequence by U+FFFD.
 *  @returns what the emitter returned. */
int ktag_schema_text(ktag_emitter_t *e, const char *s, size_t len);

/** @returns the length of the longest valid UTF-8 prefix of s[0, len)
 *  (strict: no overlong forms, surrogates or code points above U+10FFFF);
 *  `len` when the whole string is valid. */
size_t ktag_schema_utf8_prefix(const char *s, size_t len);

/** Emit `id` (nothing for KTAG_ID_NONE).  @returns 0 or -1. */
int ktag_schema_id(ktag_emitter_t *e, const ktag_wire_id_t *id);

/** @returns true when `id` is present (not NULL, not KTAG_ID_NONE). */
bool ktag_schema_has_id(const ktag_wire_id_t *id);

/** @returns `x` rounded to 3 decimals, with -0 as 0: how every score is
 *  written. */
double ktag_schema_round3(double x);

#ifdef __cplusplus
}
#endif

#endif
