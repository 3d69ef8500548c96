/*  test_sentiment.c - the sentiment rules of docs/SENTIMENT.md, each with
    its own sentences: the finance lexicon, direction composition, negation,
    intensity, contrast, scores and labels, per-entity sentiment (topic,
    counterparty, report source, org, neutral sentence) and explain.

    The sentiment files are the bundled ones (lexicons/sentiment_*.tsv); the
    entities and particles come from a fixture the test writes into a
    temporary directory, so no other lexicon can change the outcome. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/check.h"
#include "ktag/ktag.h"
#include "sentiment.h"

static ktag_lexicon_t *lex;
static ktag_result_t *res;

static const char *s_entities =
    "type\tid\tname\taliases\tflags\n"
    "company\t005930\t삼성전자\t삼전\t\n"
    "company\t000660\tSK하이닉스\t하이닉스\t\n"
    "company\t017040\t광명전기\t\t\n"
    "company\t005940\tNH투자증권\tNH\t\n"
    "company\t035720\t카카오\t\t\n"
    "org\tx:fss\t금융감독원\t금감원\t\n"
    "funding\tipo\t기업공개\t공모|상장\t\n";

static const char *s_josa = "josa\n가\n이\n은\n는\n의\n와\n과\n도\n에\n에서\n를\n을\n로\n으로\n";

static void s_write(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static void s_link(const char *dir, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/%s", LEXICONS, name);
    snprintf(to, sizeof to, "%s/%s", dir, name);
    if (symlink(from, to)) {
        perror(to);
        exit(1);
    }
}

static void s_tag(const char *text, bool explain)
{
    ktag_options_t options;
    ktag_options_init(&options);
    options.explain = explain;
    ktag_error_t err = { 0 };
    if (ktag_tag(res, lex, text, strlen(text), NULL, 0, &options, &err)) {
        fprintf(stderr, "ktag_tag(%s): %s\n", text, err.message);
        exit(1);
    }
}

/*  The document score of `text`. */
static double s_score(const char *text)
{
    s_tag(text, false);
    return ktag_result_sentiment(res)->score;
}

static const char *s_label(const char *text)
{
    s_tag(text, false);
    return ktag_result_sentiment(res)->label;
}

/*  The sentiment toward the first mention of `id` (NAN when not found). */
static double s_entity(const char *text, const char *id)
{
    s_tag(text, false);
    for (size_t i = 0; i < ktag_result_entity_count(res); i++)
        if (strcmp(ktag_result_entity(res, i)->id, id) == 0)
            return ktag_result_entity(res, i)->sentiment;
    return NAN;
}

static bool s_explains(const char *text, const char *needle)
{
    s_tag(text, true);
    for (size_t i = 0; i < ktag_result_explain_count(res); i++)
        if (strstr(ktag_result_explain(res, i), needle))
            return true;
    fprintf(stderr, "explain of '%s' lacks '%s':\n", text, needle);
    for (size_t i = 0; i < ktag_result_explain_count(res); i++)
        fprintf(stderr, "    %s\n", ktag_result_explain(res, i));
    return false;
}

#define POS(text) CHECK_STR(s_label(text), "positive")
#define NEG(text) CHECK_STR(s_label(text), "negative")
#define NEU(text) CHECK_STR(s_label(text), "neutral")

static void test_term_rows_are_validated(void)
{
    ktag_sentiment_lexicon_t *terms = ktag_sentiment_lexicon_new();
    char *header[] = { "term", "class", "weight", "flags", "note" };
    char err[200];
    char *up[] = { "상승", "up", "0.6", "", "" };
    char *again[] = { "상승", "up", "0.6", "", "a second file" };
    char *clash[] = { "상승", "down", "0.6", "", "" };
    char *cls[] = { "x", "postive", "1", "", "" };
    char *weight[] = { "x", "positive", "abc", "", "" };
    char *flag[] = { "x", "positive", "1", "begin", "" };
    char *dim[] = { "x", "diminisher", "1.5", "", "" };
    char *solo[] = { "안", "negation_pre", "0", "solo", "" };
    int first = ktag_sentiment_lexicon_add(terms, "상승", up, 5, header, err, sizeof err);
    CHECK_INT(first, 0);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "상승", again, 5, header, err, sizeof err), first);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "상승", clash, 5, header, err, sizeof err), -1);
    CHECK(strstr(err, "defined before") != NULL);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "x", cls, 5, header, err, sizeof err), -1);
    CHECK(strstr(err, "unknown class 'postive'") != NULL);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "x", weight, 5, header, err, sizeof err), -1);
    CHECK(strstr(err, "'abc'") != NULL);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "x", flag, 5, header, err, sizeof err), -1);
    CHECK(strstr(err, "unknown flag 'begin'") != NULL);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "x", dim, 5, header, err, sizeof err), -1);
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "안", solo, 5, header, err, sizeof err), 1);
    ktag_sent_class_t c;
    double w;
    unsigned flags;
    CHECK_STR(ktag_sentiment_lexicon_term(terms, 1, &c, &w, &flags), "안");
    CHECK_INT(c, KTAG_SENT_NEGATION_PRE);
    CHECK_INT(flags, KTAG_SENT_FLAG_SOLO);
    CHECK_INT(ktag_sentiment_lexicon_count(terms), 2);
    CHECK_STR(ktag_sent_class_name(KTAG_SENT_STATE_BAD), "state_bad");
    ktag_sentiment_lexicon_destroy(&terms);
    CHECK(terms == NULL);
}

