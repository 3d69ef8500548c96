/*  test_matcher.c - the matcher finds exactly what a naive search finds, in
    start order, with ASCII case folded, on hand-picked and random pattern
    sets; and the same as the Aho-Corasick automaton on the bundled
    lexicon's forms over generated Korean text.

    The implementation under test is the one KTAG_MATCHER names (meson runs
    this file once per path); a path the CPU lacks is skipped (exit 77).
*/
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "automaton.h"
#include "check.h"
#include "lexicon_internal.h"
#include "matcher.h"

static uint64_t s_rng = 88172645463325252ull;

static uint32_t s_random(uint32_t bound)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng % bound);
}

static int s_fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool s_equal_folded(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s_fold((unsigned char) a[i]) != s_fold((unsigned char) b[i]))
            return false;
    return true;
}

/*  Every occurrence by brute force, in the matcher's order: by start, then
    longest first.  `ids` maps each pattern to its id (duplicates share). */
static void s_naive(const char **patterns, const int32_t *ids, size_t count, const char *text, size_t len,
                    ktag_match_vec_t *out)
{
    size_t longest = 0;
    for (size_t p = 0; p < count; p++)
        longest = strlen(patterns[p]) > longest ? strlen(patterns[p]) : longest;
    for (size_t start = 0; start < len; start++)
        for (size_t plen = longest; plen > 0; plen--)
            for (size_t p = 0; p < count; p++) {
                bool first = true;   /* a pattern added twice is reported once */
                for (size_t q = 0; q < p && first; q++)
                    first = ids[q] != ids[p];
                if (first && strlen(patterns[p]) == plen && start + plen <= len
                    && s_equal_folded(text + start, patterns[p], plen)) {
                    if (out->count == out->capacity) {
                        out->capacity = out->capacity ? 2 * out->capacity : 64;
                        out->items = realloc(out->items, out->capacity * sizeof *out->items);
                    }
                    out->items[out->count++] = (ktag_match_t) { (uint32_t) ids[p], (uint32_t) (start + plen) };
                }
            }
}

static bool s_same(const ktag_match_vec_t *a, const ktag_match_vec_t *b)
{
    return a->count == b->count && (a->count == 0 || memcmp(a->items, b->items, a->count * sizeof *a->items) == 0);
}

static void s_show(const char *label, const ktag_match_vec_t *v)
{
    fprintf(stderr, "  %s (%zu):", label, v->count);
    for (size_t i = 0; i < v->count && i < 40; i++)
        fprintf(stderr, " %u@%u", v->items[i].pattern, v->items[i].end);
    fprintf(stderr, "\n");
}

static ktag_matcher_t *s_compile(const char **patterns, size_t count, int32_t *ids)
{
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    CHECK(builder != NULL);
    for (size_t p = 0; p < count; p++) {
        ids[p] = ktag_matcher_builder_add(builder, patterns[p], strlen(patterns[p]));
        CHECK(ids[p] >= 0);
    }
    ktag_matcher_t *matcher = ktag_matcher_compile(&builder);
    CHECK(matcher != NULL);
    CHECK(builder == NULL);
    return matcher;
}

/*  Compare the matcher with the naive search on `text`, copied into a
    buffer of exactly its length so that a sanitizer sees any overread. */
static bool s_compare_with_naive(const char **patterns, size_t count, const char *text, size_t len)
{
    int32_t *ids = malloc(count * sizeof *ids);
    ktag_matcher_t *matcher = s_compile(patterns, count, ids);
    char *exact = malloc(len ? len : 1);
    memcpy(exact, text, len);
    ktag_match_vec_t found = { 0 }, expected = { 0 };
    /*  A stale entry first: the scan appends after what is there. */
    found.items = malloc(sizeof *found.items);
    found.capacity = found.count = 1;
    found.items[0] = (ktag_match_t) { 12345, 6789 };
    CHECK_INT(ktag_matcher_scan(matcher, exact, len, &found), 0);
    CHECK_INT(found.items[0].pattern, 12345);
    found.count--;
    memmove(found.items, found.items + 1, found.count * sizeof *found.items);
    s_naive(patterns, ids, count, exact, len, &expected);
    bool same = s_same(&found, &expected);
    CHECK(same);
    if (!same) {
        fprintf(stderr, "  text \"%.*s\"; %zu patterns:", (int) len, text, count);
        for (size_t p = 0; p < count && p < 30; p++)
            fprintf(stderr, " %d=\"%s\"", ids[p], patterns[p]);
        fprintf(stderr, "\n");
        s_show("found", &found);
        s_show("expected", &expected);
    }
    free(found.items);
    free(expected.items);
    free(exact);
    free(ids);
    ktag_matcher_destroy(&matcher);
    CHECK(matcher == NULL);
    return same;
}

