/*  test_amount.c - the Korean amount parser, table-driven: multipliers in
    every combination, commas and decimals, currencies and $/US$, percent
    forms, shares, hedges outside the span, and what is no amount (dates,
    quarters, ranks, phone-like runs, model names, weeks). */
#include <math.h>
#include <stdlib.h>

#include "amount.h"
#include "check.h"

typedef struct {
    const char *text;
    double value;          /* ignored when span is NULL */
    ktag_amount_unit_t unit;
    const char *span;      /* the first amount as written; NULL = none */
    int flags;             /* S scaled, P points, A approx, H hedged */
} s_case_t;

enum { S = 1, P = 2, A = 4, H = 8 };

static const s_case_t s_cases[] = {
    /* multipliers */
    { "1조2000억원 규모", 1.2e12, KTAG_AMOUNT_KRW, "1조2000억원", S | H },
    { "8만5천원으로 하향", 85000, KTAG_AMOUNT_KRW, "8만5천원", S },
    { "3,000억 투자", 3e11, KTAG_AMOUNT_NONE, "3,000억", S },
    { "1.5조 조달", 1.5e12, KTAG_AMOUNT_NONE, "1.5조", S },
    { "5천억 유상증자", 5e11, KTAG_AMOUNT_NONE, "5천억", S },
    { "3천5백만주 발행", 35000000, KTAG_AMOUNT_SHARES, "3천5백만주", S },
    { "1조 2000억원", 1.2e12, KTAG_AMOUNT_KRW, "1조 2000억원", S },
    { "2조3천억원", 2.3e12, KTAG_AMOUNT_KRW, "2조3천억원", S },
    { "12억3456만원", 1234560000, KTAG_AMOUNT_KRW, "12억3456만원", S },
    { "4775억 매수 우위", 4.775e11, KTAG_AMOUNT_NONE, "4775억", S },
    { "0.5억원", 5e7, KTAG_AMOUNT_KRW, "0.5억원", S },
    { "1.1억원", 110000000, KTAG_AMOUNT_KRW, "1.1억원", S },
    { "25.5억 규모", 2550000000, KTAG_AMOUNT_NONE, "25.5억", S | H },
    /* plain digits with a unit */
    { "85,000원", 85000, KTAG_AMOUNT_KRW, "85,000원", 0 },
    { "목표가 120000원", 120000, KTAG_AMOUNT_KRW, "120000원", 0 },
    { "1,234,567원", 1234567, KTAG_AMOUNT_KRW, "1,234,567원", 0 },
    /* currencies */
    { "50억달러 투자", 5e9, KTAG_AMOUNT_USD, "50억달러", S },
    { "50억 달러를 투자", 5e9, KTAG_AMOUNT_USD, "50억 달러", S },
    { "100억엔", 1e10, KTAG_AMOUNT_JPY, "100억엔", S },
    { "20억위안 규모", 2e9, KTAG_AMOUNT_CNY, "20억위안", S | H },
    { "3억유로", 3e8, KTAG_AMOUNT_EUR, "3억유로", S },
    { "$500", 500, KTAG_AMOUNT_USD, "$500", 0 },
    { "US$ 3.5억", 3.5e8, KTAG_AMOUNT_USD, "US$ 3.5억", S },
    { "us$120", 120, KTAG_AMOUNT_USD, "us$120", 0 },
    { "매출 $1,200", 1200, KTAG_AMOUNT_USD, "$1,200", 0 },
    { "100억 원을", 1e10, KTAG_AMOUNT_KRW, "100억 원", S },
    { "1000억여원", 1e11, KTAG_AMOUNT_KRW, "1000억여원", S | H },
    { "8만원대", 80000, KTAG_AMOUNT_KRW, "8만원대", S | A },
    /* percent */
    { "주가 3.5% 상승", 3.5, KTAG_AMOUNT_PERCENT, "3.5%", 0 },
    { "10%대 급등", 10, KTAG_AMOUNT_PERCENT, "10%대", A },
    { "0.25%p 인상", 0.25, KTAG_AMOUNT_PERCENT, "0.25%p", P },
    { "0.5%P 인하", 0.5, KTAG_AMOUNT_PERCENT, "0.5%P", P },
    { "1.2%포인트 하락", 1.2, KTAG_AMOUNT_PERCENT, "1.2%포인트", P },
    { "코스피 -1.2%", -1.2, KTAG_AMOUNT_PERCENT, "-1.2%", 0 },
    { "+29.9%", 29.9, KTAG_AMOUNT_PERCENT, "+29.9%", 0 },
    { "30퍼센트", 30, KTAG_AMOUNT_PERCENT, "30퍼센트", 0 },
    /* shares */
    { "10만주 매입", 1e5, KTAG_AMOUNT_SHARES, "10만주", S },
    { "1,000주", 1000, KTAG_AMOUNT_SHARES, "1,000주", 0 },
    /* hedges stay out of the span */
    { "약 3000억원", 3e11, KTAG_AMOUNT_KRW, "3000억원", S | H },
    { "최대 500억원", 5e10, KTAG_AMOUNT_KRW, "500억원", S | H },
    { "300억원 가량", 3e10, KTAG_AMOUNT_KRW, "300억원", S | H },
    { "1조원 이상", 1e12, KTAG_AMOUNT_KRW, "1조원", S | H },
    { "1조원대 수주", 1e12, KTAG_AMOUNT_KRW, "1조원대", S | A },
    { "최대500억원", 5e10, KTAG_AMOUNT_KRW, "500억원", S | H },
    { "최소 500억원", 5e10, KTAG_AMOUNT_KRW, "500억원", S | H },
    { "최소500억원", 5e10, KTAG_AMOUNT_KRW, "500억원", S },
    { "총 5조원", 5e12, KTAG_AMOUNT_KRW, "5조원", S | H },
    { "무려 5조원", 5e12, KTAG_AMOUNT_KRW, "5조원", S | H },
    { "500억원 미만", 5e10, KTAG_AMOUNT_KRW, "500억원", S | H },
    { "500억원 이하로", 5e10, KTAG_AMOUNT_KRW, "500억원", S | H },
    { "500억원 이전", 5e10, KTAG_AMOUNT_KRW, "500억원", S },
    /* the first amount after a rejected number */
    { "2023년 매출 3조원", 3e12, KTAG_AMOUNT_KRW, "3조원", S },
    { "3분기 영업이익 500억원", 5e10, KTAG_AMOUNT_KRW, "500억원", S },
    /* no amount */
    { "2023년 실적", 0, 0, NULL, 0 },
    { "3분기 실적", 0, 0, NULL, 0 },
    { "업계 1위", 0, 0, NULL, 0 },
    { "문의 010-1234-5678", 0, 0, NULL, 0 },
    { "02-3456-7890원", 0, 0, NULL, 0 },
    { "2024.12.05 공시", 0, 0, NULL, 0 },
    { "H100 칩", 0, 0, NULL, 0 },
    { "5G 장비", 0, 0, NULL, 0 },
    { "3주 연속 상승", 0, 0, NULL, 0 },
    { "100주년 기념", 0, 0, NULL, 0 },
    { "3조 원전 수주", 3e12, KTAG_AMOUNT_NONE, "3조", S },
    { "천궁 수출", 0, 0, NULL, 0 },
    { "5만에 그쳐", 5e4, KTAG_AMOUNT_NONE, "5만", S },
    { "제5차 회의", 0, 0, NULL, 0 },
};