static void test_finance_lexicon(void)
{
    /* price moves */
    POS("주가 상승");        NEG("주가 하락");
    POS("장중 급등");        NEG("장중 급락");
    POS("외국인 매수에 강세"); NEG("차익 매물에 약세");
    POS("상한가 직행");      NEG("하한가 추락");
    POS("52주 신고가");      NEG("52주 신저가");
    /* results */
    POS("3분기 호실적");     POS("어닝서프라이즈 기록");
    NEG("어닝쇼크");         POS("흑자전환 성공");
    NEG("적자전환");         NEG("실적 부진");
    /* flows */
    POS("외국인 순매수");    NEG("기관 순매도");
    POS("프로그램 매수 우위"); NEG("프로그램 매도 우위");
    /* analyst actions */
    POS("목표가 상향");      NEG("목표가 하향");
    POS("목표가↑");          NEG("목표가↓");
    /* corporate events */
    POS("1800억 규모 수주"); POS("공급계약 체결");
    POS("기술이전 계약");    POS("미국 특허 취득");
    /* risk */
    NEG("금융당국 제재");    NEG("과징금 부과");
    NEG("횡령·배임 혐의");   NEG("상장폐지 결정");
    NEG("불성실공시법인 지정"); NEG("주권 거래정지");
    NEG("소송 제기");        NEG("분식 의혹");
    NEG("대규모 리콜");
    /* plain disclosures stay neutral */
    NEU("정기 주주총회 개최");
    NEU("대표이사 변경");
    NEU("신규 상장 일정 확정");
}

static void test_direction_composition(void)
{
    /* measures good when they rise */
    POS("매출 증가");        NEG("매출 감소");
    POS("영업이익 확대");    NEG("영업이익 축소");
    POS("수주 늘어");        NEG("수주 줄어");
    POS("점유율 확대");      NEG("점유율 감소");
    /* measures bad when they rise */
    NEG("적자 확대");        POS("적자 축소");
    NEG("손실 증가");        POS("손실 감소");
    NEG("부채 늘어");        POS("부채 줄어");
    NEG("비용 증가");        POS("비용 감소");
    NEG("우려 확대");        POS("우려 축소");
    NEG("리스크 확대");      POS("리스크 축소");
    /* better / worse keep their sign whatever the measure */
    POS("실적 개선");        NEG("실적 악화");
    POS("적자 개선");        NEG("적자 악화");
    /* the measure may stand far from its direction word, or after it */
    POS("영업이익이 전년 동기 대비 57.9% 증가했다");
    NEG("SK네트웍스 작년 영업이익 1천219억원…전년 대비 1.7%↓");
    POS("늘어난 영업이익");
    /* …but a feared move is not a worry moved: 하락 우려 is bad (flag back) */
    NEG("반도체 가격 하락 우려");
    POS("하락 우려 해소");
    /* alone: a good measure is neutral, a bad state is not */
    NEU("매출 발표");
    NEG("적자 지속");
    /* the rule decides, not the word: the same 감소 has either sign */
    CHECK(s_score("비용 감소") > 0.2 && s_score("매출 감소") < -0.2);
    /* with no direction word, two amounts compared give the move */
    POS("순이익은 29.8mln에 비해 35.5mln이었다.");
    NEG("영업이익은 10.6 mn에 비해 총 9.1 mn이다.");
    NEG("영업 손실은 3.4 mn에서 5.2 mn이었다.");
    POS("이사회는 2009년 주당 0.08유로에서 2010년 주당 0.12유로의 배당금을 제안했다.");
    NEU("직원 수는 6개국에서 2,000명이다.");        /* 에서 after a place, not an amount */
    CHECK(s_explains("순이익은 29.8mln에 비해 35.5mln이었다.", "compared: 29.8 -> 35.5"));
    /* a quantity whose moves are no news */
    NEU("원/달러 환율 8.3원 오른 1,147.8원");
}

static void test_negation(void)
{
    POS("주가가 상승했다");
    NEG("주가가 상승하지 않았다");          /* -지 않다 */
    NEG("흑자를 내지 못했다");              /* -지 못하다 */
    NEG("주가가 못 올랐다");                /* 못 before the verb */
    NEG("실적 개선은 없었다");              /* 없다 */
    POS("우려는 없다");
    NEG("호재가 아니다");                   /* 아니다 */
    NEG("반등에 실패");                     /* a negation with a weight of its own */
    NEG("실패");
    /* 못 inside 잘못 is no negation: the rise stays a rise */
    CHECK(s_score("잘못 알려진 상승") > s_score("잘못"));
    CHECK(s_explains("주가가 상승하지 않았다", "negated by 않"));
}

static void test_intensity(void)
{
    double plain = s_score("매출 증가"), big = s_score("매출 대폭 증가"), small = s_score("매출 소폭 증가");
    CHECK(big > plain && plain > small && small > 0);
    CHECK(s_score("소폭 하락") > s_score("하락") && s_score("소폭 하락") < 0);
    CHECK(s_score("급반등") > s_score("반등"));            /* 급 only at a word start */
    CHECK(s_score("고급 반등") == s_score("반등"));        /* …not inside 고급 */
    POS("사상 최대 매출");
    NEG("사상 최대 적자");
    POS("사상 최대 실적");
    CHECK(s_explains("매출 대폭 증가", "대폭 x1.5"));
}

