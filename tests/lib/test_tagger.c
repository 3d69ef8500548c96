/*  test_tagger.c - what a user sees: entities with the Korean boundary
    rules, overlaps, offsets in every unit into the ORIGINAL text, titles,
    type filters, bad input, and one lexicon shared by many threads. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "ktag/ktag.h"
#include "result.h"

static ktag_lexicon_t *lex;
static ktag_result_t *res;

/*  Tag `text` and return the mentions as "id@start-end" joined by spaces. */
static const char *s_tag_with(const char *text, const ktag_options_t *options)
{
    static char out[2048];
    ktag_error_t err = { 0 };
    out[0] = '\0';
    if (ktag_tag(res, lex, text, strlen(text), NULL, 0, options, &err)) {
        snprintf(out, sizeof out, "error: %s", err.message);
        return out;
    }
    for (size_t i = 0; i < ktag_result_entity_count(res); i++) {
        const ktag_entity_t *e = ktag_result_entity(res, i);
        size_t used = strlen(out);
        snprintf(out + used, sizeof out - used, "%s%s@%zu-%zu", used ? " " : "", e->id, e->start, e->end);
    }
    return out;
}

static const char *s_tag(const char *text)
{
    return s_tag_with(text, NULL);
}

static void test_particles_after_hangul_and_latin_names(void)
{
    CHECK_STR(s_tag("딥시크가 엔비디아는 SK하이닉스의"), "x:deepseek@0-3 x:nvidia@5-9 000660@11-17");
    CHECK_STR(s_tag("H800으로 CB를"), "h800@0-4 cb@7-9");
    CHECK_STR(s_tag("삼성전자에서는"), "005930@0-4");      /* compound josa */
    CHECK_STR(s_tag("GPU와 HBM3E"), "gpu@0-3 hbm3e@5-10");
}

static void test_latin_and_digit_edges_need_a_non_alnum_neighbour(void)
{
    CHECK_STR(s_tag("CBS 보도"), "");
    CHECK_STR(s_tag("H1000 출시"), "");
    CHECK_STR(s_tag("XH100"), "");
    CHECK_STR(s_tag("(H100)"), "h100@1-5");
    CHECK_STR(s_tag("美엔비디아·SK하이닉스"), "x:nvidia@1-5 000660@6-12");
}

static void test_hangul_edges_need_a_non_hangul_neighbour_or_a_particle(void)
{
    CHECK_STR(s_tag("투자대상 주가"), "");        /* 대상 inside 투자대상 */
    CHECK_STR(s_tag("전환사채권"), "");           /* 권 is not a particle */
    CHECK_STR(s_tag("SK건설"), "");               /* SK followed by a non-particle */
    CHECK_STR(s_tag("엔비디아주 급등"), "");
    CHECK_STR(s_tag("딥시크가가"), "");           /* a particle must itself end the word */
}

static void test_glue_flag_lets_any_hangul_follow(void)
{
    CHECK_STR(s_tag("유상증자결정"), "rights_offering@0-4");
    CHECK_STR(s_tag("무상유상증자"), "");         /* the left edge still counts */
}

static void test_ambiguous_names_need_finance_context(void)
{
    CHECK_STR(s_tag("올해의 대상 수상"), "");
    CHECK_STR(s_tag("대상 주가 급등"), "001680@0-2");
    CHECK_STR(s_tag("대상, 3% 올라"), "001680@0-2");
}

static void test_no_mention_inside_a_stop_phrase(void)
{
    CHECK_STR(s_tag("주주 대상으로 급등"), "");          /* 대상 has a cue, but sits in a stop phrase */
    CHECK_STR(s_tag("(대상) 주가 급등"), "");
    CHECK_STR(s_tag("대상 주가 급등, 대상으로"), "001680@0-2");
}

static void test_leftmost_longest_and_all_overlaps(void)
{
    CHECK_STR(s_tag("SK하이닉스"), "000660@0-6");
    ktag_options_t options;
    ktag_options_init(&options);
    options.overlaps = true;
    CHECK_STR(s_tag_with("SK하이닉스", &options), "000660@0-6 000660@2-6");
    CHECK_STR(s_tag("NH투자 -NH"), "005940@0-4 005940@6-8");
}

