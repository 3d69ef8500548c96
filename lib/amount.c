/*  amount.c - Korean amounts as numbers (see amount.h).

    A numeral is a run of groups, each a number (digits, thousands commas, a
    decimal part) optionally followed by a small multiplier (천 백) that
    adds to the current section, or a large one (조 억 만) that closes the
    section: 1조2000억 = (1)·10^12 + (2000)·10^8, 8만5천 = 8·10^4 + 5·10^3,
    5천억 = (5·10^3)·10^8.  Multipliers must come in falling order, so 3만 억
    is read as 3만 and stops.
*/
#include <math.h>
#include <stdint.h>
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

/*  The three bytes at text[at] packed into one number, 0 when fewer are
    left.  S_KEY() packs the first three bytes of a literal the same way at
    compile time, so that a Hangul syllable (three bytes) is compared in one
    step: s_key(text, len, at) == S_KEY("조") is true exactly when 조
    stands at text[at]. */
#define S_KEY(word) \
    ((uint32_t) (uint8_t) (word)[0] << 16 | (uint32_t) (uint8_t) (word)[1] << 8 | (uint32_t) (uint8_t) (word)[2])

static inline uint32_t s_key(const char *text, size_t len, size_t at)
{
    if (at + 3 > len)
        return 0;
    const uint8_t *b = (const uint8_t *) text + at;
    return (uint32_t) b[0] << 16 | (uint32_t) b[1] << 8 | b[2];
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
    uint32_t key;
    double factor;
    bool large;
} s_multiplier_t;

static const s_multiplier_t s_multipliers[] = {
    { S_KEY("조"), 1e12, true }, { S_KEY("억"), 1e8, true }, { S_KEY("만"), 1e4, true },
    { S_KEY("천"), 1e3, false }, { S_KEY("백"), 1e2, false },
};

/*  @returns the multiplier standing at `at`, or NULL.  Each is one
    syllable. */
static const s_multiplier_t *s_multiplier_at(const char *text, size_t len, size_t at)
{
    uint32_t key = s_key(text, len, at);
    for (size_t m = 0; m < sizeof s_multipliers / sizeof *s_multipliers; m++)
        if (s_multipliers[m].key == key)
            return &s_multipliers[m];
    return NULL;
}

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
        const s_multiplier_t *mult = s_multiplier_at(text, len, p);
        bool fits = mult && (mult->large ? mult->factor < last_large : mult->factor < last_small);
        if (!fits) {
            section += number;
            number = 0;
            break;
        }
        p += 3;
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
        const s_multiplier_t *next_mult = s_multiplier_at(text, len, p);
        if (next_mult && next_mult->large && next_mult->factor < last_large)
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
            const s_multiplier_t *smaller = s_multiplier_at(text, len, r);
            if (!smaller || smaller->factor >= last_large)
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

/*  A currency word: one or two syllables (second 0 for one). */
typedef struct {
    uint32_t first, second;
    ktag_amount_unit_t unit;
} s_unit_word_t;

static const s_unit_word_t s_currencies[] = {
    { S_KEY("달"), S_KEY("러"), KTAG_AMOUNT_USD }, { S_KEY("위"), S_KEY("안"), KTAG_AMOUNT_CNY },
    { S_KEY("유"), S_KEY("로"), KTAG_AMOUNT_EUR }, { S_KEY("원"), 0, KTAG_AMOUNT_KRW },
    { S_KEY("엔"), 0, KTAG_AMOUNT_JPY },
};

/*  @returns the currency word standing at `at`, or NULL. */
static const s_unit_word_t *s_currency_at(const char *text, size_t len, size_t at)
{
    uint32_t key = s_key(text, len, at);
    for (size_t c = 0; c < sizeof s_currencies / sizeof *s_currencies; c++)
        if (s_currencies[c].first == key)
            return !s_currencies[c].second || s_key(text, len, at + 3) == s_currencies[c].second
                       ? &s_currencies[c] : NULL;
    return NULL;
}

/*  After "100억 원" with a space, a Hangul syllable may follow the unit only
    when it is a particle or a suffix of amounts, so "3조 원전" stays
    unread. */
static const uint32_t s_after_spaced_unit[] = {
    S_KEY("을"), S_KEY("를"), S_KEY("이"), S_KEY("은"), S_KEY("는"), S_KEY("의"), S_KEY("에"), S_KEY("와"),
    S_KEY("과"), S_KEY("으"), S_KEY("로"), S_KEY("도"), S_KEY("만"), S_KEY("까"), S_KEY("대"), S_KEY("씩"),
    S_KEY("어"), S_KEY("짜"), S_KEY("선"), S_KEY("규"), S_KEY("가"), S_KEY("수"), S_KEY("보"), S_KEY("넘"),
};