static void test_contrast(void)
{
    /* what follows the contrast word weighs more */
    POS("실적은 부진했지만 주가는 급등했다");
    NEG("주가는 급등했지만 실적은 부진했다");
    POS("어닝쇼크를 딛고 주가 반등");
    NEG("매출은 증가했다. 그러나 영업이익은 크게 감소했다.");
    POS("영업이익은 감소했다. 하지만 수주가 크게 늘었다.");
    NEG("실적은 개선됐다. 다만 목표가는 하향했다.");
    NEG("매출이 증가한 반면 영업이익은 크게 줄었다");
    POS("매출이 감소한 반면 영업이익은 크게 늘었다");
    CHECK(s_explains("실적은 부진했지만 주가는 급등했다", "before a contrast"));
    /* a cause marker 에 is a weak contrast: the move it explains is the news */
    POS("공매도 과열 종목 지정에 반등");
    NEG("호재 소멸 우려에 급락");
    CHECK(s_score("악재에 급락") < s_score("급락"));       /* same sign: both still count */
}

static void test_scores_sentences_and_labels(void)
{
    s_tag("주가가 급등했다. 실적도 개선됐다. 정기 주총을 열었다.", false);
    const ktag_sentiment_t *doc = ktag_result_sentiment(res);
    CHECK(doc->score > 0.2 && doc->score <= 1);
    CHECK_STR(doc->label, "positive");
    CHECK_INT(doc->positive, 2);
    CHECK_INT(doc->negative, 0);
    CHECK_INT(ktag_result_sentence_count(res), 3);
    const ktag_sentence_t *third = ktag_result_sentence(res, 2);
    CHECK_STR(third->sentiment.label, "neutral");
    CHECK_INT(third->start, 20);       /* code points into the original text */
    CHECK_INT(third->end, 31);
    /* many polar words never leave [-1, 1] */
    CHECK(s_score("급등 급등 급등 급등 급등 급등 급등 급등 급등 급등 급등 급등") <= 1);
    CHECK(s_score("급락 급락 급락 급락 급락 급락 급락 급락 급락 급락 급락 급락") >= -1);
    /* a long article does not saturate on the number of its sentences */
    CHECK(s_score("주가 상승. 주가 상승. 주가 상승. 주가 상승.") < 0.99);
    /* the title counts: a neutral body under a negative title */
    ktag_error_t err = { 0 };
    const char *title = "삼성전자 급락", *text = "정기 주총을 열었다.";
    CHECK_INT(ktag_tag(res, lex, text, strlen(text), title, strlen(title), NULL, &err), 0);
    CHECK_STR(ktag_result_sentiment(res)->label, "negative");
    CHECK_INT(ktag_result_sentence_count(res), 2);
    CHECK_INT(ktag_result_sentence(res, 0)->field, KTAG_FIELD_TITLE);
    /* an ellipsis is a clause break, not a sentence end */
    s_tag("카카오, 신저가... 주가 반등", false);
    CHECK_INT(ktag_result_sentence_count(res), 1);
}

static void test_entity_sentiment(void)
{
    /* the topic (X, / X는 / X가) gets its predicate */
    CHECK(s_entity("광명전기, 104억 규모 공급계약 체결", "017040") > 0.2);
    CHECK(s_entity("삼성전자가 급락했다", "005930") < -0.2);
    /* the counterparty of a contract is neutral */
    CHECK(s_entity("광명전기, 삼성전자와 104억 규모 공급계약", "005930") == 0);
    CHECK(s_entity("광명전기, 삼성전자와 104억 규모 공급계약", "017040") > 0.2);
    /* a broker cited as the report's source is neutral */
    CHECK(s_entity("\"카카오, 실적 부진…목표가↓\"-NH", "005940") == 0);
    CHECK(s_entity("\"카카오, 실적 부진…목표가↓\"-NH", "035720") < -0.2);
    /* a speaker quoting on another entity is a source; on itself, a topic */
    CHECK(s_entity("NH투자증권 \"카카오 실적 개선 전망…목표가↑\"", "005940") == 0);
    CHECK(s_entity("NH투자증권 \"카카오 실적 개선 전망…목표가↑\"", "035720") > 0.2);
    CHECK(s_entity("카카오 \"올해 매출 46% 증가\"", "035720") > 0.2);
    /* two topics: each governs up to the next */
    CHECK(s_entity("삼성전자는 급등했지만 SK하이닉스는 급락했다", "005930") > 0.2);
    CHECK(s_entity("삼성전자는 급등했지만 SK하이닉스는 급락했다", "000660") < -0.2);
    /* a coordination shares the topic */
    CHECK(s_entity("삼성전자·SK하이닉스, 동반 급등", "005930") > 0.2);
    CHECK(s_entity("삼성전자와 SK하이닉스가 동반 급등", "005930") > 0.2);
    /* a regulator is neutral; the company it sanctions is not */
    CHECK(s_entity("금감원, 카카오에 과징금 부과", "x:fss") == 0);
    CHECK(s_entity("금감원, 카카오에 과징금 부과", "035720") < -0.2);
    /* inside the topic's clause a mention keeps to its own phrase */
    CHECK(s_entity("SK하이닉스, 삼성전자 신제품 출시 소식에 급등", "005930") == 0);
    CHECK(s_entity("SK하이닉스, 삼성전자 신제품 출시 소식에 급등", "000660") > 0.2);
    /* an entity in a neutral sentence is neutral, whatever the others say */
    CHECK(s_entity("삼성전자가 신제품을 공개했다. 코스피는 급락했다.", "005930") == 0);
    /* a funding event takes only its own framing */
    CHECK(s_entity("카카오, 코스닥 상장 추진", "ipo") == 0);
    CHECK(s_entity("카카오, 공모 흥행에 강세", "ipo") > 0.2);
    /* a parent named with its subsidiary shares the subsidiary's news */
    CHECK(s_entity("카카오 자회사 광명전기, 대규모 공급계약 체결", "035720") > 0.2);
    CHECK(s_entity("카카오의 계열사 광명전기가 급락", "035720") < -0.2);
    CHECK(fabs(s_entity("카카오 자회사 광명전기, 전시회 참가", "035720")) < 0.2);
    CHECK(s_explains("광명전기, 삼성전자와 104억 규모 공급계약", "counterparty"));
}