static void test_table(void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof *s_cases; i++) {
        const s_case_t *c = &s_cases[i];
        ktag_amount_t a;
        bool found = ktag_amount_next(c->text, strlen(c->text), 0, &a);
        check_count++;
        if (found != (c->span != NULL)) {
            check_failures++;
            fprintf(stderr, "case \"%s\": expected %s\n", c->text, c->span ? "an amount" : "none");
            continue;
        }
        if (!found)
            continue;
        char span[128];
        snprintf(span, sizeof span, "%.*s", (int) (a.end - a.start), c->text + a.start);
        int flags = (a.scaled ? S : 0) | (a.points ? P : 0) | (a.approx ? A : 0) | (a.hedged ? H : 0);
        bool ok = strcmp(span, c->span) == 0 && a.unit == c->unit && flags == c->flags
                  && fabs(a.value - c->value) <= 1e-9 * fabs(c->value) + 1e-9
                  && (!a.scaled || a.value == floor(a.value));   /* scaled amounts are whole */
        check_count++;
        if (!ok) {
            check_failures++;
            fprintf(stderr, "case \"%s\": got \"%s\" %.6g unit %d flags %d; expected \"%s\" %.6g unit %d flags %d\n",
                    c->text, span, a.value, (int) a.unit, flags, c->span, c->value, (int) c->unit, c->flags);
        }
    }
}

static void test_parse_reads_only_at_its_position(void)
{
    const char *text = "영업이익 500억원";
    ktag_amount_t a;
    CHECK(!ktag_amount_parse(text, strlen(text), 0, &a));
    size_t at = strlen("영업이익 ");
    CHECK(ktag_amount_parse(text, strlen(text), at, &a));
    CHECK_INT(a.start, at);
    CHECK_INT(a.end, strlen(text));
    /*  The middle of a number is no start. */
    CHECK(!ktag_amount_parse(text, strlen(text), at + 1, &a));
}

static void test_next_walks_every_amount(void)
{
    const char *text = "목표가 9만원→8만5천원, 주가 3% 하락";
    size_t len = strlen(text), from = 0;
    const double values[] = { 90000, 85000, 3 };
    size_t n = 0;
    ktag_amount_t a;
    while (ktag_amount_next(text, len, from, &a)) {
        CHECK(n < 3);
        if (n < 3)
            CHECK(a.value == values[n]);
        n++;
        from = a.end;
    }
    CHECK_INT(n, 3);
}

