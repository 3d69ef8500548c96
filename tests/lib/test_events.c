/*  test_events.c - the events analyzer on sentences written for this test
    (not headlines of the development set), one table row per rule or
    boundary: which events a sentence yields, linked to which entity, by
    which rule, with which amount.

    The analyzer runs on hand-made field views: the sentence normalized by
    ktag_normalize(), mentions of the entities below found by plain
    substring search (longest first), and the analyzer's cue words found the
    same way (as the lexicon's matcher would), so the test depends on no
    lexicon. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "check.h"
#include "events.h"
#include "lexicon_internal.h"
#include "normalize.h"

typedef struct {
    const char *surface;
    ktag_type_t type;
    const char *id;
    const char *name;
} s_entity_t;

static const s_entity_t s_entities[] = {
    { "카카오페이", KTAG_TYPE_COMPANY, "377300", "카카오페이" },
    { "카카오", KTAG_TYPE_COMPANY, "035720", "카카오" },
    { "네이버", KTAG_TYPE_COMPANY, "035420", "네이버" },
    { "삼성전자", KTAG_TYPE_COMPANY, "005930", "삼성전자" },
    { "SK하이닉스", KTAG_TYPE_COMPANY, "000660", "SK하이닉스" },
    { "셀트리온", KTAG_TYPE_COMPANY, "068270", "셀트리온" },
    { "LG화학", KTAG_TYPE_COMPANY, "051910", "LG화학" },
    { "LG에너지솔루션", KTAG_TYPE_COMPANY, "373220", "LG에너지솔루션" },
    { "에코프로", KTAG_TYPE_COMPANY, "086520", "에코프로" },
    { "삼성SDI", KTAG_TYPE_COMPANY, "006400", "삼성SDI" },
    { "GM", KTAG_TYPE_COMPANY, "x:general-motors", "GM" },
    { "화이자", KTAG_TYPE_COMPANY, "x:pfizer", "화이자" },
    { "KB증권", KTAG_TYPE_COMPANY, "x:kb-securities", "KB증권" },
    { "NH", KTAG_TYPE_COMPANY, "005940", "NH투자증권" },
    { "산업은행", KTAG_TYPE_ORG, "x:kdb", "한국산업은행" },
    { "유상증자", KTAG_TYPE_FUNDING, "rights_offering", "유상증자" },
    { "무상증자", KTAG_TYPE_FUNDING, "bonus_issue", "무상증자" },
    { "회사채", KTAG_TYPE_FUNDING, "corporate_bond", "회사채" },
    { "CB", KTAG_TYPE_FUNDING, "cb", "전환사채" },
    { "IPO", KTAG_TYPE_FUNDING, "ipo", "기업공개" },
    { "대표주관사", KTAG_TYPE_FUNDING, "ipo", "기업공개" },
    { "상장", KTAG_TYPE_FUNDING, "ipo", "기업공개" },
    { "자사주", KTAG_TYPE_FUNDING, "buyback", "자사주 매입" },
    { "배당수익률", KTAG_TYPE_FUNDING, "dividend", "배당" },
    { "배당", KTAG_TYPE_FUNDING, "dividend", "배당" },
};
#define S_ENTITY_COUNT (sizeof s_entities / sizeof *s_entities)

static ktag_entry_t s_entries[S_ENTITY_COUNT];
static ktag_normbuf_t s_buf;
static ktag_events_findings_t s_found;

static int s_by_start_longest(const void *a, const void *b)
{
    const ktag_term_hit_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/*  The events of `text` (one field) as one line per event:
    "type kind=… company=… cp=… source=… dir=… amount=…UNIT prev=… limit span=\"…\" rule=…",
    lines joined by " | ". */