static void test_long_documents_grow_past_the_stack_buffers(void)
{
    /* 300 sentences, 600 terms, 300 entities: every scratch array grows */
    size_t reps = 300;
    const char *unit = "삼성전자 주가 급등. ";
    char *text = malloc(reps * strlen(unit) + 1);
    text[0] = '\0';
    for (size_t i = 0; i < reps; i++)
        strcat(text, unit);
    s_tag(text, true);
    CHECK_INT(ktag_result_sentence_count(res), reps);
    CHECK_INT(ktag_result_entity_count(res), reps);
    bool all = true;
    for (size_t i = 0; i < ktag_result_entity_count(res); i++)
        all = all && ktag_result_entity(res, i)->sentiment > 0.2;
    CHECK(all);
    const ktag_sentiment_t *doc = ktag_result_sentiment(res);
    CHECK(doc->score > 0.2 && doc->score <= 1);
    CHECK_INT(doc->positive, reps);
    const ktag_sentence_t *last = ktag_result_sentence(res, reps - 1);
    CHECK_INT(last->start, (reps - 1) * 12);
    CHECK_INT(last->end, reps * 12 - 1);
    free(text);
}

/*  Documents of random tokens (terms, particles, entities, numbers,
    quotes, brackets, punctuation, ellipses): the scorer never fails, every
    score is a finite number (the result clamps to [-1, 1], but a NaN would
    pass a clamp), the label agrees with the score, a document without
    contributions scores 0, and sentences lie in order inside the text. */
static void test_random_token_soup_is_consistent(void)
{
    static const char *const tokens[] = {
        "삼성전자", "SK하이닉스", "카카오", "NH", "금감원", "공모", "는", "가", "와", "의", "에", "에도",
        "매출", "영업이익", "적자", "우려", "증가", "감소", "축소", "개선", "악화", "급등", "급락", "↑",
        "↓", "않", "못", "없다", "실패", "대폭", "소폭", "급", "하지만", "그러나", "다만", "반면", "지만",
        "보합", "?", "!", ".", "...", "…", ",", ";", "|", "-", "(", ")", "[", "]", "\"", "'", "“", "”",
        "·", " ", " ", " ", "\n", "12.5", "1,234", "37,7", "-0.4", "마이너스 3", "2009년", "에 비해",
        "에서 ", "보다", "mn", "유로", "억", "사상 최대", "하락 우려", "상한가", "상장폐지", "x", "A",
    };
    size_t count = sizeof tokens / sizeof *tokens;
    unsigned seed = 12345;
    char text[1024];
    bool ok = true;
    for (int doc = 0; doc < 3000 && ok; doc++) {
        text[0] = '\0';
        size_t len = 0, want = 1 + (seed = seed * 1103515245 + 12345) % 40;
        for (size_t t = 0; t < want; t++) {
            const char *tok = tokens[((seed = seed * 1103515245 + 12345) >> 8) % count];
            size_t l = strlen(tok);
            if (len + l + 1 >= sizeof text)
                break;
            memcpy(text + len, tok, l + 1);
            len += l;
        }
        ktag_error_t err = { 0 };
        ktag_options_t options;
        ktag_options_init(&options);
        options.explain = doc % 2;
        if (ktag_tag(res, lex, text, len, doc % 3 ? NULL : text, doc % 3 ? 0 : len, &options, &err)) {
            fprintf(stderr, "ktag_tag failed on '%s': %s\n", text, err.message);
            ok = false;
            break;
        }
        const ktag_sentiment_t *doc_sentiment = ktag_result_sentiment(res);
        double score = doc_sentiment->score;
        const char *label = score > 0.2 ? "positive" : score < -0.2 ? "negative" : "neutral";
        ok = ok && isfinite(score) && strcmp(doc_sentiment->label, label) == 0
             && (doc_sentiment->positive + doc_sentiment->negative > 0 || score == 0);
        size_t end = 0;
        ktag_field_t field = KTAG_FIELD_TITLE;
        for (size_t i = 0; i < ktag_result_sentence_count(res); i++) {
            const ktag_sentence_t *sentence = ktag_result_sentence(res, i);
            if (sentence->field != field) {
                field = sentence->field;
                end = 0;
            }
            ok = ok && sentence->start >= end && sentence->end > sentence->start && sentence->end <= len
                 && isfinite(sentence->sentiment.score);
            end = sentence->end;
        }
        for (size_t i = 0; i < ktag_result_entity_count(res); i++)
            ok = ok && isfinite(ktag_result_entity(res, i)->sentiment);
        if (!ok)
            fprintf(stderr, "out of range on '%s'\n", text);
    }
    CHECK(ok);
}