static void test_normalized_matching_reports_original_offsets(void)
{
    CHECK_STR(s_tag("ＳＫ하이닉스 sk하이닉스 Sk하이닉스"), "000660@0-6 000660@7-13 000660@14-20");
    ktag_tag(res, lex, "ＳＫ하이닉스", strlen("ＳＫ하이닉스"), NULL, 0, NULL, NULL);
    CHECK_STR(ktag_result_entity(res, 0)->text, "ＳＫ하이닉스");
    CHECK_STR(ktag_result_entity(res, 0)->name, "SK하이닉스");
    CHECK_INT(ktag_result_entity(res, 0)->byte_end, strlen("ＳＫ하이닉스"));
    CHECK_STR(s_tag("samsung ELECTRONICS"), "005930@0-19");
    CHECK_STR(s_tag("SK㈜가"), "034730@0-3");
}

static void test_offset_units_after_emoji_and_combining_marks(void)
{
    const char *text = "🙂e\xcc\x81 엔비디아\r\n딥시크";
    ktag_options_t options;
    ktag_options_init(&options);
    CHECK_STR(s_tag_with(text, &options), "x:nvidia@4-8 x:deepseek@10-13");
    options.offsets = KTAG_OFFSETS_UTF16;   /* the emoji is a surrogate pair */
    CHECK_STR(s_tag_with(text, &options), "x:nvidia@5-9 x:deepseek@11-14");
    options.offsets = KTAG_OFFSETS_BYTE;
    CHECK_STR(s_tag_with(text, &options), "x:nvidia@8-20 x:deepseek@22-31");
}

static void test_types_filter_keeps_only_the_requested_types(void)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.types = 1u << KTAG_TYPE_CHIP;
    CHECK_STR(s_tag_with("엔비디아 H100 CB", &options), "h100@5-9");
}

/*  A bit that names no type (an uninitialized mask, a type from a newer
    header) is refused like an unknown offset unit, not read as "nothing
    wanted": that tagged silently without a single entity. */
static void test_types_naming_no_type_are_refused(void)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.types = 1u << KTAG_TYPE_COUNT;
    ktag_error_t err = { 0 };
    CHECK_INT(ktag_tag(res, lex, "엔비디아", strlen("엔비디아"), NULL, 0, &options, &err), KTAG_ERR_INVALID);
    CHECK_INT(err.code, KTAG_ERR_INVALID);
    CHECK(strstr(err.message, "options.types") != NULL);
    CHECK_INT(ktag_result_entity_count(res), 0);
    CHECK(ktag_result_sentiment(res) == NULL);
    options.types = (1u << KTAG_TYPE_CHIP) | 0x80000000u;
    CHECK_INT(ktag_tag(res, lex, "H100", 4, NULL, 0, &options, NULL), KTAG_ERR_INVALID);
    options.types = (1u << KTAG_TYPE_COUNT) - 1;   /* every type, spelled out */
    CHECK_STR(s_tag_with("엔비디아 H100", &options), "x:nvidia@0-4 h100@5-9");
}

static void test_title_is_tagged_first_with_its_own_offsets(void)
{
    const char *title = "딥시크 충격";
    const char *text = "엔비디아 하락";
    CHECK_INT(ktag_tag(res, lex, text, strlen(text), title, strlen(title), NULL, NULL), 0);
    CHECK_INT(ktag_result_entity_count(res), 2);
    CHECK_INT(ktag_result_entity(res, 0)->field, KTAG_FIELD_TITLE);
    CHECK_STR(ktag_result_entity(res, 0)->id, "x:deepseek");
    CHECK_INT(ktag_result_entity(res, 1)->field, KTAG_FIELD_TEXT);
    CHECK_INT(ktag_result_entity(res, 1)->start, 0);
}

/*  Writers take the lengths instead of calling strlen per string. */
static void test_entity_strings_carry_their_lengths(void)
{
    const char *text = "SK하이닉스가 올랐다";
    CHECK_INT(ktag_tag(res, lex, text, strlen(text), NULL, 0, NULL, NULL), 0);
    CHECK_INT(ktag_result_entity_count(res), 1);
    const ktag_entity_t *e = ktag_result_entity(res, 0);
    CHECK_STR(e->id, "000660");
    CHECK_INT(e->id_len, 6);
    CHECK_STR(e->name, "SK하이닉스");
    CHECK_INT(e->name_len, strlen("SK하이닉스"));
    CHECK_INT(e->byte_end - e->byte_start, strlen(e->text));
    CHECK_INT(e->attr_count, 2);
    for (size_t a = 0; a < e->attr_count; a++) {
        CHECK_INT(e->attrs[a].key_len, strlen(e->attrs[a].key));
        CHECK_INT(e->attrs[a].value_len, strlen(e->attrs[a].value));
    }
    CHECK_STR(e->attrs[1].value, "KR7000660001");
    CHECK_INT(e->attrs[1].value_len, 12);
}