static const char *s_events(const char *text)
{
    static char out[4096];
    ktag_error_t err = { 0 };
    if (ktag_normalize(&s_buf, text, strlen(text), &err))
        return "(normalize failed)";
    const char *norm = s_buf.view;
    size_t len = s_buf.len;
    static ktag_mention_t mentions[8192];
    size_t count = 0;
    /*  Leftmost-longest, like the engine. */
    for (size_t at = 0; at < len && count < 8192;) {
        size_t best = S_ENTITY_COUNT, best_len = 0;
        for (size_t e = 0; e < S_ENTITY_COUNT; e++) {
            size_t n = strlen(s_entities[e].surface);
            if (n > best_len && at + n <= len && strncasecmp(norm + at, s_entities[e].surface, n) == 0) {
                best = e;
                best_len = n;
            }
        }
        if (best == S_ENTITY_COUNT) {
            at++;
            continue;
        }
        mentions[count] = (ktag_mention_t) { (uint32_t) at, (uint32_t) (at + best_len), (uint32_t) best,
                                             &s_entries[best] };
        count++;
        at += best_len;
    }
    /*  The cue words, as the matcher reports them: every occurrence of
        every word, by start, longest first. */
    static ktag_term_hit_t words[16384];
    size_t word_count = 0;
    for (size_t at = 0; at < len; at++)
        for (size_t w = 0; w < ktag_events_word_count() && word_count < 16384; w++) {
            const char *word = ktag_events_word(w);
            size_t n = strlen(word);
            if (at + n <= len && strncasecmp(norm + at, word, n) == 0)
                words[word_count++] = (ktag_term_hit_t) { (uint32_t) at, (uint32_t) (at + n), (uint32_t) w };
        }
    qsort(words, word_count, sizeof *words, s_by_start_longest);
    /*  What the scan and the tagger note for the analyzer's gate. */
    uint32_t first = UINT32_MAX;
    for (size_t w = 0; w < word_count; w++)
        first = words[w].term < first ? words[w].term : first;
    size_t funding = 0;
    for (size_t m = 0; m < count; m++)
        funding += mentions[m].entry->type == KTAG_TYPE_FUNDING;
    ktag_field_view_t view = { .field = KTAG_FIELD_TEXT, .norm = norm, .norm_len = len,
                               .mentions = mentions, .mention_count = count,
                               .cue_words = words, .cue_word_count = word_count,
                               .cue_word_first = first, .funding_count = funding };
    if (ktag_events_analyze(&view, 1, &s_found))
        return "(analyze failed)";
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s_found.event_count && used < sizeof out - 256; i++) {
        const ktag_event_finding_t *e = &s_found.events[i];
        char line[512];
        int n = snprintf(line, sizeof line, "%s%s", i ? " | " : "", ktag_event_type_name(e->type));
        if (e->kind)
            n += snprintf(line + n, sizeof line - n, " kind=%s", e->kind);
        if (e->company >= 0)
            n += snprintf(line + n, sizeof line - n, " company=%s", s_entities[e->company].id);
        if (e->counterparty >= 0)
            n += snprintf(line + n, sizeof line - n, " cp=%s", s_entities[e->counterparty].id);
        if (e->source >= 0)
            n += snprintf(line + n, sizeof line - n, " source=%s", s_entities[e->source].id);
        if (e->direction)
            n += snprintf(line + n, sizeof line - n, " dir=%s", e->direction);
        if (e->has_amount)
            n += snprintf(line + n, sizeof line - n, " amount=%.10g%s", e->amount,
                          ktag_amount_unit_name(e->unit) ? ktag_amount_unit_name(e->unit) : "?");
        if (e->has_previous)
            n += snprintf(line + n, sizeof line - n, " prev=%.10g", e->previous);
        if (e->limit)
            n += snprintf(line + n, sizeof line - n, " limit");
        n += snprintf(line + n, sizeof line - n, " span=\"%.*s\" rule=%s", (int) (e->end - e->start),
                      norm + e->start, e->rule ? e->rule : "(none)");
        used += (size_t) snprintf(out + used, sizeof out - used, "%s", line);
    }
    return out;
}

typedef struct {
    const char *what;
    const char *text;
    const char *expected;
} s_case_t;