/*  Round 2 rules (issue 13), each on sentences written for it. */
static void test_fitted_weights_and_the_plain_path(void)
{
    char *header[] = { "term", "class", "weight", "flags", "note", "fitted" };
    char err[200];
    char *row[] = { "호재", "positive", "0.8", "", "", "1.2" };
    char *bad[] = { "악재", "negative", "0.8", "", "", "eleven" };
    ktag_sent_class_t c;
    double w;
    unsigned flags;
    unsetenv("KTAG_SENTIMENT_WEIGHTS");
    ktag_sentiment_lexicon_t *terms = ktag_sentiment_lexicon_new();
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "호재", row, 6, header, err, sizeof err), 0);
    ktag_sentiment_lexicon_term(terms, 0, &c, &w, &flags);
    CHECK(fabs(w - 1.2) < 1e-9);                  /* the fitted weight by default */
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "악재", bad, 6, header, err, sizeof err), -1);
    CHECK(strstr(err, "fitted 'eleven'") != NULL);
    ktag_sentiment_lexicon_destroy(&terms);
    setenv("KTAG_SENTIMENT_WEIGHTS", "plain", 1);
    terms = ktag_sentiment_lexicon_new();
    CHECK_INT(ktag_sentiment_lexicon_add(terms, "호재", row, 6, header, err, sizeof err), 0);
    ktag_sentiment_lexicon_term(terms, 0, &c, &w, &flags);
    CHECK(fabs(w - 0.8) < 1e-9);                  /* the hand weight on the plain path */
    ktag_sentiment_lexicon_destroy(&terms);
    unsetenv("KTAG_SENTIMENT_WEIGHTS");
}

static void test_repeated_move_of_a_no_news_measure(void)
{
    /* the second move tells the first again: the exchange rate is no news */
    NEU("환율, 석달만에 1,250원 아래로…12.4원 급락한 1,248.1원 마감");
    NEU("원/달러 환율 사흘째 내려…장중 9원 급락");
    CHECK(s_explains("환율, 석달만에 1,250원 아래로…12.4원 급락한 1,248.1원 마감", "moved again, no news"));
    /* a move of something else after it still counts */
    NEG("환율 상승에 코스피 급락");
    /* any direction word tells the move again: a lock-up's end (better)
       and a monthly count of it rising are one statistic */
    NEU("다음 달 의무보유 해제 주식 1억주…전년比 106%↑");
    NEU("원·달러 환율 상승 출발…장중 경기 둔화");
    /* a company named between is a new subject: the move after it is the
       stock's own, whatever word came before */
    POS("원·달러 환율 하락 출발…삼성전자 급등");
    NEG("환율 1,300원 아래로…카카오 3% 하락");
}

static void test_man_e_is_no_cause(void)
{
    /* N만에 is "after (a time)": the measure before it still composes */
    POS("영업이익, 2년만에 큰 폭 증가");
    NEG("순이익 5분기만에 감소");
}

static void test_reference_state_of_a_comparison(void)
{
    /* the loss is where the profit rose from, not what rose */
    POS("영업이익은 작년 2분기 3.2mn 손실에서 5.1mn로 증가했다.");
    /* from a loss to a profit, with no direction word: the loss counts below zero */
    POS("세전 이익은 전년 같은 기간 41.0 mn의 손실과 비교하여 3.5 mn이었다.");
    /* and from a profit to a loss */
    NEG("순손실은 1년 전 2.1 mn의 이익과 비교하여 0.9 mn이었다.");
}

static void test_framing_words_judge_every_funding_event(void)
{
    /* a framing word in the next clause still judges the listing (flag frame) */
    CHECK(s_entity("카카오 상장 추진…공모 흥행 기대", "ipo") > 0.2);
    CHECK(s_entity("카카오 상장 추진…청약 경쟁률 1500대 1", "ipo") > 0.2);
    CHECK(s_entity("대어급 상장 잇따라…시장 과열 조짐", "ipo") < -0.2);
    CHECK(s_explains("카카오 상장 추진…공모 흥행 기대", "framing words"));
    /* an ordinary word far from the event does not */
    CHECK(fabs(s_entity("카카오 상장 추진…주가는 급등", "ipo")) < 0.2);
}

static void test_doc_terms_do_not_reach_entities(void)
{
    /* an MOU is good news for the tone of the text (flag doc)… */
    POS("카카오, 광명전기와 물류 업무협약 체결");
    /* …but a plain MOU is neutral for both sides */
    CHECK(fabs(s_entity("카카오, 광명전기와 물류 업무협약 체결", "035720")) < 0.2);
    CHECK(fabs(s_entity("카카오, 광명전기와 물류 업무협약 체결", "017040")) < 0.2);
    /* a supply contract still is the supplier's news */
    CHECK(s_entity("광명전기, 카카오와 100억 공급계약 체결", "017040") > 0.2);
    /* solo: MOU inside an English word is not one */
    NEU("a famous mouse");
}

static void test_plain_descriptions_stay_neutral(void)
{
    /* building a stake is housekeeping; 확보 alone is still good news */
    NEU("한빛소재, 자회사 지분 추가 확보");
    NEU("카카오가 물류 스타트업 지분을 확보했다");
    POS("대규모 물량 확보");
    /* a company described, a plan announced, a question asked */
    NEU("이 회사는 북유럽에서 산업용 센서를 제공한다.");
    NEU("그 회사는 유럽 최대의 포장재 업체이다.");
    CHECK(fabs(s_score("호실적 종목, 지금 사볼까")) < fabs(s_score("호실적 종목, 지금 샀다")));
    /* a coin's move counts half, whatever the coin or token */
    CHECK(fabs(s_score("비트코인 강세")) < fabs(s_score("카카오 강세")));
    CHECK(fabs(s_score("이더리움 급락")) < fabs(s_score("카카오 급락")));
    CHECK(fabs(s_score("코인 시장 급등")) < fabs(s_score("주식 시장 급등")));
    CHECK(fabs(s_score("NFT 거래량 급증")) < fabs(s_score("주식 거래량 급증")));
}