static void test_invalid_utf8_empty_and_whitespace_input(void)
{
    ktag_error_t err = { 0 };
    CHECK_INT(ktag_tag(res, lex, "엔비디아 \xff", 14, NULL, 0, NULL, &err), KTAG_ERR_BAD_UTF8);
    CHECK_INT(err.offset, 13);
    CHECK(strstr(err.message, "text at byte offset 13") != NULL);
    CHECK_INT(ktag_result_entity_count(res), 0);
    CHECK_INT(ktag_tag(res, lex, "ok", 2, "\xc3", 1, NULL, &err), KTAG_ERR_BAD_UTF8);
    CHECK(strstr(err.message, "title at byte offset 0") != NULL);
    CHECK_STR(s_tag(""), "");
    CHECK(ktag_result_sentiment(res) != NULL);
    CHECK_STR(ktag_result_sentiment(res)->label, "neutral");
    CHECK_STR(s_tag(" \t\r\n  "), "");
    CHECK_INT(ktag_tag(res, lex, NULL, 0, NULL, 0, NULL, &err), 0);
}

/*  The size limit is checked before a byte is read, so a short buffer
    with a huge length is enough; the message names the field that is too
    long, as for invalid UTF-8, and the limit is exactly what the header
    says: 1 GiB or more is refused. */
static void test_a_field_too_large_is_named(void)
{
    ktag_error_t err = { 0 };
    size_t gib = (size_t) 1 << 30;
    CHECK_INT(ktag_tag(res, lex, "ok", 2, "x", gib, NULL, &err), KTAG_ERR_TOO_LARGE);
    CHECK(strncmp(err.message, "title", 5) == 0);
    CHECK_INT(ktag_result_entity_count(res), 0);
    CHECK_INT(ktag_tag(res, lex, "x", gib, "ok", 2, NULL, &err), KTAG_ERR_TOO_LARGE);
    CHECK(strncmp(err.message, "text", 4) == 0);
    CHECK_INT(ktag_tag(res, lex, "x", SIZE_MAX, NULL, 0, NULL, &err), KTAG_ERR_TOO_LARGE);
}

static void test_sentiment_can_be_turned_off(void)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.sentiment = false;
    s_tag_with("엔비디아 급등", &options);
    CHECK(ktag_result_sentiment(res) == NULL);
    CHECK_INT(ktag_result_sentence_count(res), 0);
    s_tag("엔비디아 급등");
    CHECK(ktag_result_sentiment(res) != NULL);
    CHECK(ktag_result_sentiment(res)->score > 0);
    CHECK_STR(ktag_result_lexicon_version(res), ktag_lexicon_version(lex));
}

/*  Without sentiment the scan uses a matcher that does not look for the
    terms that are nothing else (훈풍 in the fixture; 급등 and 하락 are
    also the events analyzer's words); a term that is also a context cue
    (선방) must still be found, and every id must come out as with
    sentiment on. */
static void test_entities_do_not_depend_on_sentiment(void)
{
    static const char *const texts[] = {
        "대상 선방",                          /* the cue that is also a term */
        "대상 훈풍",                          /* a term only: no cue, no mention */
        "SK하이닉스 훈풍, 삼성전자 하락 대상 상승",
        "훈풍 하락 급등 상승 NH 엔비디아 H800 CB 유상증자결정 훈풍 딥시크",
        "주주 대상으로 훈풍 (대상) 주가 하락",
    };
    ktag_options_t off;
    ktag_options_init(&off);
    off.sentiment = false;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char with[2048];
        snprintf(with, sizeof with, "%s", s_tag(texts[i]));
        CHECK_STR(s_tag_with(texts[i], &off), with);
    }
    CHECK_STR(s_tag_with("훈풍 대상 선방 딥시크", &off), "001680@3-5 x:deepseek@9-12");
}

static void test_results_outlive_the_callers_lexicon_reference(void)
{
    ktag_error_t err = { 0 };
    ktag_lexicon_t *own = ktag_lexicon_open(FIXTURES "/good", &err);
    ktag_result_t *result = ktag_result_new();
    ktag_tag(result, own, "딥시크", strlen("딥시크"), NULL, 0, NULL, NULL);
    ktag_lexicon_destroy(&own);            /* the result keeps it alive */
    CHECK_STR(ktag_result_entity(result, 0)->name, "딥시크");
    ktag_result_destroy(&result);
    CHECK(result == NULL);
}