static const s_case_t s_cases[] = {
    /* ---- funding: issuer */
    { "subject before the comma, amount before the term",
      "네이버, 3000억원 규모 회사채 발행 결정",
      "funding kind=corporate_bond company=035420 amount=3e+11KRW span=\"3000억원 규모 회사채\" rule=subject_comma" },
    { "the company named right before the term is the issuer",
      "LG화학, 자회사 LG에너지솔루션 IPO 추진",
      "funding kind=ipo company=373220 span=\"IPO\" rule=issuer_before_term" },
    { "a broker arranging the issue is no issuer",
      "KB증권, 해외 CB 발행 대표주관",
      "funding kind=cb span=\"CB\" rule=agent_not_issuer" },
    { "X 자회사 is not X",
      "카카오 자회사, 5천억원 유상증자 추진",
      "funding kind=rights_offering amount=5e+11KRW span=\"5천억원 유상증자\" rule=subsidiary" },
    { "a topic particle marks the subject of an article sentence",
      "카카오페이는 지난달 5000억원 규모의 유상증자를 결정했다.",
      "funding kind=rights_offering company=377300 amount=5e+11KRW span=\"5000억원 규모의 유상증자\" rule=subject_topic" },
    { "a sentence without a subject takes the previous sentence's",
      "카카오페이는 이사회를 열었다. 5000억원 규모 유상증자를 결정했다.",
      "funding kind=rights_offering company=377300 amount=5e+11KRW span=\"5000억원 규모 유상증자\" rule=previous_sentence" },
    { "a sentence with its own subject does not inherit",
      "카카오페이는 이사회를 열었다. 네이버는 3억달러 규모 회사채를 발행한다.",
      "funding kind=corporate_bond company=035420 amount=300000000USD span=\"3억달러 규모 회사채\" rule=subject_topic" },
    { "an org before the amount is no issuer: the subject is",
      "삼성SDI, 산업은행 2000억 CB 전환 청구",
      "funding kind=cb company=006400 amount=2e+11KRW span=\"2000억 CB\" rule=subject_comma" },
    { "the only company of a sentence with no subject",
      "'유상증자 쇼크' 카카오페이 주가 약세",
      "funding kind=rights_offering company=377300 span=\"유상증자\" rule=sole_company | price_move company=377300 dir=down span=\"약세\" rule=stock_of_price" },
    { "a role named after the funding is no event of its own",
      "카카오, 내년 IPO 추진…대표주관사에 KB증권 선정",
      "funding kind=ipo company=035720 span=\"IPO\" rule=subject_comma" },
    { "a role named after the funding stands for it when nothing else does",
      "KB증권, 헬스케어기업과 대표주관사 계약 체결",
      "funding kind=ipo span=\"대표주관사\" rule=agent_not_issuer" },
    { "an issuerless repeat of a kind goes when the sentence names the issuer",
      "카카오, 상장 추진…IPO 대표주관사에 KB증권 선정",
      "funding kind=ipo company=035720 span=\"상장\" rule=subject_comma" },
    { "a funding term with no issuer in reach",
      "회사채 발행 시장 위축",
      "funding kind=corporate_bond span=\"회사채\" rule=no_issuer" },
    { "each company of a subject list",
      "카카오·네이버, 무상증자 결정",
      "funding kind=bonus_issue company=035720 span=\"무상증자\" rule=subject_comma | funding kind=bonus_issue company=035420 span=\"무상증자\" rule=subject_comma" },
    { "유·무상증자 is two events",
      "에코프로, 유·무상증자 동시 결정",
      "funding kind=bonus_issue company=086520 span=\"무상증자\" rule=subject_comma | funding kind=rights_offering company=086520 span=\"무상증자\" rule=subject_comma" },
    { "자사주 … 소각 is a cancellation; shares as the amount",
      "셀트리온, 자사주 50만주 소각 결정",
      "funding kind=treasury_cancel company=068270 amount=500000shares span=\"자사주 50만주\" rule=subject_comma" },
    { "a ratio is no amount",
      "에코프로, 100% 무상증자 결정",
      "funding kind=bonus_issue company=086520 span=\"무상증자\" rule=subject_comma" },
    { "metrics and funds named after funding words are no events",
      "삼성전자 배당수익률 3%대…월배당 ETF 상장",
      "" },
    /* ---- price moves */
    { "a percent and a move word, the subject before the comma",
      "카카오, 신작 흥행에 12% 급등",
      "price_move company=035720 dir=up amount=12percent span=\"12% 급등\" rule=subject_comma" },
    { "a clause after … names its own stock",
      "카카오, 소폭 강세…SK하이닉스 장중 3.5%↓",
      "price_move company=035720 dir=up span=\"강세\" rule=subject_comma | price_move company=000660 dir=down amount=3.5percent span=\"3.5%↓\" rule=clause_subject" },
    { "stocks listed right before the move",
      "'호재'에 삼성전자·SK하이닉스 동반 급등",
      "price_move company=005930 dir=up span=\"급등\" rule=stock_before_move | price_move company=000660 dir=up span=\"급등\" rule=stock_before_move" },
    { "상한가 and '下' are limit moves",
      "[특징주] 에코프로, 무상증자 권리락에 '下'",
      "funding kind=bonus_issue company=086520 span=\"무상증자\" rule=subject_comma | price_move company=086520 dir=down limit span=\"下\" rule=subject_comma" },
    { "a sector moves without a company",
      "정책 수혜 기대에 조선주 일제히 급등",
      "price_move dir=up span=\"급등\" rule=group" },
    { "indexes, rates and other prices are no stock moves",
      "코스피, 외국인 매도에 1.2% 하락…금리 급등에 원화약세",
      "" },
    { "a growth rate and a target change are no price moves",
      "카카오, 영업이익 30%↑…목표가 15%↑-KB증권",
      "earnings kind=operating_profit company=035720 dir=up span=\"영업이익 30%↑\" rule=subject_comma | target_price company=035720 source=x:kb-securities dir=up span=\"목표가 15%↑\" rule=subject_comma" },
    { "a bare 상승 needs a stock context",
      "기업가치 상승 기대…카카오 주가 상승",
      "price_move company=035720 dir=up span=\"상승\" rule=stock_of_price" },
    { "the stock before 주가 moved, whoever the sentence is about",
      "네이버가 새 검색 서비스를 발표했다는 소식에 카카오 주가가 5% 하락했다",
      "price_move company=035720 dir=down amount=5percent span=\"5% 하락\" rule=stock_of_price" },
    { "X의 주가, the stock before 주가 again",
      "엔비디아는 실적 발표 뒤 삼성전자의 주가가 3.5% 상승했다고 전했다",
      "price_move company=005930 dir=up amount=3.5percent span=\"3.5% 상승\" rule=stock_of_price" },
    { "X 우선주, is X; a quoted limit",
      "[특징주] 셀트리온 우선주, 신약 승인에 이틀 연속 '上'",
      "price_move company=068270 dir=up limit span=\"上\" rule=subject_comma" },
    { "a quoted arrow closing a [특징주] line is a move",
      "[특징주] 카카오, 신작 흥행 기대 '↑'",
      "price_move company=035720 dir=up span=\"↑\" rule=subject_comma" },
    /* ---- target prices */
    { "broker tail, arrow between the old and the new price",
      "셀트리온, 실적 부진 우려…목표가 9만원→8만5천원-KB증권",
      "target_price company=068270 source=x:kb-securities dir=down amount=85000KRW prev=90000 span=\"목표가 9만원→8만5천원\" rule=subject_comma" },
    { "에서 … 으로 and a direction word",
      "네이버 목표주가 25만원에서 28만원으로 상향-NH",
      "target_price company=035420 source=005940 dir=up amount=280000KRW prev=250000 span=\"목표주가 25만원에서 28만원으로 상향\" rule=subject_start" },
    { "a broker quoted in front is the source",
      "KB증권 \"삼성전자 목표가 유지\"",
      "target_price company=005930 source=x:kb-securities dir=keep span=\"목표가 유지\" rule=stock_before_target" },
    /* ---- earnings */
    { "measure, amount, direction after a comparison",
      "셀트리온 1분기 영업이익 1천억원...전년 대비 20%↑",
      "earnings kind=operating_profit company=068270 dir=up amount=1e+11KRW span=\"영업이익 1천억원...전년 대비 20%↑\" rule=subject_start" },
    { "a turn after the measure is its direction",
      "네이버, 1분기 순이익 500억원 달성…흑자전환",
      "earnings kind=net_income company=035420 dir=turn_profit amount=5e+10KRW span=\"순이익 500억원 달성...흑자전환\" rule=subject_comma" },
    { "a turn with no measure stands alone; a loss is negative",
      "카카오, 2분기 흑자 전환…3분기엔 1조 영업손실",
      "earnings company=035720 dir=turn_profit span=\"흑자 전환\" rule=subject_comma | earnings kind=operating_profit company=035720 amount=-1e+12KRW span=\"1조 영업손실\" rule=subject_comma" },
    { "measures joined by · share a record",
      "삼성전자, 상반기 매출·영업이익 '사상 최대'",
      "earnings kind=revenue company=005930 span=\"매출\" rule=subject_comma | earnings kind=operating_profit company=005930 span=\"영업이익\" rule=subject_comma" },
    { "a beat is a result; a margin and a share are not",
      "카카오, 순이익 컨센서스 상회…영업이익률 개선, 매출 비중 확대",
      "earnings kind=net_income company=035720 span=\"순이익\" rule=subject_comma" },
    { "반토막 is a fall",
      "네이버, 2분기 영업이익 반토막",
      "earnings kind=operating_profit company=035420 dir=down span=\"영업이익 반토막\" rule=subject_comma" },
    { "a quoted statement keeps its direction to itself",
      "네이버, 매출 2조원…\"시장 확대로 성장 기대\"",
      "earnings kind=revenue company=035420 amount=2e+12KRW span=\"매출 2조원\" rule=subject_comma" },
    /* ---- contracts */
    { "counterparty with 과, amount before the deal word",
      "삼성SDI, GM과 5조원 규모 배터리 공급계약 체결",
      "contract company=006400 cp=x:general-motors amount=5e+12KRW span=\"5조원 규모 배터리 공급계약\" rule=subject_comma" },
    { "counterparty with 에",
      "셀트리온, 화이자에 항체 신약 기술이전",
      "contract company=068270 cp=x:pfizer span=\"기술이전\" rule=subject_comma" },
    { "expected, aggregate or cancelled deals are no events",
      "LG화학, 수주 증가 전망…공급계약 해지 공시",
      "" },
    { "a denial inside a following quotation does not count",
      "LG화학, 배터리 추가 수주 '증설 본격화'",
      "contract company=051910 span=\"수주\" rule=subject_comma" },
    { "계약 체결 counts unless an acquisition or a mandate",
      "에코프로, 경기도와 계약 체결…네이버, 인수 본계약 체결",
      "contract company=086520 span=\"계약 체결\" rule=subject_comma" },
    /* ---- the sentence pass: 16-byte blocks, quotes, digit runs */
    { "a digit run across a 16-byte block is one amount",
      "네이버, 123456억원 규모 회사채 발행",
      "funding kind=corporate_bond company=035420 amount=1.23456e+13KRW span=\"123456억원 규모 회사채\" rule=subject_comma" },
    { "a subject in curly quotes before the comma",
      "‘카카오페이’, 5000억원 규모 유상증자 결정",
      "funding kind=rights_offering company=377300 amount=5e+11KRW span=\"5000억원 규모 유상증자\" rule=subject_comma" },
    { "a subject in corner brackets before the comma",
      "『카카오페이』, 5000억원 유상증자",
      "funding kind=rights_offering company=377300 amount=5e+11KRW span=\"5000억원 유상증자\" rule=subject_comma" },
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof *s_cases; i++) {
        const s_case_t *c = &s_cases[i];
        const char *got = s_events(c->text);
        check_count++;
        if (strcmp(got, c->expected) != 0) {
            check_failures++;
            fprintf(stderr, "%s\n  text:     %s\n  expected: %s\n  got:      %s\n", c->what, c->text,
                    c->expected, got);
        }
    }
}

