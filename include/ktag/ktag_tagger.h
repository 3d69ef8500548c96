/*  ktag_tagger.h - tag one document: entities with offsets into the original
    text, sentiment for the document, its sentences and each entity, and
    events (funding, price moves, target prices, earnings, contracts) linked
    to the entities.

    ktag_tag() is thread-safe for distinct ktag_result_t objects: give each
    thread its own result and share one lexicon.  A result keeps its buffers
    between calls, so tagging a stream allocates only while documents grow.
    Whatever a ktag_result_*() function returns (entities, sentences, the
    document's sentiment, events, explanation lines, the lexicon version)
    and every pointer in it not marked static is borrowed from the result:
    valid until the next ktag_tag() on that result, whether it succeeds or
    not, or the result's destruction.  Copy what must outlive it.
*/
#ifndef KTAG_TAGGER_H_INCLUDED
#define KTAG_TAGGER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktag_error.h"
#include "ktag_export.h"
#include "ktag_lexicon.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Unit of the `start`/`end` offsets reported in ktag_entity_t. */
typedef enum {
    KTAG_OFFSETS_CODEPOINT = 0, /**< Unicode code points (the default) */
    KTAG_OFFSETS_BYTE = 1,      /**< UTF-8 bytes */
    KTAG_OFFSETS_UTF16 = 2,     /**< UTF-16 code units (JavaScript, Java) */
} ktag_offset_unit_t;

/** @returns "codepoint", "byte" or "utf16". */
KTAG_EXPORT const char *ktag_offset_unit_name(ktag_offset_unit_t unit);

/** Parse "codepoint" (or "char"), "byte" or "utf16".
 *  @returns 0 and sets *unit, or KTAG_ERR_INVALID. */
KTAG_EXPORT int ktag_offset_unit_from_name(const char *name, ktag_offset_unit_t *unit);

typedef struct {
    unsigned types;             /**< bit (1u << ktag_type_t) per wanted type; 0 = all;
                                     a bit that names no type is KTAG_ERR_INVALID */
    ktag_offset_unit_t offsets; /**< unit of entity offsets */
    bool overlaps;              /**< report every match, not only leftmost-longest */
    bool sentiment;             /**< compute sentiment (document, sentences, entities) */
    bool explain;               /**< record the terms and rules behind the sentiment and events */
    bool events;                /**< extract events (funding, price moves, target prices, earnings, contracts) */
} ktag_options_t;

/** Fill `options` with the defaults: all types, code points, no overlaps,
 *  sentiment on, explain off, events on.  Initialize options with this
 *  function: fields added later get their defaults from it. */
KTAG_EXPORT void ktag_options_init(ktag_options_t *options);

/** Which input field an entity was found in. */
typedef enum {
    KTAG_FIELD_TEXT = 0,
    KTAG_FIELD_TITLE = 1,
} ktag_field_t;

/** @returns "text" or "title". */
KTAG_EXPORT const char *ktag_field_name(ktag_field_t field);

/** A lexicon attribute.  The lengths spare a writer a strlen() per string
 *  of every result (added in 0.2.0, whose library's ABI is 1: programs built
 *  against 0.1 headers must be rebuilt). */
typedef struct {
    const char *key;
    const char *value;
    size_t key_len, value_len;  /**< bytes of key and value, NUL not counted */
} ktag_attr_t;

/** One entity mention.  Every pointer is borrowed from the result and valid
 *  until the next ktag_tag() on it or its destruction.  (0.2.0 added the
 *  lengths and moved `field` up: 96 bytes, as a result holds one per
 *  mention.) */
typedef struct {
    ktag_type_t type;
    ktag_field_t field;
    const char *id;             /**< "000660", "x:nvidia", "h800", "cb" */
    const char *name;           /**< canonical name */
    const char *text;           /**< the surface as written, NUL-terminated: byte_end - byte_start bytes */
    size_t start, end;          /**< in options.offsets units, [start, end), within `field` */
    size_t byte_start, byte_end;/**< the same span in UTF-8 bytes, [start, end) */
    double sentiment;           /**< toward this entity, in [-1, 1]; 0 when off */
    const ktag_attr_t *attrs;   /**< lexicon attributes, e.g. market=KOSPI */
    size_t attr_count;
    uint32_t id_len, name_len;  /**< bytes of id and name, NUL not counted */
} ktag_entity_t;

/** Sentiment of a span (a sentence) or of the whole document. */
typedef struct {
    double score;               /**< in [-1, 1] */
    const char *label;          /**< "positive", "negative" or "neutral" (static) */
    unsigned positive;          /**< number of positive contributions */
    unsigned negative;          /**< number of negative contributions */
} ktag_sentiment_t;

/** One sentence and its sentiment; offsets as for entities. */
typedef struct {
    ktag_field_t field;
    size_t start, end;          /**< in options.offsets units, [start, end) */
    ktag_sentiment_t sentiment;
} ktag_sentence_t;

/** The kind of fact an event states (docs/EVENTS.md). */
typedef enum {
    KTAG_EVENT_FUNDING = 0,     /**< a funding event and its issuer */
    KTAG_EVENT_PRICE_MOVE,      /**< a stock moved */
    KTAG_EVENT_TARGET_PRICE,    /**< a broker set or changed a target price */
    KTAG_EVENT_EARNINGS,        /**< reported or expected results */
    KTAG_EVENT_CONTRACT,        /**< a supply, order or licensing deal */
    KTAG_EVENT_TYPE_COUNT
} ktag_event_type_t;