static void test_a_cause_with_a_neutral_effect_is_background(void)
{
    /* X에…Y: when Y carries no sentiment, the news is Y and X its background */
    NEU("수출 증가에…정부, 무역 통계 발표 시점 조정");
    NEU("규제 완화에…당국, 업계 간담회 개최");
    CHECK(s_explains("규제 완화에…당국, 업계 간담회 개최", "before a contrast /3"));
    /* 에 heading a compound particle that relates, places or cites a frame
       (에 대해, 에 있는, 에 따른) names no cause: what came before stays whole */
    POS("이번 거래는 발트해 지역에서 사업을 확장하려는 회사 전략에 따른 것이다.");
    POS("회사는 설비를 확장했으며 세부 조건에 대해서는 밝히지 않았다.");
    POS("회사는 사업을 확장했고 새 공장은 핀란드에 있는 옛 부지다.");
    NEG("실적 부진에 따른 주가 하락");
    /* an effect that carries sentiment is still the news */
    POS("수출 증가에 주가 급등");
    NEG("규제 강화 우려에 주가 급락");
}

static void test_register_entries_and_word_collisions(void)
{
    /* share capital and share counts moving are register entries */
    NEU("신주 발행으로 회사의 주식 자본이 50만 유로 증가했다.");
    NEU("발행 주식수가 1,000주 늘었다");
    POS("회사의 매출이 50만 유로 증가했다.");
    /* a polar term inside another word is no hit (시장점검: 장점, 확인하: 인하,
       동기대비: 기대, 청약할: 약할, 포트폴리오를: 오를) */
    NEU("금융위, 시장점검 회의 열어");
    NEU("회사는 사실을 확인하지 않았다");
    NEU("올해 매출은 전년 동기대비 집계되지 않았다");
    NEU("투자자는 이번 주 청약할 수 있다");
    NEU("그 회사는 신규 포트폴리오를 소개했다");
    NEU("노조는 이번 조치를 용인하지 않았다");
    POS("시장점유율이 크게 확대됐다");
    NEG("시장점유율이 하락했다");
    NEG("하반기 실적이 약할 것");
    /* place names and nouns that hold a polar term (이탈리아: 이탈, 제재소: 제재),
       idioms (늦어도: 늦어, 결정을 내렸다: 내렸) */
    NEU("그 회사는 이탈리아에 새 매장을 열었다.");
    NEU("그 제재소 두 곳은 핀란드 북부에 있다.");
    NEU("신청서는 늦어도 5월 3일까지 제출해야 한다.");
    NEU("이사회는 합병 여부에 대한 결정을 내렸다.");
    NEG("회원국 이탈이 이어졌다");
    /* collisions mined from unlabelled text: 분위기 (위기), -해지다 (해지),
       줄줄이 (줄이), 비디오를 (오를), 내수주 (수주), 무인기 (인기) */
    NEU("투자자들 사이에 관망 분위기가 퍼졌다");
    NEU("두 회사의 관계가 가까워지고 친해지는 중이다");
    NEU("신작 비디오를 공개했다");
    NEU("내수주 중심으로 종목을 나눠 본다");
    NEU("무인기 전시회가 열렸다");
    NEG("보험 계약 해지가 잇따랐다");
    NEG("대량 계약해지 통보");
    POS("검찰, 전 대표 무혐의 처분");
    /* 디자인하고 (인하), 가중치 (가중), 인상 as an impression (깊은 인상을 주다);
       인상적 "impressive" is praise */
    NEU("그 회사는 가방과 의류를 디자인하고 제조한다.");
    NEU("지수는 시가총액 가중치로 계산된다.");
    NEU("신제품은 관람객에게 깊은 인상을 주었다.");
    POS("신작의 초기 성과가 인상적이다");
    POS("요금 인상으로 매출이 늘었다");
    /* 분쟁광물 "conflict minerals" is a term, not a dispute; 이자율 is a rate like 금리 */
    NEU("그 회사는 분쟁광물 관리 체계를 공개했다");
    /* 오리올라 (a name), 내려다보다 "look down", 결정이 내려지다, 잘 알려진 "well known" */
    NEU("오리올라는 북유럽의 의약품 유통 회사다.");
    NEU("전망대에서 항구를 내려다볼 수 있다.");
    NEU("합병에 대한 결정은 아직 내려지지 않았다.");
    NEU("그는 업계에서 잘 알려진 디자이너다.");
    NEU("증권사, 모바일 인증서 로그인 서비스 개시");
    POS("회사는 유럽 의료기기 인증을 획득했다");
    NEG("제품 가격을 내렸다");
    CHECK(s_score("은행, 신용대출 이자율 인하") > 0);
    CHECK(s_score("카드론 이자율 인상") < 0);
    /* a filing or a suit withdrawn (취하) is undone; 취하다 "take" is not */
    POS("자회사 파산신청 취하");
    NEG("자회사 파산신청");
    NEU("정부는 긴급 조치를 취했다");
}

