/*  test_automaton.c - the double-array Aho-Corasick finds exactly what a
    naive search finds, on overlapping, nested and random patterns. */
#include <stdbool.h>
#include <stdlib.h>

#include "automaton.h"
#include "check.h"

static int s_compare(const void *a, const void *b)
{
    const ktag_match_t *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->pattern < y->pattern ? -1 : x->pattern > y->pattern;
}

/*  Compare the automaton with a brute-force search over `text`. */
static void s_compare_with_naive(const char **patterns, size_t count, const char *text)
{
    ktag_automaton_builder_t *builder = ktag_automaton_builder_new();
    int32_t *ids = malloc(count * sizeof *ids);
    for (size_t p = 0; p < count; p++)
        ids[p] = ktag_automaton_builder_add(builder, patterns[p], strlen(patterns[p]));
    ktag_automaton_t *automaton = ktag_automaton_compile(&builder);
    CHECK(automaton != NULL);
    CHECK(builder == NULL);
    ktag_match_vec_t found = { 0 }, expected = { 0 };
    size_t len = strlen(text);
    CHECK_INT(ktag_automaton_scan(automaton, text, len, &found), 0);
    for (size_t end = 1; end <= len; end++)
        for (size_t p = 0; p < count; p++) {
            size_t plen = strlen(patterns[p]);
            bool first = true;     /* a duplicate pattern is reported once */
            for (size_t q = 0; q < p; q++)
                first &= ids[q] != ids[p];
            if (first && plen <= end && memcmp(text + end - plen, patterns[p], plen) == 0) {
                expected.items = realloc(expected.items, (expected.count + 1) * sizeof *expected.items);
                expected.items[expected.count++] = (ktag_match_t) { (uint32_t) ids[p], (uint32_t) end };
            }
        }
    if (found.count > 1)
        qsort(found.items, found.count, sizeof *found.items, s_compare);
    if (expected.count > 1)
        qsort(expected.items, expected.count, sizeof *expected.items, s_compare);
    CHECK_INT(found.count, expected.count);
    if (found.count == expected.count)
        CHECK(found.count == 0 || memcmp(found.items, expected.items, found.count * sizeof *found.items) == 0);
    free(found.items);
    free(expected.items);
    free(ids);
    ktag_automaton_destroy(&automaton);
}

static void test_classic_overlapping_patterns(void)
{
    const char *patterns[] = { "he", "she", "his", "hers" };
    s_compare_with_naive(patterns, 4, "ushers and his sheep, he said");
}

static void test_korean_nested_names(void)
{
    const char *patterns[] = { "sk하이닉스", "하이닉스", "이닉스", "sk", "삼성", "삼성전자", "전자" };
    s_compare_with_naive(patterns, 7, "sk하이닉스와 삼성전자, 하이닉스 이닉스 sk sk");
}

static void test_duplicate_patterns_share_an_id(void)
{
    ktag_automaton_builder_t *builder = ktag_automaton_builder_new();
    int32_t a = ktag_automaton_builder_add(builder, "cb", 2);
    int32_t b = ktag_automaton_builder_add(builder, "bw", 2);
    int32_t c = ktag_automaton_builder_add(builder, "cb", 2);
    CHECK_INT(a, 0);
    CHECK_INT(b, 1);
    CHECK_INT(c, 0);
    CHECK_INT(ktag_automaton_builder_count(builder), 2);
    ktag_automaton_builder_destroy(&builder);
    CHECK(builder == NULL);
}

static void test_random_patterns_over_a_small_alphabet(void)
{
    srand(7);
    for (int round = 0; round < 50; round++) {
        static const char *const letters[] = { "a", "b", "가", "🙂" };
        char storage[40][32];
        const char *patterns[40];
        size_t count = 1 + (size_t) (rand() % 40);
        for (size_t p = 0; p < count; p++) {
            size_t len = 1 + (size_t) (rand() % 6);
            storage[p][0] = '\0';
            for (size_t k = 0; k < len; k++)
                strcat(storage[p], letters[rand() % 4]);
            patterns[p] = storage[p];
        }
        char text[1600] = "";
        for (size_t k = 0; k < 300; k++)
            strcat(text, letters[rand() % 4]);
        s_compare_with_naive(patterns, count, text);
    }
}

static void test_every_ascii_character_and_code_points_of_every_width(void)
{
    ktag_automaton_builder_t *builder = ktag_automaton_builder_new();
    char all[128];
    int32_t ids[128];
    for (int c = 1; c < 128; c++) {
        all[c - 1] = (char) c;
        ids[c] = ktag_automaton_builder_add(builder, &all[c - 1], 1);
        CHECK(ids[c] >= 0);
    }
    for (int c = 'a'; c <= 'z'; c++)
        CHECK_INT(ids[c], ids[c - 'a' + 'A']);   /* ASCII case folds */
    CHECK_INT(ktag_automaton_builder_add(builder, "é가🙂", strlen("é가🙂")), 101);
    CHECK_INT(ktag_automaton_builder_add(builder, "\xff", 1), -1);    /* not UTF-8 */
    CHECK_INT(ktag_automaton_builder_add(builder, "", 0), -1);        /* empty */
    ktag_automaton_t *automaton = ktag_automaton_compile(&builder);
    ktag_match_vec_t found = { 0 };
    ktag_automaton_scan(automaton, all, 127, &found);
    CHECK_INT(found.count, 127);
    for (size_t i = 0; i < found.count; i++)
        CHECK_INT(found.items[i].end, i + 1);
    found.count = 0;
    const char *text = "xé가🙂é가🙂\xea";   /* a cut sequence at the end ends the scan */
    ktag_automaton_scan(automaton, text, strlen(text), &found);
    size_t ends = 0;
    for (size_t i = 0; i < found.count; i++)
        ends += found.items[i].pattern == 101;
    CHECK_INT(ends, 2);
    free(found.items);
    ktag_automaton_destroy(&automaton);
}

static void test_ascii_letters_match_whatever_their_case(void)
{
    ktag_automaton_builder_t *builder = ktag_automaton_builder_new();
    CHECK_INT(ktag_automaton_builder_add(builder, "sk하이닉스", strlen("sk하이닉스")), 0);
    CHECK_INT(ktag_automaton_builder_add(builder, "lg", 2), 1);
    CHECK_INT(ktag_automaton_builder_add(builder, "LG", 2), 1);
    ktag_automaton_t *automaton = ktag_automaton_compile(&builder);
    ktag_match_vec_t found = { 0 };
    const char *text = "SK하이닉스, Sk하이닉스, LG와 lG, É";
    CHECK_INT(ktag_automaton_scan(automaton, text, strlen(text), &found), 0);
    CHECK_INT(found.count, 4);
    if (found.count == 4) {
        CHECK_INT(found.items[0].end, strlen("SK하이닉스"));
        CHECK_INT(found.items[1].pattern, 0);
        CHECK_INT(found.items[2].pattern, 1);
        CHECK_INT(found.items[3].end, strlen("SK하이닉스, Sk하이닉스, LG와 lG"));
    }
    free(found.items);
    ktag_automaton_destroy(&automaton);
}

int main(void)
{
    test_classic_overlapping_patterns();
    test_korean_nested_names();
    test_duplicate_patterns_share_an_id();
    test_random_patterns_over_a_small_alphabet();
    test_every_ascii_character_and_code_points_of_every_width();
    test_ascii_letters_match_whatever_their_case();
    return check_report("test_automaton");
}
