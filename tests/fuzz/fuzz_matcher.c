/*  fuzz_matcher.c - libFuzzer target: every implementation of the matcher
    against a naive search, on arbitrary patterns and text.

    Input layout: byte 0 says how many patterns (up to 31) follow, each a
    length byte (its low 5 bits) and that many bytes; the rest is the text.
    A pattern that is not UTF-8 (or holds a NUL) is refused by the builder
    and left out.  Each implementation this CPU has (portable, avx2,
    avx512, and the automaton when the text is valid UTF-8: it steps by code
    point) must report exactly the naive search's matches, in its order:
    by start, longest first, ASCII letters case-insensitively.
*/
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "fuzz_common.h"
#include "matcher.h"

#define S_MAX_PATTERNS 31

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static int s_fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool s_equal_folded(const uint8_t *a, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s_fold(a[i]) != s_fold(b[i]))
            return false;
    return true;
}

static bool s_valid_utf8(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        UChar32 c;
        U8_NEXT(s, i, len, c);
        if (c < 0)
            return false;
    }
    return true;
}

static void s_push(ktag_match_vec_t *v, uint32_t pattern, size_t end)
{
    if (v->count == v->capacity) {
        v->capacity = v->capacity ? 2 * v->capacity : 64;
        v->items = realloc(v->items, v->capacity * sizeof *v->items);
        FUZZ_ASSERT(v->items);
    }
    v->items[v->count++] = (ktag_match_t) { pattern, (uint32_t) end };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t *patterns[S_MAX_PATTERNS];
    size_t lens[S_MAX_PATTERNS], count = 0, at = 1;
    size_t wanted = data[0] % (S_MAX_PATTERNS + 1);
    while (count < wanted && at < size) {
        size_t len = data[at++] & 31;
        if (len > size - at)
            len = size - at;
        patterns[count] = data + at;
        lens[count++] = len;
        at += len;
    }
    const uint8_t *text = data + at;
    size_t text_len = size - at;

    /*  The ids as the builder gives them (one builder serves for all: ids
        depend only on the order of addition), then the expected matches. */
    int32_t ids[S_MAX_PATTERNS];
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    FUZZ_ASSERT(builder);
    for (size_t p = 0; p < count; p++)
        ids[p] = ktag_matcher_builder_add(builder, (const char *) patterns[p], lens[p]);
    ktag_matcher_builder_destroy(&builder);
    ktag_match_vec_t expected = { 0 }, found = { 0 };
    for (size_t start = 0; start < text_len; start++)
        for (size_t plen = 32; plen > 0; plen--)
            for (size_t p = 0; p < count; p++) {
                bool first = ids[p] >= 0;   /* each id once */
                for (size_t q = 0; q < p && first; q++)
                    first = ids[q] != ids[p];
                if (first && lens[p] == plen && plen <= text_len - start
                    && s_equal_folded(text + start, patterns[p], plen))
                    s_push(&expected, (uint32_t) ids[p], start + plen);
            }

    static const char *const impls[] = { "portable", "avx2", "avx512", "automaton" };
    bool valid = s_valid_utf8(text, text_len);
    for (size_t k = 0; k < sizeof impls / sizeof *impls; k++) {
        if (strcmp(impls[k], "automaton") == 0 && !valid)
            continue;
        setenv("KTAG_MATCHER", impls[k], 1);
        builder = ktag_matcher_builder_new();
        FUZZ_ASSERT(builder);
        for (size_t p = 0; p < count; p++)
            FUZZ_ASSERT(ktag_matcher_builder_add(builder, (const char *) patterns[p], lens[p]) == ids[p]);
        ktag_matcher_t *matcher = ktag_matcher_compile(&builder);
        FUZZ_ASSERT(matcher);
        if (strcmp(ktag_matcher_impl(matcher), impls[k]) == 0) {   /* else not on this CPU */
            /*  Exactly the text's bytes, so that ASan sees any overread. */
            uint8_t *exact = malloc(text_len ? text_len : 1);
            FUZZ_ASSERT(exact);
            memcpy(exact, text, text_len);
            found.count = 0;
            FUZZ_ASSERT(ktag_matcher_scan(matcher, (const char *) exact, text_len, &found) == 0);
            FUZZ_ASSERT(found.count == expected.count);
            FUZZ_ASSERT(found.count == 0
                        || memcmp(found.items, expected.items, found.count * sizeof *found.items) == 0);
            free(exact);
        }
        ktag_matcher_destroy(&matcher);
    }
    unsetenv("KTAG_MATCHER");
    free(expected.items);
    free(found.items);
    return 0;
}