static void test_a_long_text_without_punctuation_is_scored_in_pieces(void)
{
    /*  Scraped tables come without sentence ends; the scorer cuts them so
        that its per-mention work stays bounded (it was quadratic). */
    size_t reps = 20000;
    const char *unit = "엔비디아 딥시크 상승 ";
    size_t unit_len = strlen(unit);
    char *text = malloc(reps * unit_len + 1);
    for (size_t i = 0; i < reps; i++)
        memcpy(text + i * unit_len, unit, unit_len);
    text[reps * unit_len] = '\0';
    CHECK_INT(ktag_tag(res, lex, text, reps * unit_len, NULL, 0, NULL, NULL), 0);
    CHECK_INT(ktag_result_entity_count(res), 2 * reps);
    CHECK(ktag_result_sentence_count(res) >= reps * unit_len / 600);
    bool in_range = true;
    for (size_t i = 0; i < ktag_result_entity_count(res); i++)
        in_range &= ktag_result_entity(res, i)->sentiment > 0 && ktag_result_entity(res, i)->sentiment <= 1;
    CHECK(in_range);
    free(text);
}

/*  The work (cues and stop phrases visited) the tagger spends filtering
    `reps` copies of `unit`. */
static size_t s_filter_work(const char *unit, size_t reps, size_t *entities)
{
    size_t unit_len = strlen(unit);
    char *text = malloc(reps * unit_len + 1);
    for (size_t i = 0; i < reps; i++)
        memcpy(text + i * unit_len, unit, unit_len);
    ktag_options_t options;
    ktag_options_init(&options);
    options.sentiment = false;
    CHECK_INT(ktag_tag(res, lex, text, reps * unit_len, NULL, 0, &options, NULL), 0);
    *entities = ktag_result_entity_count(res);
    free(text);
    return ktag_result_filter_work(res);
}

static void test_ambiguous_names_and_stop_phrases_filter_in_linear_work(void)
{
    /*  Issue 16: each ambiguous candidate scanned every cue and every
        candidate every stop phrase, so 4x the text cost 16x the work. */
    static const char *const units[] = { "대상 주가 ", "전방 산업 대상 주가 ", "(대상) 주가 ", "주가 대상으로 " };
    static const size_t expected[] = { 1, 1, 0, 0 };   /* entities per unit */
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        size_t small_entities, big_entities;
        size_t small = s_filter_work(units[u], 1000, &small_entities);
        size_t big = s_filter_work(units[u], 4000, &big_entities);
        CHECK_INT(small_entities, 1000 * expected[u]);
        CHECK_INT(big_entities, 4000 * expected[u]);
        CHECK(small > 0);
        CHECK(2 * big <= 9 * small);   /* linear: 4x plus the edges; quadratic was 16x */
        CHECK(big <= 4000 * 16);   /* a bounded number of visits per candidate */
    }
}

/*  text[0, byte) in `unit`, counted the slow way. */
static size_t s_units(const char *text, size_t byte, int unit)
{
    if (unit == KTAG_OFFSETS_BYTE)
        return byte;
    size_t units = 0;
    for (size_t i = 0; i < byte; i++) {
        unsigned char b = (unsigned char) text[i];
        if ((b & 0xC0) != 0x80)
            units += unit == KTAG_OFFSETS_UTF16 && b >= 0xF0 ? 2 : 1;
    }
    return units;
}

static void test_offsets_far_into_a_long_text_in_every_unit(void)
{
    /*  Offsets are ranks in 64-byte blocks marked 16 bytes at a time:
        mentions after 5,000 bytes of mixed 1-, 3- and 4-byte characters,
        at every alignment in a block, the text ending at every alignment. */
    static const char filler[] = "a가🙂, 나，😀b";
    char *text = malloc(6000);
    for (size_t shift = 0; shift < 64; shift++) {
        size_t len = 0;
        while (len < 5000 + shift) {
            size_t n = len + sizeof filler - 1 <= 5000 + shift ? sizeof filler - 1 : 1;
            memcpy(text + len, n == 1 ? " " : filler, n);
            len += n;
        }
        const char *tail = " 엔비디아가 H800으로";
        strcpy(text + len, tail);
        size_t total = len + strlen(tail);
        for (int run = 0; run < 6; run++) {
            int unit = run % 3;
            ktag_options_t options;
            ktag_options_init(&options);
            options.offsets = (ktag_offset_unit_t) unit;
            options.sentiment = run < 3;   /* without sentences, one count runs over 5,000 bytes */
            CHECK_INT(ktag_tag(res, lex, text, total, NULL, 0, &options, NULL), 0);
            CHECK_INT(ktag_result_entity_count(res), 2);
            for (size_t e = 0; e < ktag_result_entity_count(res) && e < 2; e++) {
                const ktag_entity_t *entity = ktag_result_entity(res, e);
                CHECK_INT(entity->start, s_units(text, entity->byte_start, unit));
                CHECK_INT(entity->end, s_units(text, entity->byte_end, unit));
            }
            size_t sentences = ktag_result_sentence_count(res);
            CHECK(options.sentiment ? sentences > 0 : sentences == 0);
            if (sentences)   /* the last sentence ends with the text */
                CHECK_INT(ktag_result_sentence(res, sentences - 1)->end, s_units(text, total, unit));
        }
    }
    free(text);
}