static void test_offsets_are_normalized_bytes_of_the_field(void)
{
    const char *text = "카카오, 3%대 강세";
    s_events(text);
    CHECK_INT(s_found.event_count, 1);
    const ktag_event_finding_t *e = &s_found.events[0];
    CHECK_INT(e->field, KTAG_FIELD_TEXT);
    CHECK_STR(strstr(text, "3%대 강세") == text + e->start ? "ok" : "bad start", "ok");
    CHECK_INT(e->end, strlen(text));
}

static void test_findings_are_reused_and_emptied(void)
{
    s_events("카카오, 12% 급등");
    CHECK_INT(s_found.event_count, 1);
    s_events("아무 일도 없었다");
    CHECK_INT(s_found.event_count, 0);
    /*  A long article: many sentences, buffers grow and are kept. */
    char *article = malloc(200000);
    size_t len = 0;
    for (int i = 0; i < 2000; i++)
        len += (size_t) snprintf(article + len, 200000 - len, "카카오는 %d억원 규모 유상증자를 결정했다. ", i + 1);
    s_events(article);
    CHECK_INT(s_found.event_count, 2000);
    CHECK(s_found.event_count == 2000 && s_found.events[1999].has_amount
          && s_found.events[1999].amount == 2000e8);
    free(article);
}