/** @returns "funding", "price_move", "target_price", "earnings" or
 *  "contract"; NULL for a bad value. */
KTAG_EXPORT const char *ktag_event_type_name(ktag_event_type_t type);

/** One event, linked to the entities of its sentence.  A fact the text
 *  does not state is absent: a NULL pointer, has_amount / has_previous
 *  false, limit false.  Every pointer is borrowed from the result and valid
 *  until the next ktag_tag() on it or its destruction. */
typedef struct {
    ktag_event_type_t type;
    const char *kind;           /**< funding: a funding id ("rights_offering");
                                     earnings: "revenue", "operating_profit", "net_income" */
    const char *company;        /**< entity id: issuer, stock, supplier, reporting company */
    const char *counterparty;   /**< contract: entity id of the other party */
    const char *source;         /**< target_price: entity id of the broker */
    const char *direction;      /**< "up", "down", "keep", "turn_profit", "turn_loss" */
    bool has_amount;
    double amount;              /**< in `unit`; negative for a loss */
    const char *unit;           /**< "KRW", "USD", "EUR", "JPY", "CNY", "percent", "shares" */
    bool has_previous;
    double previous;            /**< target_price: the old price, in `unit` */
    bool limit;                 /**< price_move: 상한가 / 하한가 */
    const char *text;           /**< the event's span as written, NUL-terminated */
    size_t start, end;          /**< in options.offsets units, [start, end), within `field` */
    size_t byte_start, byte_end;/**< the same span in UTF-8 bytes */
    ktag_field_t field;
    double sentiment;           /**< of the span, in [-1, 1]; 0 when sentiment is off */
    const char *rule;           /**< the linking rule that built it, e.g. "subject_comma" (static) */
} ktag_event_t;

typedef struct ktag_result ktag_result_t;

/** @returns a new, empty result; caller frees with ktag_result_destroy().
 *  NULL when out of memory. */
KTAG_EXPORT ktag_result_t *ktag_result_new(void);

/** Free a result and drop its lexicon reference.  Sets *self_p to NULL;
 *  accepts NULL. */
KTAG_EXPORT void ktag_result_destroy(ktag_result_t **self_p);

/** Tag one document.  `text` (`text_len` bytes) is required; `title` may be
 *  NULL.  Both must be valid UTF-8; they need not be NUL-terminated.
 *  `options` may be NULL for the defaults.  The result takes a reference to
 *  `lexicon` until its next use, so the caller may drop its own at once.
 *  @returns 0, or KTAG_ERR_INVALID (an unknown offset unit, a types bit
 *  that names no type, a NULL `text` with a non-zero `text_len`),
 *  KTAG_ERR_BAD_UTF8 (err->offset is the byte offset, and err->message
 *  names the field), KTAG_ERR_TOO_LARGE (a field of 1 GiB or more, one
 *  whose normalized form is, or one holding an overlong run of combining
 *  marks; err->message names the field), KTAG_ERR_NOMEM,
 *  KTAG_ERR_UNICODE.  On failure the result is empty. */
KTAG_EXPORT int ktag_tag(ktag_result_t *self, ktag_lexicon_t *lexicon,
                         const char *text, size_t text_len,
                         const char *title, size_t title_len,
                         const ktag_options_t *options, ktag_error_t *err);

/** @returns the number of entity mentions, in order of field (title first),
 *  then start, then end descending. */
KTAG_EXPORT size_t ktag_result_entity_count(const ktag_result_t *self);

/** @returns mention `index` (< ktag_result_entity_count()).  Borrowed. */
KTAG_EXPORT const ktag_entity_t *ktag_result_entity(const ktag_result_t *self, size_t index);

/** @returns the document's sentiment, or NULL when options.sentiment was off. */
KTAG_EXPORT const ktag_sentiment_t *ktag_result_sentiment(const ktag_result_t *self);

/** @returns the number of sentences scored (0 when sentiment was off). */
KTAG_EXPORT size_t ktag_result_sentence_count(const ktag_result_t *self);

/** @returns sentence `index`.  Borrowed. */
KTAG_EXPORT const ktag_sentence_t *ktag_result_sentence(const ktag_result_t *self, size_t index);

/** @returns the number of events (0 when options.events was off), title
 *  first, then by start. */
KTAG_EXPORT size_t ktag_result_event_count(const ktag_result_t *self);

/** @returns event `index` (< ktag_result_event_count()), or NULL.  Borrowed. */
KTAG_EXPORT const ktag_event_t *ktag_result_event(const ktag_result_t *self, size_t index);

/** @returns how many explanation lines options.explain recorded. */
KTAG_EXPORT size_t ktag_result_explain_count(const ktag_result_t *self);

/** @returns explanation line `index`, e.g. "+0.60 급등 (price_up)" or
 *  "event funding by subject_comma".  Borrowed. */
KTAG_EXPORT const char *ktag_result_explain(const ktag_result_t *self, size_t index);

/** @returns the version of the lexicon the last ktag_tag() used, or "". */
KTAG_EXPORT const char *ktag_result_lexicon_version(const ktag_result_t *self);

#ifdef __cplusplus
}
#endif

#endif