static void test_classic_overlapping_patterns(void)
{
    const char *patterns[] = { "he", "she", "his", "hers" };
    const char *text = "ushers and his sheep, he said";
    s_compare_with_naive(patterns, 4, text, strlen(text));
}

static void test_korean_nested_names_and_mixed_case(void)
{
    const char *patterns[] = { "sk하이닉스", "하이닉스", "이닉스", "sk", "삼성", "삼성전자", "전자", "lg에너지솔루션", "lg" };
    const char *text = "SK하이닉스와 삼성전자, 하이닉스 이닉스 Sk sK LG에너지솔루션 Lg에너지 삼성전자";
    s_compare_with_naive(patterns, 9, text, strlen(text));
}

static void test_one_byte_patterns_and_every_ascii_byte(void)
{
    char storage[128][2];
    const char *patterns[130];
    for (int c = 1; c < 128; c++) {
        storage[c][0] = (char) c;
        storage[c][1] = '\0';
        patterns[c - 1] = storage[c];
    }
    patterns[127] = "é가🙂";
    patterns[128] = "🙂";
    char text[400];
    size_t len = 0;
    for (int c = 1; c < 128; c++)
        text[len++] = (char) c;
    for (int r = 0; r < 3; r++) {
        memcpy(text + len, "é가🙂", strlen("é가🙂"));
        len += strlen("é가🙂");
    }
    s_compare_with_naive(patterns, 129, text, len);
}

static void test_ids_are_shared_by_equal_patterns(void)
{
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    CHECK_INT(ktag_matcher_builder_add(builder, "cb", 2), 0);
    CHECK_INT(ktag_matcher_builder_add(builder, "bw", 2), 1);
    CHECK_INT(ktag_matcher_builder_add(builder, "cb", 2), 0);
    CHECK_INT(ktag_matcher_builder_add(builder, "CB", 2), 0);
    CHECK_INT(ktag_matcher_builder_add(builder, "\xff", 1), -1);   /* not UTF-8 */
    CHECK_INT(ktag_matcher_builder_add(builder, "", 0), -1);
    CHECK_INT(ktag_matcher_builder_count(builder), 2);
    ktag_matcher_t *matcher = ktag_matcher_compile(&builder);
    CHECK(matcher != NULL);
    CHECK(ktag_matcher_memory(matcher) > 0);
    ktag_match_vec_t found = { 0 };
    CHECK_INT(ktag_matcher_scan(matcher, "", 0, &found), 0);
    CHECK_INT(found.count, 0);
    ktag_matcher_destroy(&matcher);
    ktag_matcher_destroy(&matcher);   /* accepts NULL */
}

static void test_an_empty_pattern_set_matches_nothing(void)
{
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    ktag_matcher_t *matcher = ktag_matcher_compile(&builder);
    CHECK(matcher != NULL);
    ktag_match_vec_t found = { 0 };
    const char *text = "삼성전자 SK하이닉스 abc 123";
    CHECK_INT(ktag_matcher_scan(matcher, text, strlen(text), &found), 0);
    CHECK_INT(found.count, 0);
    ktag_matcher_destroy(&matcher);
}

/*  Random pattern sets over pieces chosen to break assumptions: 1- to
    4-byte characters, ASCII letters in both cases, digits, spaces, Hangul
    sharing lead and continuation bytes; patterns built from the text so
    that they occur, prefixes and suffixes of each other, and long ones
    that cross SIMD blocks. */