static void test_capacity_and_market_position_are_measures(void)
{
    /* a company that grows its capacity or its position grows its business */
    POS("그 회사는 북미 시장에서 입지를 강화했다.");
    POS("새 공장으로 생산 능력을 높인다");
    POS("회사는 저장 용량을 두 배로 확대했다.");
    NEG("수요 부진으로 생산능력을 축소한다");
    POS("회사는 동남아시아로 사업을 확장하고 있다.");
    /* customers count like subscribers */
    POS("회사의 고객 수가 작년보다 크게 늘었다.");
    NEG("온라인 고객이 30% 줄었다.");
    /* named without a move they are no news */
    NEU("회사는 물류 용량을 점검했다.");
    NEU("회사는 고객에게 새 서비스를 소개했다.");
    NEU("그 회사의 입지는 도심에 있다.");
}

static void test_results_in_report_language(void)
{
    /* Latin abbreviations and spaced forms of a result are measures */
    POS("주당 EPS는 0.21유로로 증가했다.");
    NEG("EBITDA는 전년보다 12% 감소했다.");
    POS("영업 현금 흐름은 크게 개선되었다.");
    NEG("세금 전 결과는 전년 동기 4.1 mn에 비해 총 2.3 mn이었다.");
    POS("운영 실적은 1년 전 3.0 mn에 비해 4.2 mn이었다.");
    /* eps and ebit inside a longer Latin word are no hit */
    CHECK(!s_explains("Steps 상승", "eps"));
    CHECK(s_explains("EPS 상승", "eps measure_good+up"));
}

static void test_figures_of_the_comparison_period_are_references(void)
{
    /* a figure told for last year's period is the reference, not the news */
    NEU("2009년 같은 기간의 순손실은 1,860만 유로였다.");
    /* a profit now against a loss then is a turn (and back) */
    POS("회사는 올해 120만 유로의 순이익을 기록했으며 지난해 같은 기간에는 30만 유로의 순손실을 기록했다.");
    POS("1분기 세전 이익은 5.1 mn이었고 전년 동기 EUR 2.0 mn의 손실이었다.");
    NEG("올해 영업손실은 3.2 mn이었고 1년 전 1.1 mn의 영업이익이었다.");
    CHECK(s_explains("1분기 세전 이익은 5.1 mn이었고 전년 동기 EUR 2.0 mn의 손실이었다.",
                     "against 손실 of the comparison period"));
    /* a period named as the base of a comparison leaves the measure the news */
    NEG("전년 동기 대비 순손실이 확대됐다");
    NEG("올해 순손실은 지난해 같은 기간보다 늘었다");
}

static void test_a_bare_decision_disclosure_is_damped(void)
{
    /* a headline that ends on a board decision reports a filing */
    NEU("한빛소재, 보통주 10만주 소각 결정[주목 e공시]");
    NEU("광명전기, 주당 1주 무상증자 결정");
    CHECK(s_explains("광명전기, 주당 1주 무상증자 결정", "in a clause ending on 결정 x0.3"));
    /* only the clause it ends: a first clause with its own news stands */
    POS("광명전기, 수요예측 경쟁률 1500대 1 기록…공모가 최상단 결정");
    /* the market's answer to a decision is news; a strong word keeps its sign */
    POS("광명전기, 무상증자 결정에 급등");
    NEG("광명전기, 상장폐지 결정");
}

static void test_macro_statistics_are_data(void)
{
    /* a price index or a jobs report moving is data, not a company's news */
    NEU("미국 3월 CPI 전년比 5.0%↑");
    NEU("美 11월 PPI 0.3% 하락");
    NEU("실업률 3.9%로 상승");
    NEU("미국 10월 비농업 고용 25만명↑");
    NEU("소비자 물가 지수 상승");
    /* the economy growing is still good news */
    POS("미국 1분기 GDP 2.4%↑");
    /* the Latin forms are words of their own (ppi in shipping is no hit) */
    POS("Shipping 상승");
}

static void test_terms_compose_across_amounts(void)
{
    /* a long run of amounts and Latin units between a state and its move */
    POS("이 회사의 4분기 순손실은 전년 동기 740만 유로에서 90만 유로(미화 120만 달러)로 줄었다고 밝혔다.");
    NEG("2분기 영업손실은 1년 전 120만 유로(USD 1.6m)에서 470만 유로(USD 6.3m)로 늘었다.");
}

static void test_reorganisations_are_housekeeping(void)
{
    /* a reorganisation or an appointment names its goals; it is no news yet */
    NEU("한결증권, 조직개편 단행…리테일·디지털 부문 강화");
    NEU("가람전자, 임원 인사 단행…신사업 강화에 방점");
    NEU("누리바이오, 공동 대표 체제로 전환…\"성장 가속\"");
    /* the goals themselves, told as results, still count */
    POS("가람전자, 신사업 수주 확대");
}

static void test_market_plumbing_volumes_are_statistics(void)
{
    /* issuance, settlement and conversion volumes are register statistics */
    NEU("2분기 ELS 발행액 18조원…전분기 대비 12% 증가");
    NEU("상반기 증권결제대금 일평균 25조…전년比 8%↓");
    NEU("3분기 주식관련사채 권리행사 20% 감소");
    /* a company's result told the same way is news */
    NEG("2분기 영업이익 전년比 12%↓");
}

static void test_stock_styles_are_names(void)
{
    /* 성장주, 낙폭과대주: the name of a style or a screen, not growth or a rebound */
    NEU("개인은 성장주, 외국인은 가치주 담았다");
    NEU("고성장주 펀드 신규 출시");
    NEU("이번 주 낙폭과대주 목록");
    /* the quality said of a company is still praise */
    POS("올해 고성장 기대");
}

