/*  fuzz_common.h - what the fuzz targets share: an assertion that survives
    NDEBUG, the lexicon every target tags with, and the invariants a tagging
    result must hold whatever the input.

    A violated invariant aborts, so libFuzzer (and the replay driver that runs
    the corpora in `meson test`) report it as a crash with the input saved.
*/
#ifndef KTAG_FUZZ_COMMON_H_INCLUDED
#define KTAG_FUZZ_COMMON_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ktag/ktag.h"

/* Checked in every build type: a fuzz target that stops checking under
   -DNDEBUG would report nothing. */
#define FUZZ_ASSERT(cond)                                                    \
    do {                                                                     \
        if (!(cond))                                                         \
            fuzz_fail(__FILE__, __LINE__, #cond);                            \
    } while (0)

/** Print where an invariant broke and abort().  Never returns. */
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/** The lexicon the tag and request targets use, loaded once: the directory
 *  in $KTAG_FUZZ_LEXICONS, else the bundled lexicons/ of the source tree,
 *  else the small test fixture.  Aborts when none loads (a fuzz run on no
 *  lexicon would prove nothing).  Borrowed; lives until exit. */
ktag_lexicon_t *fuzz_lexicon(void);

/** Check what ktag_tag() returned for `text`/`title` under `options`:
 *  on success every entity lies inside its field, its `text` is the bytes
 *  at [byte_start, byte_end), its start/end agree with the unit, mentions
 *  are in (field, start, end desc) order, scores are in [-1, 1] with a
 *  known label; on failure the result is empty and a bad_utf8 offset is
 *  inside the input.  `status` is what ktag_tag() returned. */
void fuzz_check_result(const ktag_result_t *result, int status, const ktag_error_t *err,
                       const char *text, size_t text_len,
                       const char *title, size_t title_len,
                       const ktag_options_t *options);

/** A document cut out of a fuzz input by fuzz_doc_from_input(). */
typedef struct {
    ktag_options_t options;
    char *copy;                 /**< owned: the document bytes */
    const char *text, *title;   /**< into `copy`; title NULL when absent */
    size_t text_len, title_len;
} fuzz_doc_t;

/** The input layout of the engine targets (fuzz_tag, fuzz_writers):
 *      byte 0   option bits: 0-1 offsets unit (3 = codepoint), 2 overlaps,
 *               3 sentiment off, 4 explain
 *      byte 1   types mask, low 4 bits (0 = all types)
 *      bytes 2.. the document; when it holds "\xff\xff" (never valid
 *               UTF-8) the part before is the title.
 *  The document is copied to an allocation of exactly its size, so that a
 *  read past its end is caught by ASan instead of landing in libFuzzer's
 *  larger buffer.  @returns 0 (free with fuzz_doc_free()), or -1 when the
 *  input is shorter than 2 bytes. */
int fuzz_doc_from_input(fuzz_doc_t *doc, const uint8_t *data, size_t size);

/** Free what fuzz_doc_from_input() allocated. */
void fuzz_doc_free(fuzz_doc_t *doc);

/** @returns true when `data` is well-formed UTF-8, as ICU decides (the
 *  reference the engine's own check is compared with). */
int fuzz_utf8_valid(const char *data, size_t len);

#endif
