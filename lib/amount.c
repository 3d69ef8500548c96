/*  amount.c - Korean amounts as numbers (see amount.h).

    A numeral is a run of groups, each a number (digits, thousands commas, a
    decimal part) optionally followed by a small multiplier (천 백) that
    adds to the current section, or a large one (조 억 만) that closes the
    section: 1조2000억 = (1)·10^12 + (2000)·10^8, 8만5천 = 8·10^4 + 5·10^3,
    5천억 = (5·10^3)·10^8.  Multipliers must come in falling order, so 3만 억
    is read as 3만 and stops.
*/
#include <math.h>
#include <string.h>

#include "amount.h"

static const char *const s_unit_names[] = {
    [KTAG_AMOUNT_NONE] = NULL,
    [KTAG_AMOUNT_KRW] = "KRW",
    [KTAG_AMOUNT_USD] = "USD",
    [KTAG_AMOUNT_EUR] = "EUR",
    [KTAG_AMOUNT_JPY] = "JPY",
    [KTAG_AMOUNT_CNY] = "CNY",
    [KTAG_AMOUNT_PERCENT] = "percent",
    [KTAG_AMOUNT_SHARES] = "shares",
};

const char *ktag_amount_unit_name(ktag_amount_unit_t unit)
{
    return (unsigned) unit <= KTAG_AMOUNT_SHARES ? s_unit_names[unit] : NULL;
}

static bool s_digit(const char *text, size_t len, size_t at)
{
    return at < len && text[at] >= '0' && text[at] <= '9';
}