static void test_random_pattern_sets_and_texts(void)
{
    static const char *const pieces[] = {
        "a", "B", "b", "Z", "z", "1", "9", " ", ".", "é", "É", "가", "각", "갂", "깋", "하", "이", "닉",
        "스", "🙂", "😀", "\xf0\x9f\x99\x82", "ㄱ", "€", "中",
    };
    const size_t piece_count = sizeof pieces / sizeof *pieces;
    int failures = 0;
    for (int round = 0; round < 400 && failures < 3; round++) {
        size_t alphabet = 2 + s_random((uint32_t) piece_count - 1);
        size_t offset = s_random((uint32_t) (piece_count - alphabet + 1));
        char text[2048] = "";
        size_t text_pieces = s_random(round % 4 == 0 ? 20 : 300);
        for (size_t k = 0; k < text_pieces; k++)
            strcat(text, pieces[offset + s_random((uint32_t) alphabet)]);
        size_t len = strlen(text);
        char storage[48][80];
        const char *patterns[48];
        size_t count = 1 + s_random(48);
        for (size_t p = 0; p < count; p++) {
            size_t kind = s_random(4);
            if (kind == 0 && len > 0) {
                /* a slice of the text, cut on a character boundary */
                size_t start = s_random((uint32_t) len), plen = 1 + s_random(40);
                while (start > 0 && ((unsigned char) text[start] & 0xC0) == 0x80)
                    start--;
                if (start + plen > len)
                    plen = len - start;
                while (start + plen < len && ((unsigned char) text[start + plen] & 0xC0) == 0x80)
                    plen++;
                memcpy(storage[p], text + start, plen);
                storage[p][plen] = '\0';
            } else if (kind == 1 && p > 0) {
                /* a prefix or suffix of an earlier pattern */
                const char *other = patterns[s_random((uint32_t) p)];
                size_t olen = strlen(other), cut = s_random((uint32_t) olen + 1);
                while (cut < olen && ((unsigned char) other[cut] & 0xC0) == 0x80)
                    cut++;
                if (s_random(2))
                    snprintf(storage[p], sizeof storage[p], "%.*s", (int) cut, other);
                else
                    snprintf(storage[p], sizeof storage[p], "%s", other + cut);
                if (!storage[p][0])
                    snprintf(storage[p], sizeof storage[p], "%s", pieces[offset]);
            } else {
                size_t plen = 1 + s_random(kind == 2 ? 3 : 12);
                storage[p][0] = '\0';
                for (size_t k = 0; k < plen; k++)
                    strcat(storage[p], pieces[offset + s_random((uint32_t) alphabet)]);
            }
            for (char *c = storage[p]; *c; c++)   /* patterns come lowercased */
                *c = (char) s_fold((unsigned char) *c);
            patterns[p] = storage[p];
        }
        if (!s_compare_with_naive(patterns, count, text, len))
            failures++;
    }
}

/*  A text that is one character repeated, against all its powers: every
    position starts many nested matches. */
static void test_deeply_nested_repeats(void)
{
    char storage[20][64];
    const char *patterns[20];
    for (size_t p = 0; p < 20; p++) {
        storage[p][0] = '\0';
        for (size_t k = 0; k <= p; k++)
            strcat(storage[p], "a");
        patterns[p] = storage[p];
    }
    char text[600];
    memset(text, 'A', sizeof text);
    s_compare_with_naive(patterns, 20, text, sizeof text);
}