static bool s_spaced_unit_ok(const char *text, size_t len, size_t at)
{
    if (!s_hangul_at(text, len, at))
        return true;
    uint32_t key = s_key(text, len, at);
    for (size_t i = 0; i < sizeof s_after_spaced_unit / sizeof *s_after_spaced_unit; i++)
        if (s_after_spaced_unit[i] == key)
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

/*  The hedges after an amount: one or two syllables (second 0 for one). */
static const uint32_t s_hedges_after[][2] = {
    { S_KEY("규"), S_KEY("모") }, { S_KEY("가"), S_KEY("량") }, { S_KEY("이"), S_KEY("상") },
    { S_KEY("이"), S_KEY("하") }, { S_KEY("안"), S_KEY("팎") }, { S_KEY("내"), S_KEY("외") },
    { S_KEY("수"), S_KEY("준") }, { S_KEY("여"), 0 }, { S_KEY("정"), S_KEY("도") },
    { S_KEY("미"), S_KEY("만") }, { S_KEY("넘"), 0 },
};

/*  True when a hedge stands next to the amount [start, end): 약, 최대 or
    최소 (each with or without a space), 총 or 무려 and a space before it;
    규모, 가량, 이상 … after it, after one space at most. */
static bool s_hedged(const char *text, size_t len, size_t start, size_t end)
{
    size_t before = start;
    bool spaced = before > 0 && text[before - 1] == ' ';
    if (spaced)
        before--;
    uint32_t last = before >= 3 ? s_key(text, len, before - 3) : 0;
    uint32_t first = before >= 6 ? s_key(text, len, before - 6) : 0;
    if (last == S_KEY("약") || (first == S_KEY("최") && (last == S_KEY("대") || (spaced && last == S_KEY("소"))))
        || (spaced && (last == S_KEY("총") || (first == S_KEY("무") && last == S_KEY("려")))))
        return true;
    size_t after = end < len && text[end] == ' ' ? end + 1 : end;
    uint32_t key = s_key(text, len, after);
    for (size_t i = 0; i < sizeof s_hedges_after / sizeof *s_hedges_after; i++) {
        const uint32_t *hedge = s_hedges_after[i];
        if (hedge[0] == key && (!hedge[1] || s_key(text, len, after + 3) == hedge[1]))
            return true;
    }
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
    /*  Past 10^308 the sum is inf, which no writer can spell as a JSON
        number: no amount is stated, not a guessed one. */
    if (!isfinite(value))
        return false;
    size_t numeral_end = p;
    if (p < len && s_ascii_alnum(text[p]))
        return false;       /* 5G, 3D, 100m */

    if (dollar) {
        a.unit = KTAG_AMOUNT_USD;
    } else {
        /*  "1000억여원": 여 between the numeral and its currency. */
        size_t q = p;
        if (a.scaled && s_key(text, len, q) == S_KEY("여") && s_currency_at(text, len, q + 3)) {
            q += 3;
            a.hedged = true;
        }
        bool percent_word = s_key(text, len, q) == S_KEY("퍼") && s_key(text, len, q + 3) == S_KEY("센")
                            && s_key(text, len, q + 6) == S_KEY("트");
        if ((q < len && text[q] == '%') || percent_word) {
            a.unit = KTAG_AMOUNT_PERCENT;
            q += text[q] == '%' ? 1 : 9;
            if (s_ascii_word_at(text, len, q, "p") && !(q + 1 < len && s_ascii_alnum(text[q + 1]))) {
                a.points = true;
                q++;
            } else if (s_key(text, len, q) == S_KEY("포") && s_key(text, len, q + 3) == S_KEY("인")
                       && s_key(text, len, q + 6) == S_KEY("트")) {
                a.points = true;
                q += 9;
            }
            p = q;
        } else {
            bool spaced = q < len && text[q] == ' ' && q == numeral_end;
            size_t u = spaced ? q + 1 : q;
            const s_unit_word_t *currency = s_currency_at(text, len, u);
            size_t after = currency ? u + (currency->second ? 6 : 3) : u;
            if (currency && (!spaced || s_spaced_unit_ok(text, len, after))) {
                a.unit = currency->unit;
                p = after;
            }
            /*  주 is shares after a scaled or large count (10만주, 1,000주);
                3주 연속 and 2주간 are weeks. */
            uint32_t next = s_key(text, len, q + 3);
            if (a.unit == KTAG_AMOUNT_NONE && s_key(text, len, q) == S_KEY("주") && (a.scaled || value >= 1000)
                && next != S_KEY("년") && next != S_KEY("간") && next != S_KEY("차") && next != S_KEY("째")) {
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
    if (a.unit != KTAG_AMOUNT_NONE && a.unit != KTAG_AMOUNT_SHARES && s_key(text, len, p) == S_KEY("대")) {
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
