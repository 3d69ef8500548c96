/*  amount.h - (internal) Korean amounts as numbers: Arabic digits with
    commas and decimals, the multipliers 조/억/만 and 천/백/십 in any
    combination (1조2000억원, 8만5천원, 3,000억, 1.5조, 5천억), currencies
    원/달러/엔/위안/유로 and $ / US$, percentages (%, %대, %p, %포인트) and
    shares (주).

    The parser reads UTF-8 bytes (the normalized view of a field or any
    text); ASCII letters match in either case.  Offsets are bytes,
    [start, end).  A bare number with neither a unit nor a multiplier
    (2023, 3 of 3분기, 1 of 1위) is no amount, nor is a digit run glued to
    other digits by '-' or '.' (phone numbers, dates).  Hedges (약, 최대,
    규모, 가량, 이상, 안팎 …) stay outside the span and only set `hedged`.
*/
#ifndef KTAG_AMOUNT_H_INCLUDED
#define KTAG_AMOUNT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    KTAG_AMOUNT_NONE = 0,   /**< a Korean-scaled number with no unit (4775억) */
    KTAG_AMOUNT_KRW,
    KTAG_AMOUNT_USD,
    KTAG_AMOUNT_EUR,
    KTAG_AMOUNT_JPY,
    KTAG_AMOUNT_CNY,
    KTAG_AMOUNT_PERCENT,
    KTAG_AMOUNT_SHARES,
} ktag_amount_unit_t;

typedef struct {
    double value;             /**< in `unit` (percent: 3.5 for 3.5%) */
    ktag_amount_unit_t unit;
    size_t start, end;        /**< bytes of the number and its unit, hedges excluded */
    bool scaled;              /**< a Korean multiplier (조 억 만 천 백) was read */
    bool large;               /**< 조 or 억 was read: a sum of money even without a unit */
    bool points;              /**< %p / %포인트: a difference of percentages */
    bool approx;              /**< %대, 원대: "in the range of" */
    bool hedged;              /**< a hedge word stands next to it (약, 최대, 규모 …) */
} ktag_amount_t;

/** @returns the unit's name as the result schema writes it: "KRW", "USD",
 *  "EUR", "JPY", "CNY", "percent", "shares"; NULL for KTAG_AMOUNT_NONE. */
const char *ktag_amount_unit_name(ktag_amount_unit_t unit);

/** Read the amount that starts exactly at byte `pos` of text[0, len)
 *  (a digit, a sign, '$' or "US$").  This function can't fail.
 *  @returns true and fills *out, or false when no amount starts there. */
bool ktag_amount_parse(const char *text, size_t len, size_t pos, ktag_amount_t *out);

/** Find the first amount starting at or after byte `from`.  A digit inside
 *  a longer digit run is never a start.
 *  @returns true and fills *out, or false when there is none. */
bool ktag_amount_next(const char *text, size_t len, size_t from, ktag_amount_t *out);

#endif
