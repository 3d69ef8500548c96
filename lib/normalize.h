/*  normalize.h - (internal) the normalized view the matcher runs on: ICU
    NFKC + case folding of UTF-8 text, with every normalized offset mapped
    back to the original text, and the character classes of the boundary
    rules.

    Normalization is done segment by segment, a segment being a code point
    and the non-starters that may combine with it.  A quick check finds the
    characters NFKC + case folding leave alone (ASCII, precomposed Hangul,
    and every BMP character that is stable and starts a segment, from a
    table built once): they are kept as they are, and when a text holds
    nothing else, the view IS the original text, with no copy.  ASCII
    capitals are kept too: the matcher folds them, and whatever reads the
    view compares ASCII letters case-insensitively or by class.  Only the
    other segments go through ICU and are recorded, so an offset maps back
    by a shift, or to the whole segment it falls in.
*/
#ifndef KTAG_NORMALIZE_H_INCLUDED
#define KTAG_NORMALIZE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unicode/utypes.h>

#include "ktag/ktag_error.h"

/** Texts of this many bytes or more are refused, before and after
 *  normalization (offsets are 32-bit inside). */
#define KTAG_MAX_TEXT_BYTES ((size_t) 1 << 30)

/** The normalized form of one code point that ICU had to normalize (…, ·,
 *  ‘, 株): the same few recur in every document. */
typedef struct {
    uint32_t cp;       /**< 0: empty slot */
    uint8_t len;
    char bytes[11];
} ktag_norm_cache_t;

#define KTAG_NORM_CACHE_SLOTS 256

/** A stretch of text that ICU normalized: where it was and what it became.
 *  Between two of them the text was kept byte for byte, so offsets there
 *  differ by a constant. */
typedef struct {
    uint32_t norm_start, norm_end;   /**< normalized bytes it produced (may be empty) */
    uint32_t orig_start, orig_end;   /**< original bytes */
} ktag_norm_segment_t;

typedef struct {
    /** The normalized UTF-8 text, `len` bytes: the caller's text itself
     *  when nothing in it needed to change (then not NUL-terminated), else
     *  `norm`.  Valid until the next ktag_normalize() or the caller frees
     *  the text. */
    const char *view;
    size_t len;
    char *norm;        /**< owned buffer for a view that changed, NUL-terminated then */
    size_t norm_cap;
    size_t max_len;    /**< 0: refuse texts of KTAG_MAX_TEXT_BYTES or more; else this many bytes (tests) */
    size_t orig_len;   /**< bytes of the original text */
    ktag_norm_segment_t *segments;   /**< in text order */
    size_t segment_count, segment_cap;
    UChar *u16;        /**< scratch for ICU */
    size_t u16_cap;
    UChar *u16_out;
    size_t u16_out_cap;
    ktag_norm_cache_t cache[KTAG_NORM_CACHE_SLOTS];   /**< direct-mapped by code point */
} ktag_normbuf_t;

/** Normalize `len` bytes of `text` into `buf`, reusing its memory; the
 *  view may point into `text`, which must outlive its use.
 *  @returns 0; KTAG_ERR_BAD_UTF8 with err->offset = byte offset of the first
 *  ill-formed sequence; KTAG_ERR_TOO_LARGE when the text or its normalized
 *  form is too long; KTAG_ERR_NOMEM; KTAG_ERR_UNICODE. */
int ktag_normalize(ktag_normbuf_t *buf, const char *text, size_t len, ktag_error_t *err);

/** @returns the original byte offset where the character that produced
 *  normalized byte `norm_start` starts. */
size_t ktag_norm_orig_start(const ktag_normbuf_t *buf, size_t norm_start);

/** @returns the original byte offset where the normalized span ending at
 *  `norm_end` (exclusive) ends: the end of the character that produced its
 *  last byte. */
size_t ktag_norm_orig_end(const ktag_normbuf_t *buf, size_t norm_end);

/** Free the buffers of `buf` (not `buf` itself). */
void ktag_normbuf_release(ktag_normbuf_t *buf);

/** Normalize a NUL-terminated string, ASCII capitals folded too (a lexicon
 *  form).  @returns a new string the caller frees, or NULL with `err`
 *  filled. */
char *ktag_normalize_string(const char *text, ktag_error_t *err);

/** @returns true when the NUL-terminated `text` is in NFC (lexicon
 *  check); false when it is not, or cannot be told (invalid UTF-8, out of
 *  memory, ICU unavailable). */
bool ktag_is_nfc(const char *text);

typedef enum {
    KTAG_CHAR_OTHER = 0,   /**< spaces, punctuation, symbols, Han, … */
    KTAG_CHAR_ALNUM = 1,   /**< Latin letters and digits */
    KTAG_CHAR_HANGUL = 2,  /**< syllables and jamo */
} ktag_char_class_t;

/** Class of the code point that starts at byte `pos` of normalized `text`. */
ktag_char_class_t ktag_class_at(const char *text, size_t len, size_t pos);

/** Class of the code point that ends just before byte `pos` (OTHER at 0). */
ktag_char_class_t ktag_class_before(const char *text, size_t pos);

/** @returns the number of code points in text[from, to). */
size_t ktag_count_codepoints(const char *text, size_t from, size_t to);

#endif
