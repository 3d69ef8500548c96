/*  test_guess.c - companies the lexicon does not know, found by structure
    (guess.c): each rule on sentences written for this test, the words and
    shapes that must not be taken for a company, guessed mentions as the
    analyzers and the result see them, and the anchor words the rules start
    from.  Every test runs once per matcher implementation: the anchors are
    the matcher's hits. */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "guess.h"
#include "ktag/ktag.h"
#include "lexicon_internal.h"
#include "normalize.h"
#include "result.h"

static ktag_lexicon_t *lex;
static ktag_result_t *res;

/*  Tag `text` and return the entities as "id/name@start-end" joined by
    spaces. */
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
        snprintf(out + used, sizeof out - used, "%s%s/%s@%zu-%zu", used ? " " : "", e->id, e->name, e->start,
                 e->end);
    }
    return out;
}

static const char *s_tag(const char *text)
{
    return s_tag_with(text, NULL);
}

static void test_subsidiary_cue_names_the_company_after_it(void)
{
    CHECK_STR(s_tag("한빛소재 자회사 누리온바이오, 신약 임상 승인"), "x:누리온바이오/누리온바이오@9-15");
    CHECK_STR(s_tag("삼성전자 관계사 다온테크, 공장 증설"), "005930/삼성전자@0-4 x:다온테크/다온테크@9-13");
    CHECK_STR(s_tag("SK 손자회사 ZETA, 유럽 진출"), "034730/SK@0-2 x:zeta/ZETA@8-12");
    /* followed by more words, a name needs a corporate ending */
    CHECK_STR(s_tag("삼성전자 계열사 한결에너지 공장 증설"), "005930/삼성전자@0-4 x:한결에너지/한결에너지@9-14");
    CHECK_STR(s_tag("삼성전자 자회사 누리온 공장 증설"), "005930/삼성전자@0-4");
}