static void test_event_type_names(void)
{
    CHECK_STR(ktag_event_type_name(KTAG_EVENT_FUNDING), "funding");
    CHECK_STR(ktag_event_type_name(KTAG_EVENT_CONTRACT), "contract");
    CHECK(ktag_event_type_name(KTAG_EVENT_TYPE_COUNT) == NULL);
}

/*  A dense input may cost at most `factor` times a sparse one (or under
    10 ms in all): time that grows with the square of it shows as hundreds. */
static void s_check_linear(const char *what, double sparse, double dense, double factor)
{
    CHECK(dense < factor * sparse || dense < 0.01);
    if (!(dense < factor * sparse || dense < 0.01))
        fprintf(stderr, "%s: sparse %.6f s, dense %.6f s\n", what, sparse, dense);
}

/*  The analyzer's CPU time on one field view, the least of `runs` runs
    (the host is shared: the least is the steadiest). */
static double s_analyze_seconds(const ktag_field_view_t *view, int runs)
{
    double best = 1e9;
    for (int run = 0; run < runs; run++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        CHECK_INT(ktag_events_analyze(view, 1, &s_found), 0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        double seconds = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        best = seconds < best ? seconds : best;
    }
    return best;
}

/*  "삼성전자 유상증자 급락 " × `repeats` as one sentence, its mentions and cue
    words made directly (the substring search of s_events() is quadratic
    itself); the analyzer's CPU time on it, the least of 5 runs. */
static double s_dense_seconds(size_t repeats, size_t *events)
{
    static const char unit[] = "삼성전자 유상증자 급락 ";
    const size_t unit_len = sizeof unit - 1, company_len = strlen("삼성전자"), funding_len = strlen("유상증자");
    size_t move = 0;
    while (strcmp(ktag_events_word(move), "급락") != 0)
        move++;
    char *text = malloc(repeats * unit_len + 1);
    ktag_mention_t *mentions = malloc(2 * repeats * sizeof *mentions);
    ktag_term_hit_t *words = malloc(repeats * sizeof *words);
    CHECK(text && mentions && words);
    if (!text || !mentions || !words)
        return 0;
    for (size_t i = 0; i < repeats; i++) {
        uint32_t at = (uint32_t) (i * unit_len);
        memcpy(text + at, unit, unit_len);
        mentions[2 * i] = (ktag_mention_t) { at, at + (uint32_t) company_len, 3, &s_entries[3] };
        uint32_t f = at + (uint32_t) company_len + 1;
        mentions[2 * i + 1] = (ktag_mention_t) { f, f + (uint32_t) funding_len, 15, &s_entries[15] };
        uint32_t w = f + (uint32_t) funding_len + 1;
        words[i] = (ktag_term_hit_t) { w, w + (uint32_t) strlen("급락"), (uint32_t) move };
    }
    text[repeats * unit_len] = '\0';
    ktag_field_view_t view = { .field = KTAG_FIELD_TEXT, .norm = text, .norm_len = repeats * unit_len,
                               .mentions = mentions, .mention_count = 2 * repeats,
                               .cue_words = words, .cue_word_count = repeats,
                               .cue_word_first = (uint32_t) move, .funding_count = repeats };
    double best = s_analyze_seconds(&view, 5);
    *events = s_found.event_count;
    free(text);
    free(mentions);
    free(words);
    return best;
}

/*  A sentence dense with triggers costs time linear in its length: 8 times
    the text takes about 8 times the time, not 64 (2,000 repeats took 0.36 s
    per 10,000 when the rules scanned the whole sentence per trigger). */
static void test_dense_sentence_costs_linear_time(void)
{
    size_t small_events, large_events, few_events;
    double small = s_dense_seconds(2000, &small_events);
    double large = s_dense_seconds(16000, &large_events);
    s_check_linear("dense sentence, 2,000 and 16,000 repeats", small, large, 24);
    /*  Such a sentence states nothing; a sentence of prose with the same
        words still does. */
    CHECK_INT(small_events, 0);
    CHECK_INT(large_events, 0);
    s_dense_seconds(10, &few_events);
    CHECK(few_events > 0);
}

/*  The analyzer's CPU time on one sentence: `measures` earnings measures
    joined by '·', `filler` bytes of Hangul, then `directions` times " 증가"
    (mentions none, cue words made directly), the least of 3 runs. */
static double s_measures_seconds(size_t measures, size_t filler, size_t directions)
{
    size_t revenue = 0, increase = 0;
    while (strcmp(ktag_events_word(revenue), "매출") != 0)
        revenue++;
    while (strcmp(ktag_events_word(increase), "증가") != 0)
        increase++;
    size_t cap = measures * 8 + filler + directions * 8 + 8;
    char *text = malloc(cap);
    ktag_term_hit_t *words = malloc((measures + directions) * sizeof *words);
    CHECK(text && words);
    if (!text || !words)
        return 0;
    size_t len = 0, count = 0;
    for (size_t i = 0; i < measures; i++) {
        if (i)
            len += (size_t) sprintf(text + len, "·");
        words[count++] = (ktag_term_hit_t) { (uint32_t) len, (uint32_t) len + 6, (uint32_t) revenue };
        len += (size_t) sprintf(text + len, "매출");
    }
    text[len++] = ' ';
    for (size_t i = 0; i + 3 <= filler; i += 3)
        len += (size_t) sprintf(text + len, "가");
    for (size_t i = 0; i < directions; i++) {
        text[len++] = ' ';
        words[count++] = (ktag_term_hit_t) { (uint32_t) len, (uint32_t) len + 6, (uint32_t) increase };
        len += (size_t) sprintf(text + len, "증가");
    }
    ktag_field_view_t view = { .field = KTAG_FIELD_TEXT, .norm = text, .norm_len = len,
                               .cue_words = words, .cue_word_count = count,
                               .cue_word_first = (uint32_t) (revenue < increase ? revenue : increase) };
    double best = s_analyze_seconds(&view, 3);
    free(text);
    free(words);
    return best;
}

/*  A direction word far after its measure is never read with it, so 120
    joined measures and 120 such words cost about what one of each does
    over the same filler (each pair scanned the filler for a quote: 120 x
    120 times 12 KB took seconds). */
static void test_far_directions_cost_no_scan_per_pair(void)
{
    double sparse = s_measures_seconds(1, 12000, 1);
    double dense = s_measures_seconds(120, 12000, 120);
    s_check_linear("far directions, 1 x 1 and 120 x 120", sparse, dense, 20);
}

/*  The analyzer's CPU time on one sentence: `items` words joined by '/'
    ("x/x/…/"), then 삼성전자, then `moves` times " 5%↑" and `mentions`
    more times " 삼성전자" (mentions and cue words made directly), the least
    of 3 runs. */
static double s_joined_run_seconds(size_t items, size_t moves, size_t mentions)
{
    static const char company[] = "삼성전자", move[] = " 5%↑";
    const size_t company_len = sizeof company - 1, move_len = sizeof move - 1;
    size_t arrow = 0;
    while (strcmp(ktag_events_word(arrow), "↑") != 0)
        arrow++;
    size_t cap = 2 * items + (1 + mentions) * (company_len + 1) + moves * move_len + 1;
    char *text = malloc(cap);
    ktag_mention_t *found = malloc((1 + mentions) * sizeof *found);
    ktag_term_hit_t *words = malloc((moves ? moves : 1) * sizeof *words);
    CHECK(text && found && words);
    if (!text || !found || !words)
        return 0;
    size_t len = 0;
    for (size_t i = 0; i < items; i++) {
        text[len++] = 'x';
        text[len++] = '/';
    }
    for (size_t i = 0; i < 1 + mentions; i++) {
        if (i == 1)
            for (size_t k = 0; k < moves; k++) {
                memcpy(text + len, move, move_len);
                uint32_t w = (uint32_t) (len + move_len - strlen("↑"));
                words[k] = (ktag_term_hit_t) { w, (uint32_t) (len + move_len), (uint32_t) arrow };
                len += move_len;
            }
        if (i)
            text[len++] = ' ';
        memcpy(text + len, company, company_len);
        found[i] = (ktag_mention_t) { (uint32_t) len, (uint32_t) (len + company_len), 3, &s_entries[3] };
        len += company_len;
    }
    text[len] = '\0';
    ktag_field_view_t view = { .field = KTAG_FIELD_TEXT, .norm = text, .norm_len = len,
                               .mentions = found, .mention_count = 1 + mentions,
                               .cue_words = words, .cue_word_count = moves, .cue_word_first = (uint32_t) arrow };
    double best = s_analyze_seconds(&view, 3);
    free(text);
    free(found);
    free(words);
    return best;
}

/*  A move word with no subject reads the list of names before it backwards
    ("A·B·C 5%↑"); a long run of joined words that are no names must not be
    walked once per move word, each step looking through every mention
    (120 moves and 120 mentions over a 1 MB run took 3.6 s). */
static void test_a_long_joined_run_is_not_walked_per_move(void)
{
    double sparse = s_joined_run_seconds(20000, 1, 1);
    double dense = s_joined_run_seconds(20000, 120, 120);
    s_check_linear("joined run, 1 move and 120 moves and mentions", sparse, dense, 20);
}

int main(void)
{
    for (size_t e = 0; e < S_ENTITY_COUNT; e++)
        s_entries[e] = (ktag_entry_t) { .type = s_entities[e].type, .id = (char *) s_entities[e].id,
                                        .name = (char *) s_entities[e].name };
    test_table();
    test_offsets_are_normalized_bytes_of_the_field();
    test_findings_are_reused_and_emptied();
    test_event_type_names();
    test_dense_sentence_costs_linear_time();
    test_far_directions_cost_no_scan_per_pair();
    test_a_long_joined_run_is_not_walked_per_move();
    ktag_events_findings_release(&s_found);
    ktag_normbuf_release(&s_buf);
    return check_report("test_events");
}