static void test_a_currency_strength_is_the_exchange_rate(void)
{
    /* 달러 강세 is 환율 상승 told another way: no news by itself */
    NEU("달러 강세 당분간 이어질 듯");
    NEU("엔화 약세 심화에 일본 여행객 늘어");
    /* what it does to stocks is told by the words around it */
    NEG("달러 강세에 코스피 하락");
    POS("원화 강세로 코스피 상승 마감");
}

static void test_a_series_mark_is_not_a_price_limit(void)
{
    /* ㊤ ㊦ (NFKC 上 下) and (上) number the parts of a series: no limit hit */
    NEU("[반도체 기획㊤] 공급망 재편의 현장");
    NEU("[바이오 점검 ㊦ ] 임상 일정 다시 보기");
    NEU("[연금 개혁]㊦ 해외 사례는 어떻게 되나");
    NEU("[상장 심사 IPO-下] 제도 보완 논의");
    NEU("반도체 공급망 다시 보기 (上)");
    /* the limit marks themselves still count: quoted, or after a cause */
    POS("[특징주] 에이비씨, 무상증자 결정에 '上'");
    NEG("[특징주] 에이비씨, 관리종목 지정 우려…'下'");
    POS("에이비씨, 상장 이틀째 上");
}

static void test_two_sides_set_against_each_other(void)
{
    /* X vs Y reports a contest, not its outcome */
    NEU("\"바닥 통과\" vs \"추가 하락\"…반도체 전망 팽팽");
    NEU("\"실적 개선\" VS \"밸류 부담\"…증권가 의견 팽팽");
    /* a clear outcome beside it still counts, and vs inside a word is no hit */
    NEG("개인 매수 vs 외국인 매도…코스피 2% 급락");
    POS("Devsisters 주가 급등");
}

static void test_a_lock_up_ending_is_a_register_entry(void)
{
    /* 해제 of a lock-up eases nothing: a monthly count of lock-ups ending is no news */
    NEU("다음 달 38개사 1억2천만주 의무보유 해제");
    NEU("6월 보호예수 해제 물량 2억주");
    /* the stock's own move after it stands: a fall is not the lock-up "moving again" */
    NEG("보호예수 해제 광명전기, 3% 하락세");
    NEG("의무보유 해제에 광명전기 급락");
}

static void test_corpus_collisions_of_round_4(void)
{
    /* 리스크 관리 is a function, 인하우스 no cut, 피해야 "should avoid", 우수고객 a tier */
    NEU("가람캐피탈, 리스크 관리 체계 정비");
    NEU("누리소프트, 인하우스 정산 시스템 구축");
    NEU("\"지금은 무리한 레버리지 피해야\"");
    NEU("한결증권, 우수고객 전용 라운지 열어");
    /* the words themselves still count */
    NEG("가람전자, 화재로 200억 피해");
    NEG("금리 인상 리스크 커져");
}

static void test_a_claim_met_with_doubt_is_uncertain(void)
{
    /* '글쎄', 미지수: the hope is told and doubted at once, like 여부 */
    NEU("신작 출시 효과는 '글쎄'");
    NEU("신작 흥행 여부는 아직 미지수");
    /* a plain claim stays */
    POS("배당 확대 효과 톡톡");
}

int main(void)
{
    char dir[] = "/tmp/ktag-sentiment-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    s_write(dir, "entities.tsv", s_entities);
    s_write(dir, "josa.tsv", s_josa);
    s_link(dir, "sentiment_finance.tsv");
    s_link(dir, "sentiment_rules.tsv");
    ktag_error_t err = { 0 };
    lex = ktag_lexicon_open(dir, &err);
    if (!lex) {
        fprintf(stderr, "lexicon: %s\n", err.message);
        return 1;
    }
    res = ktag_result_new();

    test_term_rows_are_validated();
    test_finance_lexicon();
    test_direction_composition();
    test_negation();
    test_intensity();
    test_contrast();
    test_scores_sentences_and_labels();
    test_entity_sentiment();
    test_long_documents_grow_past_the_stack_buffers();
    test_random_token_soup_is_consistent();
    test_fitted_weights_and_the_plain_path();
    test_repeated_move_of_a_no_news_measure();
    test_man_e_is_no_cause();
    test_reference_state_of_a_comparison();
    test_terms_compose_across_amounts();
    test_capacity_and_market_position_are_measures();
    test_macro_statistics_are_data();
    test_reorganisations_are_housekeeping();
    test_market_plumbing_volumes_are_statistics();
    test_stock_styles_are_names();
    test_a_currency_strength_is_the_exchange_rate();
    test_a_series_mark_is_not_a_price_limit();
    test_two_sides_set_against_each_other();
    test_a_lock_up_ending_is_a_register_entry();
    test_corpus_collisions_of_round_4();
    test_a_claim_met_with_doubt_is_uncertain();
    test_a_bare_decision_disclosure_is_damped();
    test_figures_of_the_comparison_period_are_references();
    test_results_in_report_language();
    test_a_cause_with_a_neutral_effect_is_background();
    test_register_entries_and_word_collisions();
    test_framing_words_judge_every_funding_event();
    test_plain_descriptions_stay_neutral();
    test_doc_terms_do_not_reach_entities();

    ktag_result_destroy(&res);
    ktag_lexicon_destroy(&lex);
    const char *names[] = { "entities.tsv", "josa.tsv", "sentiment_finance.tsv", "sentiment_rules.tsv" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return check_report("sentiment");
}
