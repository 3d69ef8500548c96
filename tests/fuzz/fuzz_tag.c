/*  fuzz_tag.c - libFuzzer target: the engine (ktag_tag) on arbitrary bytes.

    Input layout, so that one corpus file drives every option:
        byte 0      option bits: 0-1 offsets unit (3 = codepoint), 2 overlaps,
                    3 sentiment off, 4 explain
        byte 1      types mask, low 4 bits (0 = all types)
        bytes 2..   the document; when it holds the separator "\xff\xff"
                    (never valid UTF-8) the part before is the title.
    Beyond the shared result invariants (fuzz_common.h) it checks that the
    engine agrees with itself: the same document tagged again with the
    result object reused gives the same mentions, and tagging with byte
    offsets finds the same byte spans as the unit asked for.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* The first tagging of each input uses a fresh result (so an input
   reproduces alone); the second reuses one result across all inputs, the
   way a worker thread does. */
static ktag_result_t *s_again;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_lexicon();
    s_again = ktag_result_new();
    FUZZ_ASSERT(s_again);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    ktag_options_t options;
    ktag_options_init(&options);
    unsigned bits = data[0];
    options.offsets = (bits & 3) == 3 ? KTAG_OFFSETS_CODEPOINT : (ktag_offset_unit_t) (bits & 3);
    options.overlaps = (bits & 4) != 0;
    options.sentiment = (bits & 8) == 0;
    options.explain = (bits & 16) != 0;
    options.types = data[1] & 0x0F;

    /* A private copy, so that a read past the end is caught by ASan
       instead of landing in libFuzzer's larger buffer. */
    size_t len = size - 2;
    char *doc = malloc(len ? len : 1);
    FUZZ_ASSERT(doc);
    memcpy(doc, data + 2, len);
    const char *text = doc, *title = NULL;
    size_t text_len = len, title_len = 0;
    const char *sep = memmem(doc, len, "\xff\xff", 2);
    if (sep) {
        title = doc;
        title_len = (size_t) (sep - doc);
        text = sep + 2;
        text_len = len - title_len - 2;
    }

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
    ktag_result_destroy(&result);
    free(doc);
    return 0;
}