static int s_compare_start_order(const void *a, const void *b, const ktag_lexicon_t *lex)
{
    const ktag_match_t *x = a, *y = b;
    uint32_t sx = x->end - lex->patterns[x->pattern].len, sy = y->end - lex->patterns[y->pattern].len;
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/*  The bundled lexicon's normalized forms, over generated Korean news-like
    text (forms, random syllables, capitalized Latin, digits, punctuation),
    against the automaton built from the same forms. */
static void test_bundled_lexicon_against_the_automaton(void)
{
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(LEXICONS, &err);
    CHECK(lex != NULL);
    if (!lex) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    ktag_automaton_builder_t *builder = ktag_automaton_builder_new();
    for (size_t p = 0; p < lex->pattern_count; p++)
        CHECK_INT(ktag_automaton_builder_add(builder, lex->forms[p], strlen(lex->forms[p])), p);
    ktag_automaton_t *automaton = ktag_automaton_compile(&builder);
    size_t cap = 1 << 16;
    char *text = malloc(cap);
    ktag_match_vec_t found = { 0 }, expected = { 0 };
    size_t total = 0;
    for (int round = 0; round < 40; round++) {
        size_t len = 0;
        size_t target = round % 2 ? 90 + s_random(60) : 3000 + s_random(3000);
        while (len + 64 < target) {
            uint32_t kind = s_random(10);
            if (kind < 4) {
                const char *form = lex->forms[s_random((uint32_t) lex->pattern_count)];
                size_t flen = strlen(form);
                if (len + flen + 1 >= cap)
                    break;
                for (size_t i = 0; i < flen; i++)   /* some Latin in capitals */
                    text[len + i] = (char) (s_random(3) == 0 && form[i] >= 'a' && form[i] <= 'z' ? form[i] - 32 : form[i]);
                len += flen;
            } else if (kind < 8) {
                uint32_t cp = 0xAC00 + s_random(11172);
                text[len++] = (char) (0xE0 | (cp >> 12));
                text[len++] = (char) (0x80 | ((cp >> 6) & 0x3F));
                text[len++] = (char) (0x80 | (cp & 0x3F));
            } else if (kind == 8) {
                static const char *const bits[] = { " ", ", ", "(상보) ", "KOSPI ", "2,500억원 ", "🙂", "· ", "\n" };
                const char *bit = bits[s_random(8)];
                memcpy(text + len, bit, strlen(bit));
                len += strlen(bit);
            } else {
                text[len++] = (char) ('A' + s_random(26));
            }
        }
        char *exact = malloc(len ? len : 1);
        memcpy(exact, text, len);
        found.count = expected.count = 0;
        CHECK_INT(ktag_matcher_scan(lex->matcher, exact, len, &found), 0);
        CHECK_INT(ktag_automaton_scan(automaton, exact, len, &expected), 0);
        /*  The automaton reports by end: put it in start order. */
        for (size_t i = 1; i < expected.count; i++) {
            ktag_match_t item = expected.items[i];
            size_t j = i;
            for (; j > 0 && s_compare_start_order(&expected.items[j - 1], &item, lex) > 0; j--)
                expected.items[j] = expected.items[j - 1];
            expected.items[j] = item;
        }
        bool same = s_same(&found, &expected);
        CHECK(same);
        if (!same) {
            s_show("found", &found);
            s_show("expected", &expected);
        }
        total += expected.count;
        free(exact);
    }
    CHECK(total > 1000);   /* the generated text does hold forms */
    free(found.items);
    free(expected.items);
    free(text);
    ktag_automaton_destroy(&automaton);
    ktag_lexicon_destroy(&lex);
}

int main(void)
{
    const char *wanted = getenv("KTAG_MATCHER");
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    ktag_matcher_t *probe = ktag_matcher_compile(&builder);
    const char *impl = ktag_matcher_impl(probe);
    ktag_matcher_destroy(&probe);
    if (wanted && *wanted && strcmp(wanted, impl) != 0) {
        printf("test_matcher: KTAG_MATCHER=%s is not available on this CPU (it would run %s): skipped\n", wanted,
               impl);
        return 77;
    }
    printf("test_matcher: testing the %s matcher\n", impl);
    test_classic_overlapping_patterns();
    test_korean_nested_names_and_mixed_case();
    test_one_byte_patterns_and_every_ascii_byte();
    test_ids_are_shared_by_equal_patterns();
    test_an_empty_pattern_set_matches_nothing();
    test_random_pattern_sets_and_texts();
    test_deeply_nested_repeats();
    test_bundled_lexicon_against_the_automaton();
    return check_report("test_matcher");
}