static void test_sentiment_of_a_span_for_the_events_analyzer(void)
{
    /*  Normalized byte offsets of the title and the text (ASCII and Hangul
        are kept as they are, so they are the original bytes here). */
    const char *title = "엔비디아 급등";
    const char *text = "SK하이닉스 급등. 삼성전자 하락.";
    CHECK_INT(ktag_tag(res, lex, text, strlen(text), title, strlen(title), NULL, NULL), 0);
    const ktag_sentiment_findings_t *found = &res->sentiment_findings;
    size_t rise = strlen("SK하이닉스 "), fall = strlen("SK하이닉스 급등. 삼성전자 ");
    CHECK(ktag_sentiment_span_score(found, KTAG_FIELD_TEXT, 0, (uint32_t) rise + 6) > 0.5);
    CHECK(ktag_sentiment_span_score(found, KTAG_FIELD_TEXT, (uint32_t) fall, (uint32_t) strlen(text)) < -0.3);
    CHECK(ktag_sentiment_span_score(found, KTAG_FIELD_TEXT, 0, (uint32_t) rise) == 0);   /* no term inside */
    double both = ktag_sentiment_span_score(found, KTAG_FIELD_TEXT, 0, (uint32_t) strlen(text));
    CHECK(both > 0 && both < ktag_sentiment_span_score(found, KTAG_FIELD_TEXT, 0, (uint32_t) rise + 6));
    CHECK(ktag_sentiment_span_score(found, KTAG_FIELD_TITLE, 0, (uint32_t) strlen(title)) > 0.5);
    CHECK(ktag_sentiment_span_score(found, KTAG_FIELD_TITLE, 0, 3) == 0);
}

static void *s_worker(void *arg)
{
    (void) arg;
    ktag_result_t *result = ktag_result_new();
    const char *text = "딥시크가 엔비디아 H800으로 SK하이닉스와 삼성전자를 위협";
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        ktag_tag(result, lex, text, strlen(text), NULL, 0, NULL, NULL);
        bad += ktag_result_entity_count(result) != 5;
    }
    ktag_result_destroy(&result);
    return (void *) (intptr_t) bad;
}

static void test_one_lexicon_shared_by_threads(void)
{
    pthread_t threads[4];
    for (int t = 0; t < 4; t++)
        pthread_create(&threads[t], NULL, s_worker, NULL);
    intptr_t bad = 0;
    for (int t = 0; t < 4; t++) {
        void *ret;
        pthread_join(threads[t], &ret);
        bad += (intptr_t) ret;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    ktag_error_t err = { 0 };
    lex = ktag_lexicon_open(FIXTURES "/good", &err);
    if (!lex) {
        fprintf(stderr, "cannot load the fixture: %s\n", err.message);
        return 1;
    }
    res = ktag_result_new();
    test_particles_after_hangul_and_latin_names();
    test_latin_and_digit_edges_need_a_non_alnum_neighbour();
    test_hangul_edges_need_a_non_hangul_neighbour_or_a_particle();
    test_glue_flag_lets_any_hangul_follow();
    test_ambiguous_names_need_finance_context();
    test_no_mention_inside_a_stop_phrase();
    test_leftmost_longest_and_all_overlaps();
    test_normalized_matching_reports_original_offsets();
    test_offset_units_after_emoji_and_combining_marks();
    test_types_filter_keeps_only_the_requested_types();
    test_types_naming_no_type_are_refused();
    test_title_is_tagged_first_with_its_own_offsets();
    test_entity_strings_carry_their_lengths();
    test_invalid_utf8_empty_and_whitespace_input();
    test_a_field_too_large_is_named();
    test_sentiment_can_be_turned_off();
    test_entities_do_not_depend_on_sentiment();
    test_results_outlive_the_callers_lexicon_reference();
    test_a_long_text_without_punctuation_is_scored_in_pieces();
    test_ambiguous_names_and_stop_phrases_filter_in_linear_work();
    test_sentiment_of_a_span_for_the_events_analyzer();
    test_offsets_far_into_a_long_text_in_every_unit();
    test_one_lexicon_shared_by_threads();
    ktag_result_destroy(&res);
    ktag_lexicon_destroy(&lex);
    return check_report("test_tagger");
}