static bool s_ascii_alnum(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/*  True when the UTF-8 bytes of `word` (not empty) stand at text[at].  The
    first two bytes are compared before the length is taken: most calls
    stop there. */
static inline bool s_at(const char *text, size_t len, size_t at, const char *word)
{
    if (at >= len || text[at] != word[0] || (word[1] && (at + 1 >= len || text[at + 1] != word[1])))
        return false;
    size_t n = strlen(word);
    return at + n <= len && memcmp(text + at, word, n) == 0;
}

/*  True when a Hangul syllable starts at `at` (U+AC00..U+D7A3: EA B0 80 ..
    ED 9E A3). */
static bool s_hangul_at(const char *text, size_t len, size_t at)
{
    if (at + 3 > len)
        return false;
    unsigned char b = (unsigned char) text[at];
    return b >= 0xEA && b <= 0xED;
}

typedef struct {
    const char *word;
    double factor;
    bool large;
} s_multiplier_t;

static const s_multiplier_t s_multipliers[] = {
    { "조", 1e12, true }, { "억", 1e8, true }, { "만", 1e4, true },
    { "천", 1e3, false }, { "백", 1e2, false },
};

/*  Read digits with thousands commas and a decimal part at *at.
    @returns false when no digit is there, or the run is glued to more
    digits by '.' or '-' (2023.12.05, 010-1234). */
static bool s_number(const char *text, size_t len, size_t *at, double *value)
{
    size_t p = *at;
    if (!s_digit(text, len, p))
        return false;
    double v = 0;
    for (;;) {
        while (s_digit(text, len, p))
            v = v * 10 + (text[p++] - '0');
        /*  A comma continues the number only before exactly three digits. */
        if (p < len && text[p] == ',' && s_digit(text, len, p + 1) && s_digit(text, len, p + 2)
            && s_digit(text, len, p + 3) && !s_digit(text, len, p + 4)) {
            p++;
            continue;
        }
        break;
    }
    if (p < len && text[p] == '.' && s_digit(text, len, p + 1)) {
        p++;
        double scale = 0.1;
        while (s_digit(text, len, p)) {
            v += (text[p++] - '0') * scale;
            scale /= 10;
        }
        if (p < len && text[p] == '.' && s_digit(text, len, p + 1))
            return false;   /* 2023.12.05 */
    }
    if (p < len && text[p] == '-' && s_digit(text, len, p + 1))
        return false;       /* 010-1234-5678, 2023-2024 */
    *at = p;
    *value = v;
    return true;
}

/*  Read a numeral at *at.  Sets *scaled when a multiplier was read. */
static bool s_numeral(const char *text, size_t len, size_t *at, double *value, bool *scaled, bool *large)
{
    size_t p = *at;
    double total = 0, section = 0, number;
    double last_large = 1e300, last_small = 1e300;
    *scaled = *large = false;
    if (!s_number(text, len, &p, &number))
        return false;
    for (;;) {
        const s_multiplier_t *mult = NULL;
        for (size_t m = 0; m < sizeof s_multipliers / sizeof *s_multipliers; m++)
            if (s_at(text, len, p, s_multipliers[m].word)) {
                mult = &s_multipliers[m];
                break;
            }
        bool fits = mult && (mult->large ? mult->factor < last_large : mult->factor < last_small);
        if (!fits) {
            section += number;
            number = 0;
            break;
        }
        p += strlen(mult->word);
        *scaled = true;
        if (mult->large) {
            *large = *large || mult->factor >= 1e8;
            total += (section + number) * mult->factor;
            section = 0;
            last_large = mult->factor;
            last_small = 1e300;
        } else {
            section += number * mult->factor;
            last_small = mult->factor;
        }
        number = 0;
        /*  A larger multiplier may follow a smaller one at once (5천억). */
        bool more = false;
        for (size_t m = 0; m < sizeof s_multipliers / sizeof *s_multipliers; m++)
            if (s_multipliers[m].large && s_multipliers[m].factor < last_large
                && s_at(text, len, p, s_multipliers[m].word))
                more = true;
        if (more)
            continue;
        /*  Another group may follow: digits at once, or after one space
            when they carry a smaller multiplier (1조 2000억). */
        size_t q = p;
        if (q < len && text[q] == ' ')
            q++;
        double next;
        size_t r = q;
        if (!s_number(text, len, &r, &next))
            break;
        if (q > p) {
            bool smaller = false;
            for (size_t m = 0; m < sizeof s_multipliers / sizeof *s_multipliers; m++)
                if (s_at(text, len, r, s_multipliers[m].word) && s_multipliers[m].factor < last_large)
                    smaller = true;
            if (!smaller)
                break;
        }
        p = r;
        number = next;
    }
    /*  A scaled decimal (1.1억) is a whole number of units: drop the
        binary fraction 1.1 × 10^8 leaves behind. */
    *value = *scaled ? round(total + section + number) : total + section + number;
    *at = p;
    return true;
}

typedef struct {
    const char *word;
    ktag_amount_unit_t unit;
} s_unit_word_t;

static const s_unit_word_t s_currencies[] = {
    { "달러", KTAG_AMOUNT_USD }, { "위안", KTAG_AMOUNT_CNY }, { "유로", KTAG_AMOUNT_EUR },
    { "원", KTAG_AMOUNT_KRW }, { "엔", KTAG_AMOUNT_JPY },
};

/*  After "100억 원" with a space, a Hangul syllable may follow the unit only
    when it is a particle or a suffix of amounts, so "3조 원전" stays
    unread. */
static const char *const s_after_spaced_unit[] = {
    "을", "를", "이", "은", "는", "의", "에", "와", "과", "으", "로", "도", "만", "까",
    "대", "씩", "어", "짜", "선", "규", "가", "수", "보", "넘", "이",
};

static bool s_spaced_unit_ok(const char *text, size_t len, size_t at)
{
    if (!s_hangul_at(text, len, at))
        return true;
    for (size_t i = 0; i < sizeof s_after_spaced_unit / sizeof *s_after_spaced_unit; i++)
        if (s_at(text, len, at, s_after_spaced_unit[i]))
            return true;
    return false;
}

static bool s_ascii_word_at(const char *text, size_t len, size_t at, const char *lower)
{
    size_t n = strlen(lower);
    if (at + n > len)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((text[at + i] | ((text[at + i] >= 'A' && text[at + i] <= 'Z') ? 0x20 : 0)) != lower[i])
            return false;
    return true;
}

static const struct {
    const char *word;
    size_t len;
} s_hedges_before[] = {
#define HEDGE(word) { word, sizeof word - 1 }
    HEDGE("약 "), HEDGE("최대 "), HEDGE("최소 "), HEDGE("총 "), HEDGE("무려 "), HEDGE("약"), HEDGE("최대"),
#undef HEDGE
};
static const char *const s_hedges_after[] = {
    "규모", "가량", "이상", "이하", "안팎", "내외", "수준", "여", "정도", "미만", "넘",
};

static bool s_hedged(const char *text, size_t len, size_t start, size_t end)
{
    for (size_t i = 0; i < sizeof s_hedges_before / sizeof *s_hedges_before; i++) {
        size_t n = s_hedges_before[i].len;
        const char *word = s_hedges_before[i].word;
        if (start >= n && text[start - 1] == word[n - 1] && memcmp(text + start - n, word, n) == 0)
            return true;
    }
    size_t after = end < len && text[end] == ' ' ? end + 1 : end;
    for (size_t i = 0; i < sizeof s_hedges_after / sizeof *s_hedges_after; i++)
        if (s_at(text, len, after, s_hedges_after[i]))
            return true;
    return false;
}

/*  True when `pos` cannot start an amount because it continues a word or a
    number: a letter or digit before it, or "1," "1." "1-" before it. */
static bool s_glued_before(const char *text, size_t pos)
{
    if (pos == 0)
        return false;
    char c = text[pos - 1];
    if (s_ascii_alnum(c))
        return true;
    if ((c == ',' || c == '.' || c == '-') && pos >= 2 && s_ascii_alnum(text[pos - 2]))
        return true;
    return false;
}

bool ktag_amount_parse(const char *text, size_t len, size_t pos, ktag_amount_t *out)
{
    if (pos >= len || s_glued_before(text, pos))
        return false;
    ktag_amount_t a = { .start = pos };
    size_t p = pos;
    bool dollar = false, negative = false;
    if ((text[p] | 0x20) == 'u' && s_ascii_word_at(text, len, p, "us$")) {
        dollar = true;
        p += 3;
    } else if (text[p] == '$') {
        dollar = true;
        p++;
    }
    if (!dollar && p + 1 < len && (text[p] == '-' || text[p] == '+') && s_digit(text, len, p + 1)) {
        negative = text[p] == '-';
        p++;
    }
    if (dollar && p < len && text[p] == ' ')
        p++;
    double value;
    if (!s_numeral(text, len, &p, &value, &a.scaled, &a.large))
        return false;
    size_t numeral_end = p;
    if (p < len && s_ascii_alnum(text[p]))
        return false;       /* 5G, 3D, 100m */

    if (dollar) {
        a.unit = KTAG_AMOUNT_USD;
    } else {
        /*  "1000억여원": 여 between the numeral and its currency. */
        size_t q = p;
        if (a.scaled && s_at(text, len, q, "여")) {
            for (size_t c = 0; c < sizeof s_currencies / sizeof *s_currencies; c++)
                if (s_at(text, len, q + 3, s_currencies[c].word)) {
                    q += 3;
                    a.hedged = true;
                    break;
                }
        }
        if (s_at(text, len, q, "%") || s_at(text, len, q, "퍼센트")) {
            a.unit = KTAG_AMOUNT_PERCENT;
            q += text[q] == '%' ? 1 : strlen("퍼센트");
            if (s_ascii_word_at(text, len, q, "p") && !(q + 1 < len && s_ascii_alnum(text[q + 1]))) {
                a.points = true;
                q++;
            } else if (s_at(text, len, q, "포인트")) {
                a.points = true;
                q += strlen("포인트");
            }
            p = q;
        } else {
            bool spaced = q < len && text[q] == ' ' && q == numeral_end;
            size_t u = spaced ? q + 1 : q;
            for (size_t c = 0; c < sizeof s_currencies / sizeof *s_currencies; c++) {
                const char *word = s_currencies[c].word;
                if (s_at(text, len, u, word)
                    && (!spaced || s_spaced_unit_ok(text, len, u + strlen(word)))) {
                    a.unit = s_currencies[c].unit;
                    p = u + strlen(word);
                    break;
                }
            }
            /*  주 is shares after a scaled or large count (10만주, 1,000주);
                3주 연속 and 2주간 are weeks. */
            if (a.unit == KTAG_AMOUNT_NONE && s_at(text, len, q, "주") && (a.scaled || value >= 1000)
                && !s_at(text, len, q + 3, "년") && !s_at(text, len, q + 3, "간")
                && !s_at(text, len, q + 3, "차") && !s_at(text, len, q + 3, "째")) {
                a.unit = KTAG_AMOUNT_SHARES;
                p = q + 3;
            }
        }
        /*  2023년, 3분기, 1위: a bare number is no amount.  A scaled one
            without unit (4775억, 3만명) is, and the caller decides what
            it counts. */
        if (a.unit == KTAG_AMOUNT_NONE && !a.scaled)
            return false;
    }
    /*  8만원대, 3%대: "in the range of". */
    if (a.unit != KTAG_AMOUNT_NONE && a.unit != KTAG_AMOUNT_SHARES && s_at(text, len, p, "대")) {
        a.approx = true;
        p += 3;
    }
    a.value = negative ? -value : value;
    a.end = p;
    a.hedged = a.hedged || s_hedged(text, len, a.start, a.end);
    *out = a;
    return true;
}

bool ktag_amount_next(const char *text, size_t len, size_t from, ktag_amount_t *out)
{
    for (size_t p = from; p < len; p++) {
        char c = text[p];
        bool candidate = (c >= '0' && c <= '9') || c == '$' || c == 'u' || c == 'U'
                         || ((c == '-' || c == '+') && s_digit(text, len, p + 1));
        if (!candidate || s_glued_before(text, p))
            continue;
        if (ktag_amount_parse(text, len, p, out))
            return true;
        /*  Skip the rest of a digit run that is no amount. */
        while (p + 1 < len && (s_digit(text, len, p + 1) || text[p + 1] == ',' || text[p + 1] == '.'))
            p++;
    }
    return false;
}