static void test_subsidiary_cue_before_common_words_guesses_nothing(void)
{
    CHECK_STR(s_tag("삼성전자, 자회사 설립 추진"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 자회사 흡수합병 결정"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 자회사 호조에 실적 개선"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 자회사 고형암 신약 임상"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("완전 자회사 편입 소식"), "");
    CHECK_STR(s_tag("SK 자회사 AI 플랫폼 공개"), "034730/SK@0-2");
}

static void test_partner_with_a_deal_word_in_the_same_clause(void)
{
    CHECK_STR(s_tag("SK하이닉스, 가람로직스와 반도체 장비 공급 계약"),
              "000660/SK하이닉스@0-6 x:가람로직스/가람로직스@8-13");
    CHECK_STR(s_tag("삼성전자, 미래온에너지과 합작법인 설립"), "005930/삼성전자@0-4");   /* 과 after a vowel */
    CHECK_STR(s_tag("삼성전자, 한울정밀과 MOU 체결"), "005930/삼성전자@0-4 x:한울정밀/한울정밀@6-10");
    /* no deal word, or the deal word in another clause */
    CHECK_STR(s_tag("삼성전자, 가람로직스와 점심 회동"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("가람로직스와 만났다, 업무협약은 없었다"), "");
}

static void test_partner_that_is_no_company_is_not_guessed(void)
{
    CHECK_STR(s_tag("삼성전자, 서울대학병원과 업무협약"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 인도네시아와 합작 추진"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 지방정부와 업무협약"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 전국은행연합회와 업무협약"), "005930/삼성전자@0-4");
    CHECK_STR(s_tag("삼성전자, 홍길동과 합작"), "005930/삼성전자@0-4");   /* three syllables, no ending */
    CHECK_STR(s_tag("삼성전자, CDC와 업무협약"), "005930/삼성전자@0-4");   /* a short acronym */
    /* a known company is the lexicon's, and the rest of a known name is no partner */
    CHECK_STR(s_tag("딥시크와 업무협약"), "x:deepseek/딥시크@0-3");
    CHECK_STR(s_tag("삼성전자 가람로직스와 업무협약"), "005930/삼성전자@0-4");
}

static void test_headline_opening_with_a_corporate_event(void)
{
    CHECK_STR(s_tag("누리온바이오, 코스닥 상장 예비심사 청구"), "x:누리온바이오/누리온바이오@0-6");
    CHECK_STR(s_tag("[특징주] 한결에너지, 공급계약 소식에 급등"), "x:한결에너지/한결에너지@6-11");
    /* without a corporate ending, only when the headline also names a partner */
    CHECK_STR(s_tag("누리온, 가람로직스와 업무협약"), "x:누리온/누리온@0-3 x:가람로직스/가람로직스@5-10");
    CHECK_STR(s_tag("누리온, 코스닥 상장 추진"), "");
    /* no corporate event */
    CHECK_STR(s_tag("누리온바이오, 신제품 출시"), "");
    /* not at the opening */
    CHECK_STR(s_tag("오늘 누리온바이오, 코스닥 상장"), "");
}

static void test_endings_only_companies_have(void)
{
    CHECK_STR(s_tag("삼성전자는 한울자산운용의 펀드에 투자했다"), "005930/삼성전자@0-4 x:한울자산운용/한울자산운용@6-12");
    CHECK_STR(s_tag("우리 경제와 누리홀딩스 지분"), "x:누리홀딩스/누리홀딩스@7-12");
    /* the ending alone, or a common word with it, is no name */
    CHECK_STR(s_tag("홀딩스 체제로 전환"), "");
    CHECK_STR(s_tag("벤처캐피탈 투자가 늘었다"), "");
    CHECK_STR(s_tag("바이오테크놀로지 산업의 성장"), "");
    /* every strong ending is found (each is an anchor word of the matcher),
       bare or with a particle, before a space or a comma */
    static const char *const endings[] = { "홀딩스", "자산운용", "파트너스", "인베스트먼트", "테크놀로지스",
                                           "테크놀로지", "캐피탈", "저축은행", "종건", "바이오텍",
                                           "바이오로직스", "코퍼레이션", "인터내셔널", "엔터테인먼트" };
    for (size_t i = 0; i < sizeof endings / sizeof *endings; i++) {
        char text[128], expected[256];
        snprintf(text, sizeof text, "오늘 가람%s 주가", endings[i]);
        snprintf(expected, sizeof expected, "x:가람%s/가람%s@3-%zu", endings[i], endings[i],
                 3 + 2 + strlen(endings[i]) / 3);
        CHECK_STR(s_tag(text), expected);
    }
    CHECK_STR(s_tag("오늘 가람홀딩스가, 주가 급등"), "x:가람홀딩스/가람홀딩스@3-8");
    CHECK_STR(s_tag("가람홀딩스, 주가 급등"), "x:가람홀딩스/가람홀딩스@0-5");
    CHECK_STR(s_tag("오늘 가람홀딩스에서 발표"), "");   /* 에서 leaves a word, not a name, before the space */
    CHECK_STR(s_tag("주가 급등 가람홀딩스"), "");        /* nor at the end of the text */
    /* a weaker ending (바이오, 에너지) needs a structure */
    CHECK_STR(s_tag("오늘 누리온바이오 주가"), "");
}

static void test_deal_word_at_the_clause_limit(void)
{
    /* the clause after 와/과 runs 120 bytes at most: a deal word that ends
       there counts, one byte further it does not */
    char text[512], filler[128];
    for (size_t n = 107; n <= 109; n++) {
        memset(filler, 'a', n);
        filler[n] = '\0';
        snprintf(text, sizeof text, "삼성전자, 가람로직스와 %s업무협약 체결", filler);
        CHECK_STR(s_tag(text), n <= 108 ? "005930/삼성전자@0-4 x:가람로직스/가람로직스@6-11" : "005930/삼성전자@0-4");
    }
    /* ASCII deal words in any case */
    CHECK_STR(s_tag("삼성전자, 한울정밀과 mou 체결"), "005930/삼성전자@0-4 x:한울정밀/한울정밀@6-10");
    CHECK_STR(s_tag("삼성전자, 한울정밀과 MoU 체결"), "005930/삼성전자@0-4 x:한울정밀/한울정밀@6-10");
    /* a deal word before the partner does not count */
    CHECK_STR(s_tag("업무협약 소식 한울정밀과 만남"), "");
}

static void test_anchor_words_reach_the_matcher(void)
{
    size_t count = ktag_guess_word_count();
    CHECK(count > 40);
    CHECK(ktag_guess_word(count, &(unsigned) { 0 }) == NULL);
    for (size_t w = 0; w < count; w++) {
        unsigned kinds = 0;
        const char *word = ktag_guess_word(w, &kinds);
        CHECK(word && kinds && kinds < 16);
        if (!word)
            continue;
        /* normalized as a lexicon form: the matcher gets it as given */
        ktag_error_t err = { 0 };
        char *norm = ktag_normalize_string(word, &err);
        CHECK(norm && strcmp(norm, word) == 0);
        free(norm);
        /* and the scan stage hands it to the stage with its kinds */
        char text[128];
        snprintf(text, sizeof text, "오늘 %s 소식", word);
        CHECK(strncmp(s_tag(text), "error", 5) != 0);
        const ktag_scan_t *scan = &res->fields[KTAG_FIELD_TEXT].scan;
        bool found = false;
        for (size_t h = 0; h < scan->guess_word_count; h++)
            found |= scan->guess_words[h].start == 7 && scan->guess_words[h].end == 7 + strlen(word)
                     && (scan->guess_words[h].term & kinds) == kinds;
        CHECK(found);
    }
    /* a word of two lists is one pattern with both kinds */
    s_tag("인수 추진");
    const ktag_scan_t *scan = &res->fields[KTAG_FIELD_TEXT].scan;
    CHECK(scan->guess_word_count == 1
          && scan->guess_words[0].term == (KTAG_GUESS_DEAL | KTAG_GUESS_EVENT));
    /* a field without one has none */
    s_tag("오늘 주가 급등");
    CHECK_INT(res->fields[KTAG_FIELD_TEXT].scan.guess_word_count, 0);
}

static void test_guessed_mentions_are_like_any_other(void)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.explain = true;
    CHECK_STR(s_tag_with("누리온바이오, 누리온바이오의 공급계약 급등", &options),
              "x:누리온바이오/누리온바이오@0-6 x:누리온바이오/누리온바이오@8-14");
    const ktag_entity_t *a = ktag_result_entity(res, 0), *b = ktag_result_entity(res, 1);
    CHECK(a && b && a->type == KTAG_TYPE_COMPANY && a->attr_count == 0);
    CHECK(a && b && a->id == b->id);   /* one entry per name and document */
    /* the analyzers saw the mention: the entity got the sentiment of 급등 */
    CHECK(a && a->sentiment > 0);
    const ktag_field_state_t *field = &res->fields[KTAG_FIELD_TEXT];
    CHECK(field->mention_count >= 1 && strcmp(field->mentions[0].entry->id, "x:누리온바이오") == 0);
    bool explained = false;
    for (size_t i = 0; i < ktag_result_explain_count(res); i++)
        explained |= strcmp(ktag_result_explain(res, i), "guess x:누리온바이오 by headline") == 0;
    CHECK(explained);

    /* the lexicon's and the guessed mentions come in text order */
    CHECK_STR(s_tag("누리온바이오, 삼성전자와 가람로직스와 공급 계약"),
              "x:누리온바이오/누리온바이오@0-6 005930/삼성전자@8-12 x:가람로직스/가람로직스@14-19");
    /* the next document reuses the entries; ids stay right */
    CHECK_STR(s_tag("한울정밀, 코스닥 상장"), "x:한울정밀/한울정밀@0-4");
}

static void test_types_without_company_turn_guessing_off(void)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.types = 1u << KTAG_TYPE_ORG;
    CHECK_STR(s_tag_with("누리온바이오, 코스닥 상장 예비심사 청구", &options), "");
    options.types = 1u << KTAG_TYPE_COMPANY;
    CHECK_STR(s_tag_with("누리온바이오, 코스닥 상장 예비심사 청구", &options), "x:누리온바이오/누리온바이오@0-6");
}

static void test_title_and_text_are_guessed_apart(void)
{
    ktag_error_t err = { 0 };
    const char *title = "누리온바이오, 공급계약 체결";
    const char *text = "누리온바이오는 가람로직스와 공급 계약을 맺었다.";
    CHECK(ktag_tag(res, lex, text, strlen(text), title, strlen(title), NULL, &err) == 0);
    /* the title's guess is found again in the text, with its particle */
    CHECK(ktag_result_entity_count(res) == 3);
    const ktag_entity_t *t = ktag_result_entity(res, 0), *r = ktag_result_entity(res, 1),
                        *x = ktag_result_entity(res, 2);
    CHECK(t && t->field == KTAG_FIELD_TITLE && strcmp(t->id, "x:누리온바이오") == 0);
    CHECK(r && r->field == KTAG_FIELD_TEXT && r->id == t->id && r->start == 0 && r->end == 6);
    CHECK(x && x->field == KTAG_FIELD_TEXT && strcmp(x->id, "x:가람로직스") == 0 && x->start == 8);
    /* a longer word that starts with the name is not a repeat */
    CHECK_STR(s_tag("누리온바이오, 코스닥 상장. 누리온바이오랩스는 별개"), "x:누리온바이오/누리온바이오@0-6");
    /* nor is a word that ends with it */
    CHECK_STR(s_tag("누리온바이오, 코스닥 상장. 신누리온바이오는 별개"), "x:누리온바이오/누리온바이오@0-6");
    /* a text with no anchor word of its own still finds the title's name */
    title = "누리온바이오, 코스닥 상장";
    text = "오늘 누리온바이오 주가가 올랐다";
    CHECK(ktag_tag(res, lex, text, strlen(text), title, strlen(title), NULL, &err) == 0);
    CHECK(ktag_result_entity_count(res) == 2);
    r = ktag_result_entity(res, 1);
    CHECK(r && r->field == KTAG_FIELD_TEXT && r->start == 3 && r->end == 9);
}

/*  Piece i of a timed text: a distinct name of three syllables after 누
    (누리온솔…), for rules that must meet many names. */
static const char *s_distinct(size_t i)
{
    static const char *const syllables[] = { "가", "나", "다", "라", "마", "바", "아", "자", "차", "카",
                                             "타", "파", "하", "리", "온", "솔", "빛", "별", "샘", "터" };
    static char name[32];
    snprintf(name, sizeof name, "누%s%s%s", syllables[i % 20], syllables[i / 20 % 20], syllables[i / 400 % 20]);
    return name;
}

/*  The CPU time of tagging `count` pieces made by `piece` (no sentiment,
    no events: the guess stage and the stages before it), the least of 3
    runs; *entities gets how many entities the text has. */
static double s_seconds(size_t count, void (*piece)(char *out, size_t size, size_t i), size_t *entities)
{
    size_t cap = count * 96 + 1, len = 0;
    char *text = malloc(cap);
    CHECK(text != NULL);
    if (!text)
        return 0;
    for (size_t i = 0; i < count; i++) {
        piece(text + len, cap - len, i);
        len += strlen(text + len);
    }
    ktag_options_t options;
    ktag_options_init(&options);
    options.sentiment = options.events = false;
    double best = 1e9;
    for (int run = 0; run < 3; run++) {
        ktag_error_t err = { 0 };
        struct timespec t0, t1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        CHECK_INT(ktag_tag(res, lex, text, len, NULL, 0, &options, &err), 0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        double seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        best = seconds < best ? seconds : best;
    }
    *entities = ktag_result_entity_count(res);
    free(text);
    return best;
}

/*  8 times the pieces should take about 8 times the time, not 64. */
static void s_check_linear(const char *what, void (*piece)(char *out, size_t size, size_t i), size_t small_count,
                           size_t small_entities, size_t large_entities)
{
    size_t small_found = 0, large_found = 0;
    double small = s_seconds(small_count, piece, &small_found);
    double large = s_seconds(8 * small_count, piece, &large_found);
    CHECK(large < 24 * small || large < 0.01);
    if (!(large < 24 * small || large < 0.01))
        fprintf(stderr, "%s: %zu pieces %.6f s, %zu pieces %.6f s\n", what, small_count, small, 8 * small_count,
                large);
    CHECK_INT(small_found, small_entities);
    CHECK_INT(large_found, large_entities);
}

static void s_same_name(char *out, size_t size, size_t i)
{
    (void) i;
    snprintf(out, size, "가람홀딩스 ");
}

/*  A name guessed again and again: each guess was checked against every
    earlier one of the field, and each repeat looked up in them. */
static void test_a_name_met_often_costs_linear_time(void)
{
    s_check_linear("one name", s_same_name, 2000, 2000, 16000);
}

static void s_distinct_names(char *out, size_t size, size_t i)
{
    snprintf(out, size, "%s홀딩스 ", s_distinct(i));
}

/*  Many names in one document: each new name was looked for among every
    earlier one, and each was then searched for through the whole text. */
static void test_many_names_cost_linear_time(void)
{
    s_check_linear("distinct names", s_distinct_names, 1000, 1000, 8000);
}

static void s_known_and_cue(char *out, size_t size, size_t i)
{
    (void) i;
    snprintf(out, size, "삼성전자 자회사 누리온, ");
}

/*  Many known mentions and many structures: each name was checked against
    every known mention of the field. */
static void test_known_mentions_cost_linear_time(void)
{
    s_check_linear("known mentions", s_known_and_cue, 1000, 2000, 16000);
}

static void s_partners(char *out, size_t size, size_t i)
{
    (void) i;
    snprintf(out, size, "누리가나다와 업무협약 ");
}

static void s_cues_and_partners(char *out, size_t size, size_t i)
{
    (void) i;
    snprintf(out, size, "자회사 누리온, 누리가나다와 업무협약 ");
}

/*  Many partners and deal words: each partner looked through every deal
    word of the field; and the spaces after the cues and after the
    partners, two runs in order, were merged by an insertion sort. */
static void test_many_deals_cost_linear_time(void)
{
    s_check_linear("partners", s_partners, 2000, 2000, 16000);
    s_check_linear("cues and partners", s_cues_and_partners, 2000, 4000, 32000);
}

int main(void)
{
    /* a matcher the CPU lacks falls back to the default: tested twice then */
    static const char *const impls[] = { "portable", "avx2", "avx512", "automaton" };
    for (size_t i = 0; i < sizeof impls / sizeof *impls; i++) {
        setenv("KTAG_MATCHER", impls[i], 1);
        ktag_error_t err = { 0 };
        lex = ktag_lexicon_open(FIXTURES "/good", &err);
        res = ktag_result_new();
        if (!lex || !res) {
            fprintf(stderr, "setup failed: %s\n", err.message);
            return 1;
        }
        test_subsidiary_cue_names_the_company_after_it();
        test_subsidiary_cue_before_common_words_guesses_nothing();
        test_partner_with_a_deal_word_in_the_same_clause();
        test_partner_that_is_no_company_is_not_guessed();
        test_headline_opening_with_a_corporate_event();
        test_endings_only_companies_have();
        test_deal_word_at_the_clause_limit();
        test_anchor_words_reach_the_matcher();
        test_guessed_mentions_are_like_any_other();
        test_types_without_company_turn_guessing_off();
        test_title_and_text_are_guessed_apart();
        test_a_name_met_often_costs_linear_time();
        test_many_names_cost_linear_time();
        test_known_mentions_cost_linear_time();
        test_many_deals_cost_linear_time();
        ktag_result_destroy(&res);
        ktag_lexicon_destroy(&lex);
    }
    return check_report("guess");
}