static void test_large_marks_money_words(void)
{
    ktag_amount_t a;
    CHECK(ktag_amount_next("4775억 매수", strlen("4775억 매수"), 0, &a) && a.large);
    CHECK(ktag_amount_next("1천471 대 1", strlen("1천471 대 1"), 0, &a) && !a.large);
    CHECK(ktag_amount_next("8만5천원", strlen("8만5천원"), 0, &a) && !a.large);
}

static void test_unit_names(void)
{
    CHECK_STR(ktag_amount_unit_name(KTAG_AMOUNT_KRW), "KRW");
    CHECK_STR(ktag_amount_unit_name(KTAG_AMOUNT_PERCENT), "percent");
    CHECK_STR(ktag_amount_unit_name(KTAG_AMOUNT_SHARES), "shares");
    CHECK(ktag_amount_unit_name(KTAG_AMOUNT_NONE) == NULL);
}

static void test_truncated_input_is_safe(void)
{
    /*  Every prefix of a long amount parses without reading past len. */
    const char *text = "US$ 1조2,000억5천만원대";
    ktag_amount_t a;
    for (size_t len = 0; len <= strlen(text); len++) {
        char *copy = malloc(len ? len : 1);
        memcpy(copy, text, len);
        (void) ktag_amount_next(copy, len, 0, &a);
        free(copy);
    }
    CHECK(ktag_amount_next(text, strlen(text), 0, &a));
    CHECK(a.value == 1.20005e12);
}

/*  A unit, multiplier or percent word cut inside its last syllable by the
    end of the text is not read: the parser compares whole syllables. */
static void test_cut_syllables_are_not_read(void)
{
    ktag_amount_t a;
    const char *cho = "5조";   /* 5 and the 3 bytes of 조 */
    for (size_t len = 2; len <= 3; len++)
        CHECK(!ktag_amount_parse(cho, len, 0, &a));
    CHECK(ktag_amount_parse(cho, 4, 0, &a) && a.value == 5e12 && a.end == 4);

    const char *won = "100억원";
    size_t full = strlen(won);
    for (size_t len = full - 2; len < full; len++) {
        CHECK(ktag_amount_parse(won, len, 0, &a));
        CHECK(a.unit == KTAG_AMOUNT_NONE && a.end == strlen("100억"));
    }
    CHECK(ktag_amount_parse(won, full, 0, &a) && a.unit == KTAG_AMOUNT_KRW && a.end == full);

    const char *dollar = "50억달러";   /* 달 alone is no currency */
    CHECK(ktag_amount_parse(dollar, strlen("50억달"), 0, &a) && a.unit == KTAG_AMOUNT_NONE);
    CHECK(ktag_amount_parse(dollar, strlen(dollar) - 1, 0, &a) && a.unit == KTAG_AMOUNT_NONE);
    CHECK(ktag_amount_parse(dollar, strlen(dollar), 0, &a) && a.unit == KTAG_AMOUNT_USD);

    const char *points = "3%포인트";
    CHECK(ktag_amount_parse(points, strlen(points) - 1, 0, &a) && a.unit == KTAG_AMOUNT_PERCENT && !a.points
          && a.end == 2);
    CHECK(ktag_amount_parse(points, strlen(points), 0, &a) && a.points && a.end == strlen(points));
}

/*  A numeral past the largest double (10^308) would be written as "inf",
    which JSON cannot carry: it is no amount, and the amounts after it are
    still read. */
static void test_numerals_beyond_a_double_are_no_amount(void)
{
    char text[1024];
    ktag_amount_t a;
    memset(text, '9', 400);
    strcpy(text + 400, "원");
    CHECK(!ktag_amount_parse(text, strlen(text), 0, &a));
    /*  Finite digits that a multiplier carries past it: 10^300 조. */
    text[0] = '1';
    memset(text + 1, '0', 300);
    strcpy(text + 301, "조원, 500억원");
    CHECK(!ktag_amount_parse(text, strlen(text), 0, &a));
    CHECK(ktag_amount_next(text, strlen(text), 0, &a) && a.value == 5e10 && isfinite(a.value));
    text[0] = '-';
    memset(text + 1, '9', 400);
    strcpy(text + 401, "%");
    CHECK(!ktag_amount_parse(text, strlen(text), 0, &a));
}

int main(void)
{
    test_table();
    test_parse_reads_only_at_its_position();
    test_next_walks_every_amount();
    test_large_marks_money_words();
    test_unit_names();
    test_truncated_input_is_safe();
    test_cut_syllables_are_not_read();
    test_numerals_beyond_a_double_are_no_amount();
    return check_report("test_amount");
}
