/*  test_tagger_alloc.c - a result allocates only while documents grow
    (ktag_tagger.h): once it has tagged a document, tagging it again, or a
    smaller one, allocates nothing: not in the stages, not in the sentiment
    analyzer's scratch (issue 16: it malloc'd beyond 64 terms, 16
    sentences or 64 entities on every document).  malloc, calloc and
    realloc of the library are wrapped (-Wl,--wrap) and counted, and can
    be made to fail: a lexicon load that runs out of memory says so. */
#include <stdlib.h>

#include "check.h"
#include "ktag/ktag.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *ptr, size_t size);

static size_t s_allocations;
static long s_fail_in = -1;   /* the allocation after this many more fails; -1: none */

static int s_failing(void)
{
    s_allocations++;
    return s_fail_in >= 0 && s_fail_in-- == 0;
}

void *__wrap_malloc(size_t size)
{
    return s_failing() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    return s_failing() ? NULL : __real_calloc(count, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
    return s_failing() ? NULL : __real_realloc(ptr, size);
}

/*  Each allocation of a load failing in turn: the load fails with
    KTAG_ERR_NOMEM, never as a malformed lexicon (a cue, josa, stop or
    sentiment cell whose normalization ran out of memory) or as a file
    that cannot be read. */
static void test_a_load_out_of_memory_says_so(void)
{
    s_allocations = 0;
    ktag_lexicon_t *lex = ktag_lexicon_open(FIXTURES "/good", NULL);
    size_t needed = s_allocations;
    ktag_lexicon_destroy(&lex);
    int wrong = 0;
    for (size_t n = 0; n < needed; n++) {
        ktag_error_t err = { 0 };
        s_fail_in = (long) n;
        lex = ktag_lexicon_open(FIXTURES "/good", &err);
        s_fail_in = -1;
        if (!lex && err.code != KTAG_ERR_NOMEM && wrong++ < 5)
            fprintf(stderr, "allocation %zu failing: %d %s\n", n, err.code, err.message);
        ktag_lexicon_destroy(&lex);
    }
    CHECK_INT(wrong, 0);
}

/*  `reps` sentences, each with two mentions and two sentiment terms. */
static char *s_document(size_t reps)
{
    static const char unit[] = "엔비디아가 급등했고 SK하이닉스는 하락했다. ";
    char *text = malloc(reps * (sizeof unit - 1) + 1);
    text[0] = '\0';
    for (size_t i = 0; i < reps; i++)
        strcat(text, unit);
    return text;
}

int main(void)
{
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(FIXTURES "/good", &err);
    if (!lex) {
        fprintf(stderr, "cannot load the fixture: %s\n", err.message);
        return 1;
    }
    ktag_result_t *res = ktag_result_new();
    ktag_options_t options;
    ktag_options_init(&options);
    options.explain = true;
    char *big = s_document(200), *small = s_document(30);
    const char *title = "ＳＫ하이닉스 급등… 엔비디아 하락";
    s_allocations = 0;
    for (int unit = KTAG_OFFSETS_CODEPOINT; unit <= KTAG_OFFSETS_UTF16; unit++) {
        options.offsets = (ktag_offset_unit_t) unit;
        CHECK_INT(ktag_tag(res, lex, big, strlen(big), title, strlen(title), &options, &err), 0);
    }
    CHECK(s_allocations > 0);   /* the wrappers are in place */
    CHECK(ktag_result_entity_count(res) > 64);
    CHECK(ktag_result_sentence_count(res) > 16);

    for (int unit = KTAG_OFFSETS_CODEPOINT; unit <= KTAG_OFFSETS_UTF16; unit++) {
        options.offsets = (ktag_offset_unit_t) unit;
        s_allocations = 0;
        CHECK_INT(ktag_tag(res, lex, big, strlen(big), title, strlen(title), &options, &err), 0);
        CHECK_INT(ktag_tag(res, lex, small, strlen(small), NULL, 0, &options, &err), 0);
        CHECK_INT(s_allocations, 0);
    }
    free(big);
    free(small);
    test_a_load_out_of_memory_says_so();
    ktag_result_destroy(&res);
    ktag_lexicon_destroy(&lex);
    return check_report("test_tagger_alloc");
}
