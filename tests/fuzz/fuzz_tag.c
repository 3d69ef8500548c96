/*  fuzz_tag.c - libFuzzer target: the engine (ktag_tag) on arbitrary bytes.

    Input layout: fuzz_doc_from_input() (fuzz_common.h), so that one
    corpus file drives every option.
    Beyond the shared result invariants (fuzz_common.h) it checks that the
    engine agrees with itself: the same document tagged again with the
    result object reused gives the same mentions, tagging with byte
    offsets finds the same byte spans as the unit asked for, and tagging
    with sentiment the other way (the scan then uses the other matcher,
    lib/lexicon.c s_entity_matcher) finds the same mentions.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* The first tagging of each input uses a fresh result (so an input
   reproduces alone); the second reuses one result across all inputs, the
   way a worker thread does. */
static ktag_result_t *s_again;
static ktag_result_t *s_flipped;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_lexicon();
    s_again = ktag_result_new();
    s_flipped = ktag_result_new();
    FUZZ_ASSERT(s_again && s_flipped);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_doc_t doc;
    if (fuzz_doc_from_input(&doc, data, size) != 0)
        return 0;
    const ktag_options_t options = doc.options;
    const char *text = doc.text, *title = doc.title;
    size_t text_len = doc.text_len, title_len = doc.title_len;

    ktag_lexicon_t *lexicon = fuzz_lexicon();
    ktag_result_t *result = ktag_result_new();
    FUZZ_ASSERT(result);
    ktag_error_t err;
    memset(&err, 0, sizeof err);
    int rc = ktag_tag(result, lexicon, text, text_len, title, title_len, &options, &err);
    fuzz_check_result(result, rc, &err, text, text_len, title, title_len, &options);

    ktag_options_t bytes = options;
    bytes.offsets = KTAG_OFFSETS_BYTE;
    ktag_error_t err2;
    memset(&err2, 0, sizeof err2);
    int rc2 = ktag_tag(s_again, lexicon, text, text_len, title, title_len, &bytes, &err2);
    fuzz_check_result(s_again, rc2, &err2, text, text_len, title, title_len, &bytes);
    FUZZ_ASSERT(rc == rc2);
    if (rc == KTAG_ERR_BAD_UTF8)
        FUZZ_ASSERT(err.offset == err2.offset);
    size_t n = ktag_result_entity_count(result);
    FUZZ_ASSERT(n == ktag_result_entity_count(s_again));
    for (size_t i = 0; i < n; i++) {
        const ktag_entity_t *a = ktag_result_entity(result, i);
        const ktag_entity_t *b = ktag_result_entity(s_again, i);
        FUZZ_ASSERT(a->type == b->type && a->field == b->field);
        FUZZ_ASSERT(a->byte_start == b->byte_start && a->byte_end == b->byte_end);
        FUZZ_ASSERT(b->start == b->byte_start && b->end == b->byte_end);
        FUZZ_ASSERT(strcmp(a->id, b->id) == 0);
        FUZZ_ASSERT(a->sentiment == b->sentiment);
    }

    ktag_options_t flipped = bytes;
    flipped.sentiment = !bytes.sentiment;
    int rc3 = ktag_tag(s_flipped, lexicon, text, text_len, title, title_len, &flipped, NULL);
    FUZZ_ASSERT(rc3 == rc2);
    FUZZ_ASSERT(ktag_result_entity_count(s_flipped) == n);
    for (size_t i = 0; i < n; i++) {
        const ktag_entity_t *a = ktag_result_entity(s_again, i);
        const ktag_entity_t *b = ktag_result_entity(s_flipped, i);
        FUZZ_ASSERT(a->type == b->type && a->field == b->field);
        FUZZ_ASSERT(a->byte_start == b->byte_start && a->byte_end == b->byte_end);
        FUZZ_ASSERT(strcmp(a->id, b->id) == 0);
    }
    ktag_result_destroy(&result);
    fuzz_doc_free(&doc);
    return 0;
}
