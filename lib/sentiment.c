/*  sentiment.c - Korean finance sentiment: per sentence, per document and
    toward each entity, from the terms of the sentiment lexicon.

    A sentence's score is the sum of its contributions: evaluative terms,
    and direction words composed with the measure they move (적자 축소 is
    good, 영업이익 감소 bad).  Intensifiers and diminishers scale the term
    after them, negations flip the term before them, a contrast word makes
    what follows it weigh more, dampers scale the sentence.  An entity gets
    the contributions of the part of the sentence it governs.  The rules,
    the constants below and the reasons for them are in docs/SENTIMENT.md.
*/
#include "sentiment.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lexicon_internal.h"
#include "util.h"

/*  Distances in normalized bytes (a Hangul syllable is 3 bytes). */
#define S_COMPOSE_BACK 64   /* a measure may precede its direction word by this much */
#define S_COMPOSE_FWD 12    /* a direction word may precede its measure (증가한 매출) */
#define S_NEG_BACK 12       /* 상승하지 않았다: the gap "하지 " is 7 bytes */
#define S_NEG_FWD 8         /* 못 올라 */
#define S_MOD_FWD 12        /* 대폭 증가, 소폭 하락 */
#define S_FUNDING_FWD 30    /* 공모 흥행, 무증효과에 상한가 */
#define S_CAUSE_WEIGHT 1.5  /* a cause marker 에 as a contrast: the result weighs more */
#define S_BACKGROUND 3      /* a cause whose effect carries no sentiment is background */
#define S_COMPARE_WEIGHT 0.4 /* a move shown by two numbers, as a direction word's weight */
#define S_LABEL_THRESHOLD 0.2
#define S_MAX_SENTENCE 600  /* bytes: longer runs without punctuation are cut (~200 Hangul) */
#define S_FIRST_SENTENCES 16 /* room for this many sentences at first */

static const char *s_class_names[KTAG_SENT_CLASS_COUNT] = {
    "positive", "negative", "up", "down", "better", "worse",
    "measure_good", "measure_bad", "measure_neutral", "state_good", "state_bad",
    "negation", "negation_pre", "intensifier", "diminisher", "contrast", "damper", "neutral",
};

typedef struct {
    char *term;
    double weight;
    uint8_t cls;
    uint8_t flags;
} s_term_t;

struct ktag_sentiment_lexicon {
    s_term_t *terms;
    size_t count, capacity;
};

const char *ktag_sent_class_name(ktag_sent_class_t cls)
{
    return (unsigned) cls < KTAG_SENT_CLASS_COUNT ? s_class_names[cls] : NULL;
}

ktag_sentiment_lexicon_t *ktag_sentiment_lexicon_new(void)
{
    return calloc(1, sizeof(ktag_sentiment_lexicon_t));
}

void ktag_sentiment_lexicon_destroy(ktag_sentiment_lexicon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_sentiment_lexicon_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->terms[i].term);
    free(self->terms);
    free(self);
    *self_p = NULL;
}

size_t ktag_sentiment_lexicon_count(const ktag_sentiment_lexicon_t *self)
{
    return self->count;
}

const char *ktag_sentiment_lexicon_term(const ktag_sentiment_lexicon_t *self, size_t index,
                                        ktag_sent_class_t *cls, double *weight, unsigned *flags)
{
    const s_term_t *term = &self->terms[index];
    if (cls)
        *cls = (ktag_sent_class_t) term->cls;
    if (weight)
        *weight = term->weight;
    if (flags)
        *flags = term->flags;
    return term->term;
}

static const char *s_column(char *const *columns, size_t count, char *const *header, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (header[i] && strcmp(header[i], name) == 0)
            return columns[i];
    return NULL;
}

/*  Flags are a comma-separated list; blanks around names are allowed. */
static int s_parse_flags(const char *text, unsigned *flags, char *errbuf, size_t errlen)
{
    *flags = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *q = p;
        while (*q && *q != ',' && *q != ' ')
            q++;
        size_t n = (size_t) (q - p);
        if (n == 5 && strncmp(p, "start", 5) == 0)
            *flags |= KTAG_SENT_FLAG_START;
        else if (n == 4 && strncmp(p, "solo", 4) == 0)
            *flags |= KTAG_SENT_FLAG_SOLO;
        else if (n == 4 && strncmp(p, "back", 4) == 0)
            *flags |= KTAG_SENT_FLAG_BACK;
        else if (n == 5 && strncmp(p, "frame", 5) == 0)
            *flags |= KTAG_SENT_FLAG_FRAME;
        else if (n == 3 && strncmp(p, "doc", 3) == 0)
            *flags |= KTAG_SENT_FLAG_DOC;
        else if (n == 3 && strncmp(p, "end", 3) == 0)
            *flags |= KTAG_SENT_FLAG_END;
        else if (n) {
            snprintf(errbuf, errlen, "unknown flag '%.*s' (expected start, solo, back, frame, doc or end)", (int) n, p);
            return -1;
        }
        p = q;
    }
    return 0;
}

/*  KTAG_SENTIMENT_WEIGHTS=plain: ignore the fitted weights of sentiment
    files and score with the hand-set ones (docs/SENTIMENT.md). */
static bool s_plain_weights(void)
{
    const char *v = getenv("KTAG_SENTIMENT_WEIGHTS");
    return v && strcmp(v, "plain") == 0;
}

int ktag_sentiment_lexicon_add(ktag_sentiment_lexicon_t *self, const char *term,
                               char *const *columns, size_t column_count,
                               char *const *header, char *errbuf, size_t errlen)
{
    const char *cls_text = s_column(columns, column_count, header, "class");
    const char *weight_text = s_column(columns, column_count, header, "weight");
    if (!cls_text || !weight_text || !*cls_text || !*weight_text) {
        snprintf(errbuf, errlen, "expected term, class and weight");
        return -1;
    }
    int cls = -1;
    for (int c = 0; c < KTAG_SENT_CLASS_COUNT; c++)
        if (strcmp(cls_text, s_class_names[c]) == 0)
            cls = c;
    if (cls < 0) {
        snprintf(errbuf, errlen, "unknown class '%s' (see docs/SENTIMENT.md)", cls_text);
        return -1;
    }
    /*  A `fitted` cell (written by lexicons/tools/fit_sentiment.py) replaces
        the hand weight unless KTAG_SENTIMENT_WEIGHTS=plain asks for the
        plain rules; both are checked. */
    const char *fitted_text = s_column(columns, column_count, header, "fitted");
    double weight = 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *text = pass ? fitted_text : weight_text;
        if (pass && (!text || !*text))
            break;
        char *end;
        double w = strtod(text, &end);
        if (end == text || *end || !isfinite(w) || w < 0 || w > 10) {
            snprintf(errbuf, errlen, "%s '%s' is not a number in [0, 10]", pass ? "fitted" : "weight", text);
            return -1;
        }
        if (pass == 0 || !s_plain_weights())
            weight = w;
    }
    if ((cls == KTAG_SENT_INTENSIFIER && weight < 1) || (cls == KTAG_SENT_DIMINISHER && weight >= 1)
        || (cls == KTAG_SENT_CONTRAST && weight < 1)) {
        snprintf(errbuf, errlen, "%s weight %g out of range (intensifier and contrast >= 1, "
                 "diminisher < 1)", cls_text, weight);
        return -1;
    }
    unsigned flags;
    if (s_parse_flags(s_column(columns, column_count, header, "flags"), &flags, errbuf, errlen))
        return -1;
    for (size_t i = 0; i < self->count; i++) {
        const s_term_t *known = &self->terms[i];
        if (strcmp(known->term, term) != 0)
            continue;
        if (known->cls != cls || known->weight != weight || known->flags != flags) {
            snprintf(errbuf, errlen, "term '%s' was defined before as %s %g", term,
                     s_class_names[known->cls], known->weight);
            return -1;
        }
        return (int) i;
    }
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 256;
        s_term_t *terms = realloc(self->terms, capacity * sizeof *terms);
        if (!terms) {
            snprintf(errbuf, errlen, "out of memory");
            return -2;
        }
        self->terms = terms;
        self->capacity = capacity;
    }
    char *copy = strdup(term);
    if (!copy) {
        snprintf(errbuf, errlen, "out of memory");
        return -2;
    }
    self->terms[self->count] = (s_term_t) { copy, weight, (uint8_t) cls, (uint8_t) flags };
    return (int) self->count++;
}

/* ------------------------------------------------------- characters */

/*  Decode the code point at byte i of s (valid UTF-8: the tagger checked
    it); *len gets its byte length. */
static uint32_t s_decode(const char *s, size_t n, size_t i, size_t *len)
{
    const unsigned char *u = (const unsigned char *) s + i;
    size_t avail = n - i;
    if (u[0] < 0x80 || avail < 2) {
        *len = 1;
        return u[0];
    }
    if (u[0] < 0xE0) {
        *len = 2;
        return ((uint32_t) (u[0] & 0x1F) << 6) | (u[1] & 0x3F);
    }
    if (u[0] < 0xF0 || avail < 4) {
        *len = avail < 3 ? avail : 3;
        return avail < 3 ? 0xFFFD : ((uint32_t) (u[0] & 0x0F) << 12) | ((uint32_t) (u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t) (u[0] & 0x07) << 18) | ((uint32_t) (u[1] & 0x3F) << 12)
           | ((uint32_t) (u[2] & 0x3F) << 6) | (u[3] & 0x3F);
}

/*  @returns the code point ending at byte i, or 0 at the start. */
static uint32_t s_prev(const char *s, size_t i)
{
    if (i == 0)
        return 0;
    size_t j = i - 1;
    while (j > 0 && ((unsigned char) s[j] & 0xC0) == 0x80)
        j--;
    size_t len;
    return s_decode(s, i, j, &len);
}

static uint32_t s_next(const char *s, size_t n, size_t i)
{
    size_t len;
    return i < n ? s_decode(s, n, i, &len) : 0;
}

/*  The Hangul syllable (U+AC00..U+D7A3, three bytes) at byte i, or 0;
    inline for the hot checks that only look for syllables. */
static inline uint32_t s_syllable_at(const char *s, size_t n, size_t i)
{
    if (i + 3 > n || (unsigned char) s[i] < 0xEA || (unsigned char) s[i] > 0xED)
        return 0;
    uint32_t c = ((uint32_t) (s[i] & 0x0F) << 12) | ((uint32_t) (s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    return c >= 0xAC00 && c <= 0xD7A3 ? c : 0;
}

/*  The Hangul syllable that ends at byte i (not before byte lo), or 0. */
static inline uint32_t s_syllable_before(const char *s, size_t lo, size_t i)
{
    return i >= lo + 3 ? s_syllable_at(s, i, i - 3) : 0;
}

static inline bool s_starts(const char *s, size_t n, size_t i, const char *word)
{
    if (i >= n || s[i] != word[0])   /* most calls end here, before strlen and memcmp */
        return false;
    size_t len = strlen(word);
    return i + len <= n && memcmp(s + i, word, len) == 0;
}

static bool s_is_hangul(uint32_t c)
{
    return (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F);
}

static bool s_is_latin(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return c >= 0xC0 && c < 0x250 && c != 0xD7 && c != 0xF7;
}

static bool s_is_letter(uint32_t c)
{
    return s_is_hangul(c) || s_is_latin(c);
}

/*  An edge passes when the neighbour is not a letter of the same script
    as the term's edge character. */
static bool s_edge_ok(uint32_t edge, uint32_t neighbour)
{
    if (!neighbour)
        return true;
    if (s_is_hangul(edge))
        return !s_is_hangul(neighbour);
    if (s_is_latin(edge))
        return !s_is_latin(neighbour);
    return true;
}

static bool s_is_quote(uint32_t c)
{
    return c == '"' || c == '\'' || c == 0x2018 || c == 0x2019 || c == 0x201C || c == 0x201D;
}

static bool s_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*  Clause separators: ellipses (NFKC turns … into ...), commas that are not
    thousands separators, semicolons and bars. */
static inline bool s_clause_break_at(const char *s, size_t n, size_t i)
{
    char c = s[i];
    if (c != ';' && c != '|' && c != ',' && c != '.')
        return false;
    if (c == ';' || c == '|')
        return true;
    if (c == ',')
        return !(i > 0 && i + 1 < n && s[i - 1] >= '0' && s[i - 1] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9');
    if (c == '.')
        return i + 1 < n && s[i + 1] == '.';
    return false;
}

static bool s_clause_break_between(const char *s, size_t n, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi && i < n; i++)
        if (s_clause_break_at(s, n, i))
            return true;
    return false;
}

/*  True when the 에 at byte i is a cause marker: not followed by Hangul
    (우려에 하락, 전망에 급락), not 만에 ("after a time"), and not the head
    of a compound particle that relates, places or cites a frame instead
    of naming a cause (계약에 대한, 시장에 관한, 핀란드에 있는, 도심에
    위치한, 협약에 따라, 전략에 따른, 법원에 의해). */
static bool s_cause_at(const char *s, size_t n, size_t i)
{
    if (s_is_hangul(s_next(s, n, i + 3)) || s_prev(s, i) == 0xB9CC)
        return false;
    size_t j = i + 3;
    while (j < n && s[j] == ' ')
        j++;
    /*  The two first syllables of the compound particles, as code points. */
    uint32_t a = s_syllable_at(s, n, j), b = a ? s_syllable_at(s, n, j + 3) : 0;
    switch (a) {
    case 0xB300:   /* 대한, 대해 */
    case 0xAD00:   /* 관한, 관해 */
    case 0xC758:   /* 의한, 의해 */
        return b != 0xD55C && b != 0xD574;
    case 0xC788:   /* 있는 */
        return b != 0xB294;
    case 0xC704:   /* 위치한 */
        return b != 0xCE58;
    case 0xB530:   /* 따라, 따른 */
        return b != 0xB77C && b != 0xB978;
    }
    return true;
}

/*  True when a cause marker 에 lies in [lo, hi): what precedes it is the
    cause of a move, not the quantity that moves. */
static bool s_cause_between(const char *s, size_t n, size_t lo, size_t hi)
{
    if (hi > n)
        hi = n;
    /*  에 is EC 97 90: look for its first byte only. */
    for (size_t i = lo; i + 3 <= hi; i++) {
        const char *p = memchr(s + i, 0xEC, hi - 2 - i);
        if (!p)
            return false;
        i = (size_t) (p - s);
        if (p[1] == '\x97' && p[2] == '\x90' && s_cause_at(s, n, i))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ items */

typedef struct {
    uint32_t start, end;
    uint32_t term;
    uint8_t cls;
    uint8_t flags;
    bool bound;           /* a measure consumed by a direction word */
    bool negated;
    double weight;
    double factor;        /* product of the intensifiers/diminishers before it */
    double contrast;      /* divisor from a contrast word after it */
    double contrib;
    int32_t measure;      /* the measure a direction word composed with */
    int32_t negator;      /* the negation that flipped it */
    int32_t modifier;     /* the last intensifier/diminisher applied */
    int32_t tail;         /* the `end` damper of its clause that scaled it */
    double from, to;      /* a measure compared by numbers: from -> to */
    bool compared;
    bool absorbed;        /* a move that is the object of a `back` state */
    bool chained;         /* a move that repeats the move of a no-news measure */
    bool reference;       /* a measure that is the point of comparison (손실에서, 손실과 비교) */
    bool period;          /* ... told for the comparison period (지난해 같은 기간의 손실) */
    bool turned;          /* a measure whose period reference is of the other kind (`measure`) */
} s_item_t;

static bool s_is_content(int cls)
{
    return cls <= KTAG_SENT_STATE_BAD;
}

static bool s_is_direction(int cls)
{
    return cls >= KTAG_SENT_UP && cls <= KTAG_SENT_WORSE;
}

static bool s_is_measure(int cls)
{
    return cls >= KTAG_SENT_MEASURE_GOOD && cls <= KTAG_SENT_STATE_BAD;
}

/*  Keep the hits whose flags' edges pass, then resolve overlaps
    leftmost-longest, so 급등 wins over the 급 in it and 잘못 over 못.
    @returns the number of items written. */
static size_t s_select(const ktag_sentiment_lexicon_t *lexicon, const ktag_field_view_t *view, s_item_t *items)
{
    size_t count = 0;
    uint32_t covered = 0;
    for (size_t i = 0; i < view->term_count; i++) {
        const ktag_term_hit_t *hit = &view->terms[i];
        if (count && hit->start < covered)
            continue;
        /*  Among the hits starting here (sorted by end), the longest whose
            edges pass wins. */
        size_t best = (size_t) -1;
        size_t j = i;
        for (; j < view->term_count && view->terms[j].start == hit->start; j++) {
            const ktag_term_hit_t *h = &view->terms[j];
            const s_term_t *term = &lexicon->terms[h->term];
            if (term->flags & (KTAG_SENT_FLAG_START | KTAG_SENT_FLAG_SOLO)) {
                size_t len;
                uint32_t first = s_decode(view->norm, view->norm_len, h->start, &len);
                if (!s_edge_ok(first, s_prev(view->norm, h->start)))
                    continue;
                if ((term->flags & KTAG_SENT_FLAG_SOLO)
                    && !s_edge_ok(s_prev(view->norm, h->end), s_next(view->norm, view->norm_len, h->end)))
                    continue;
            }
            best = j;
        }
        i = j - 1;
        if (best == (size_t) -1)
            continue;
        const ktag_term_hit_t *h = &view->terms[best];
        const s_term_t *term = &lexicon->terms[h->term];
        items[count++] = (s_item_t) {
            .start = h->start, .end = h->end, .term = h->term, .cls = term->cls, .flags = term->flags,
            .weight = term->weight, .factor = 1, .contrast = 1,
            .measure = -1, .negator = -1, .modifier = -1, .tail = -1,
        };
        covered = h->end;
    }
    return count;
}

/* -------------------------------------------------------- sentences */

typedef struct {
    uint32_t start, end;     /* normalized bytes, trimmed */
    size_t first, count;     /* its items */
    double raw;              /* sum of contributions, after contrast */
    double damper;
} s_sentence_t;

/*  @returns the first i in [from, n) where s[i] is one of . ! ? and a line
    break, or n; 16 bytes at a time with SSE2 (x86-64's baseline). */
static size_t s_next_end(const char *s, size_t from, size_t n)
{
    size_t i = from;
#ifdef __SSE2__
    const __m128i dot = _mm_set1_epi8('.'), bang = _mm_set1_epi8('!'), ask = _mm_set1_epi8('?'),
                  nl = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *) (s + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, bang)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, ask), _mm_cmpeq_epi8(v, nl)));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return i + (size_t) __builtin_ctz((unsigned) mask);
    }
    if (i < n && n >= 16) {
        /*  The tail: the last 16 bytes, less those before i. */
        __m128i v = _mm_loadu_si128((const __m128i *) (s + n - 16));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, bang)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, ask), _mm_cmpeq_epi8(v, nl)));
        unsigned mask = (unsigned) _mm_movemask_epi8(hit) >> (i - (n - 16));
        return mask ? i + (size_t) __builtin_ctz(mask) : n;
    }
#endif
    while (i < n && s[i] != '.' && s[i] != '!' && s[i] != '?' && s[i] != '\n')
        i++;
    return i;
}

/*  Sentences end at . ! ? (possibly repeated, or followed by a closing
    quote) followed by a space or the end, and at line breaks.  A run of two
    or more dots is an ellipsis, a clause break inside the sentence. */
static size_t s_split(const char *s, size_t n, s_sentence_t *out, size_t max)
{
    size_t count = 0, begin = 0, i = 0;
    while (i <= n) {
        size_t cut = 0, next = 0;
        if (i == n) {
            cut = n;
            next = n + 1;
        } else if (s[i] == '\n') {
            cut = i;
            next = i + 1;
        } else if (s[i] == '.' || s[i] == '!' || s[i] == '?') {
            size_t j = i + 1;
            bool ellipsis = s[i] == '.' && j < n && s[j] == '.';
            while (j < n && (s[j] == '.' || s[j] == '!' || s[j] == '?' || s[j] == '"' || s[j] == '\''))
                j++;
            if (!ellipsis && (j == n || s_space(s[j]))) {
                cut = j;
                next = j;
            } else {
                i = j;
                continue;
            }
        } else {
            /*  Skip to the next byte that can end a sentence. */
            i = s_next_end(s, i + 1, n);
            continue;
        }
        size_t a = begin, e = cut;
        for (;;) {
            while (a < e && s_space(s[a]))
                a++;
            /*  Text without punctuation (tables, scraped pages) is cut into
                pieces of at most S_MAX_SENTENCE bytes at a space, so that
                the per-mention work of a sentence stays bounded. */
            size_t piece = e;
            if (e - a > S_MAX_SENTENCE) {
                piece = a + S_MAX_SENTENCE;
                while (piece > a + S_MAX_SENTENCE / 2 && !s_space(s[piece]))
                    piece--;
                while (piece > a && ((uint8_t) s[piece] & 0xC0) == 0x80)
                    piece--;   /* never inside a character */
            }
            size_t z = piece;
            while (z > a && s_space(s[z - 1]))
                z--;
            if (z > a) {
                if (count == max)
                    return count + 1;   /* tells the caller to grow */
                out[count++] = (s_sentence_t) { (uint32_t) a, (uint32_t) z, 0, 0, 0, 1 };
            }
            if (piece >= e)
                break;
            a = piece;
        }
        begin = i = next;
    }
    return count;
}

/*  A number of a sentence: value and normalized byte span. */
typedef struct {
    double value;
    uint32_t start, end;
} s_number_t;

#define S_MAX_NUMBERS 24

/*  Numbers of [lo, hi): "2,299.9", "37,7" (a decimal comma), "-0.4",
    "마이너스 4.1"; a number followed by a unit of time (2009년, 3분기, 12개월)
    is a date, not an amount, and is skipped.  @returns how many. */
static size_t s_numbers(const char *s, size_t n, size_t lo, size_t hi, s_number_t *out)
{
    static const char *const dates[] = { "년", "월", "일", "분기", "개월", "시", "호", "/" };
    static const char minus[] = "마이너스 ";
    size_t count = 0;
    for (size_t i = lo; i < hi && count < S_MAX_NUMBERS;) {
        if (!(s[i] >= '0' && s[i] <= '9') || (i > lo && (s[i - 1] == '.' || s[i - 1] == ','))) {
            i++;
            continue;
        }
        char digits[48];
        size_t d = 0, j = i;
        while (j < hi && d + 1 < sizeof digits
               && ((s[j] >= '0' && s[j] <= '9')
                   || ((s[j] == '.' || s[j] == ',') && j + 1 < hi && s[j + 1] >= '0' && s[j + 1] <= '9'))) {
            if (s[j] == ',') {
                size_t k = j + 1;
                while (k < hi && s[k] >= '0' && s[k] <= '9')
                    k++;
                if (k - j - 1 != 3)
                    digits[d++] = '.';   /* 37,7: a decimal comma */
            } else {
                digits[d++] = s[j];
            }
            j++;
        }
        digits[d] = '\0';
        size_t after = j;
        while (after < hi && s[after] == ' ')
            after++;
        bool date = false;
        for (size_t k = 0; k < sizeof dates / sizeof *dates && !date; k++)
            date = s_starts(s, n, after, dates[k]);
        /*  Korean large-number units (2억4592만) and parenthesized
            conversions ((89.1mln), ($ 53.4 mln)) are not compared. */
        static const char *const big[] = { "억", "만", "천", "백", "조" };
        for (size_t k = 0; k < sizeof big / sizeof *big; k++)
            if (s_starts(s, n, j, big[k]))
                return 0;
        bool aside = false;
        for (size_t k = i; k > lo && k + 8 > i; k--)
            if (s[k - 1] == '(' || s[k - 1] == '$')
                aside = true;
        if (!date && !aside) {
            double value = strtod(digits, NULL);
            size_t start = i;
            if (i > lo && s[i - 1] == '-' && !(i - 1 > lo && s[i - 2] >= '0' && s[i - 2] <= '9')) {
                value = -value;
                start = i - 1;
            } else if (i >= lo + sizeof minus - 1 && memcmp(s + i - (sizeof minus - 1), minus, sizeof minus - 1) == 0) {
                value = -value;
                start = i - (sizeof minus - 1);
            }
            out[count++] = (s_number_t) { value, (uint32_t) start, (uint32_t) j };
        }
        i = j;
    }
    return count;
}

/*  True when only a unit, blanks and Latin (EUR, mn) stand between an
    amount and the comparison marker after it: 14.1 mn에 비해, 0.08유로에서,
    1.9 mn의 손실과 비교; not 6개국에서. */
static bool s_amount_gap(const char *s, size_t n, size_t lo, size_t hi)
{
    /*  Units, and the state an amount is given as (1.9 mn의 손실과 비교하여). */
    static const char *const units[] = { "유로", "달러", "원", "포인트", "톤", "명", "의", "순", "영업",
                                         "세전", "손실", "이익", "적자", "흑자" };
    for (size_t i = lo; i < hi;) {
        size_t len;
        uint32_t c = s_decode(s, n, i, &len);
        if (s_is_hangul(c)) {
            size_t unit = 0;
            for (size_t u = 0; u < sizeof units / sizeof *units && !unit; u++)
                if (s_starts(s, n, i, units[u]))
                    unit = strlen(units[u]);
            if (!unit)
                return false;
            i += unit;
            continue;
        }
        i += len;
    }
    return true;
}

/*  Where a sentence compares two amounts (14.1 mn에 비해 15.6 mn, 35.8 mn에서
    46.4 mn으로, 3.4 mn 손실과 비교하여 … 5.2 mn): the reference is the last
    number before the marker (within 24 bytes), the current one the first
    after it, or else the first before the reference.  @returns true and
    sets *from and *to. */
static bool s_comparison(const char *s, size_t n, size_t lo, size_t hi, double *from, double *to)
{
    static const char *const markers[] = { "에 비해", "에 비하여", "과 비교", "와 비교", "에서 ", "보다" };
    s_number_t numbers[S_MAX_NUMBERS];
    size_t count = s_numbers(s, n, lo, hi, numbers);
    if (count < 2)
        return false;
    for (size_t i = lo; i < hi; i++) {
        size_t len = 0;
        for (size_t m = 0; m < sizeof markers / sizeof *markers && !len; m++)
            if (s_starts(s, n, i, markers[m]))
                len = strlen(markers[m]);
        if (!len)
            continue;
        size_t ref = count;
        for (size_t k = 0; k < count; k++)
            if (numbers[k].end <= i && i - numbers[k].end <= 24)
                ref = k;
        if (ref == count || !s_amount_gap(s, n, numbers[ref].end, i))
            continue;
        size_t cur = count;
        for (size_t k = ref + 1; k < count && cur == count; k++)
            if (numbers[k].start >= i + len)
                cur = k;
        if (cur == count && ref > 0)
            cur = 0;
        if (cur == count || numbers[cur].value == numbers[ref].value)
            continue;
        *from = numbers[ref].value;
        *to = numbers[cur].value;
        return true;
    }
    return false;
}

static double s_sign_of(const s_item_t *it)
{
    return it->cls == KTAG_SENT_UP || it->cls == KTAG_SENT_BETTER ? 1 : -1;
}

/*  Bytes of Hangul in [lo, hi): how far apart two terms are in words,
    whatever amounts and Latin units stand between them (순손실이 530만
    유로에서 50만 유로(68만 달러)로 줄었다). */
static size_t s_gap(const char *s, size_t n, size_t lo, size_t hi)
{
    size_t gap = 0, len;
    for (size_t i = lo; i < hi && i < n; i += len)
        if (s_is_hangul(s_decode(s, n, i, &len)))
            gap += len;
    return gap;
}

/*  A measure right before a comparison marker is the point the move
    starts from, not what moved: 4.0mn 손실에서 7.0mn로 증가 (the profit
    rose from a loss), 159.2mn의 손실과 비교하여 2.0mn의 수익. */
static bool s_is_reference(const char *s, size_t n, size_t at)
{
    static const char *const markers[] = { "에서", "에 비해", "에 비하여", "과 비교", "와 비교", "보다" };
    for (size_t m = 0; m < sizeof markers / sizeof *markers; m++)
        if (s_starts(s, n, at, markers[m]))
            return true;
    return false;
}

/*  True when [lo, hi) holds nothing but spaces, quotes and bracketed
    labels ([특징주], [주목 e공시], (종합)) — and, when `punct`, the
    sentence's closing . or !. */
static bool s_labels_only(const char *s, size_t n, size_t lo, size_t hi, bool punct)
{
    size_t i = lo, len;
    while (i < hi) {
        uint32_t c = s_decode(s, n, i, &len);
        if (c == '[' || c == '(' || c == '<') {
            char close = c == '[' ? ']' : c == '(' ? ')' : '>';
            const char *p = memchr(s + i, close, hi - i);
            if (!p)
                return false;
            i = (size_t) (p - s) + 1;
            continue;
        }
        if (!(c == ' ' || c == '\t' || s_is_quote(c) || (punct && (c == '.' || c == '!'))))
            return false;
        i += len;
    }
    return true;
}

/*  True when the measure starting at byte `at` is told for the comparison
    period: a period phrase (지난해 같은 기간, 전년 동기, 1년 전) comes right
    before it, with only an amount, its units and particles between
    (같은 기간에는 331,000유로의 순손실, 같은 기간의 순손실은). The figure of
    that period is the reference of the news, not the news. `lo` is the
    sentence's start. Called for every measure: syllables are compared as
    code points, strings only once the last syllable of a period matched. */
static bool s_in_reference_period(const char *s, size_t lo, size_t at)
{
    static const char *const periods[] = { "같은 기간", "해당 기간", "전년 동기", "전년동기", "1년 전",
                                           "전년도" };
    size_t i = at;
    while (s_syllable_before(s, lo, i))
        i -= 3;   /* from the start of the word: 순손실, 영업이익 */
    while (i > lo) {
        if ((unsigned char) s[i - 1] < 0x80) {
            i--;   /* digits, separators, spaces, Latin units (EUR, mn) */
            continue;
        }
        switch (s_syllable_before(s, lo, i)) {
        /*  The syllables of 에는, 에서, 의, 은; 유로, 달러, 크로나, 원, 만, 억, 천, 백. */
        case 0xC5D0: case 0xB294: case 0xC11C: case 0xC758: case 0xC740: case 0xC720: case 0xB85C:
        case 0xB2EC: case 0xB7EC: case 0xD06C: case 0xB098: case 0xC6D0: case 0xB9CC: case 0xC5B5:
        case 0xCC9C: case 0xBC31:
            i -= 3;
            continue;
        }
        break;
    }
    uint32_t last = s_syllable_before(s, lo, i);
    if (last != 0xAC04 && last != 0xAE30 && last != 0xC804 && last != 0xB3C4)   /* 간 기 전 도 */
        return false;
    for (size_t p = 0; p < sizeof periods / sizeof *periods; p++) {
        size_t len = strlen(periods[p]);
        if (i - lo >= len && memcmp(s + i - len, periods[p], len) == 0)
            return true;
    }
    return false;
}

/*  An `end` damper that ends its sentence scales the clause it ends only
    (경쟁률 1652대 1…공모가 최상단 결정: the first clause stands).
    @returns where that clause starts, or SIZE_MAX when the damper does not
    end the sentence. */
static size_t s_closed_clause(const char *s, size_t n, const s_sentence_t *sent, const s_item_t *damper)
{
    if (!s_labels_only(s, n, damper->end, sent->end, true))
        return SIZE_MAX;
    for (size_t i = damper->start; i-- > sent->start;)
        if (s_clause_break_at(s, n, i))
            return i;
    return sent->start;
}

/*  True when a company is named inside [from, to): the words after it
    tell of that company, not of what came before. */
static bool s_company_between(const ktag_field_view_t *view, uint32_t from, uint32_t to)
{
    size_t first = ktag_first_starting_at(view->mentions, 0, view->mention_count, sizeof *view->mentions, from);
    for (size_t m = first; m < view->mention_count && view->mentions[m].start < to; m++)
        if (view->mentions[m].end <= to && view->mentions[m].entry->type == KTAG_TYPE_COMPANY)
            return true;
    return false;
}

/*  Score the items [first, first+count) of one sentence: modifiers, then
    composition, then standalone polarity, negation and contrast.  Fills
    each item's contrib and the sentence's raw score and damper. */
static void s_score_sentence(const ktag_field_view_t *view, s_item_t *items, s_sentence_t *sent)
{
    const char *s = view->norm;
    size_t n = view->norm_len;
    s_item_t *it = items + sent->first;
    size_t count = sent->count;

    for (size_t k = 0; k < count; k++) {
        if (it[k].cls != KTAG_SENT_INTENSIFIER && it[k].cls != KTAG_SENT_DIMINISHER)
            continue;
        for (size_t t = k + 1; t < count; t++) {
            if (it[t].start - it[k].end > S_MOD_FWD || s_clause_break_between(s, n, it[k].end, it[t].start))
                break;
            if (s_is_content(it[t].cls)) {
                it[t].factor *= it[k].weight;
                it[t].modifier = (int32_t) (sent->first + k);
                break;
            }
        }
    }

    for (size_t k = 0; k < count; k++)
        if (s_is_measure(it[k].cls) && it[k].cls != KTAG_SENT_MEASURE_NEUTRAL
            && (s_is_reference(s, n, it[k].end)
                || (it[k].period = s_in_reference_period(s, sent->start, it[k].start)))) {
            it[k].reference = true;
            it[k].bound = true;   /* neither moved nor standing alone */
        }

    for (size_t k = 0; k < count; k++) {
        s_item_t *d = &it[k];
        if (!s_is_direction(d->cls))
            continue;
        s_item_t *m = NULL;
        for (size_t j = k; j-- > 0;) {
            s_item_t *t = &it[j];
            if (s_gap(s, n, t->end, d->start) > S_COMPOSE_BACK)
                break;
            if (t->reference)
                continue;
            if (s_is_measure(t->cls)) {
                if (!t->bound && !s_cause_between(s, n, t->end, d->start))
                    m = t;
                break;
            }
            /*  A second move right after a move of a no-news quantity is
                the same move told again (환율, 1,300원 밑으로…19원 급락),
                unless a company is named between: 보호예수 해제 LG엔솔,
                2%대 하락세 is the stock's own fall. */
            if (s_is_direction(t->cls) && t->measure >= 0 && !t->absorbed
                && items[t->measure].cls == KTAG_SENT_MEASURE_NEUTRAL
                && !s_cause_between(s, n, t->end, d->start)
                && !s_company_between(view, t->end, d->start)) {
                d->measure = t->measure;
                d->contrib = 0;
                d->chained = true;
                break;
            }
            if (t->cls == KTAG_SENT_POSITIVE || t->cls == KTAG_SENT_NEGATIVE || s_is_direction(t->cls)
                || t->cls == KTAG_SENT_CONTRAST)
                break;
        }
        if (d->chained)
            continue;
        if (!m && k + 1 < count) {
            s_item_t *t = &it[k + 1];
            if (s_is_measure(t->cls) && !t->bound && t->start - d->end <= S_COMPOSE_FWD
                && !s_clause_break_between(s, n, d->end, t->start)) {
                if (t->flags & KTAG_SENT_FLAG_BACK) {
                    /*  하락 우려: the move is what the worry is about; the
                        worry alone carries the sentiment. */
                    d->contrib = 0;
                    d->absorbed = true;
                    d->measure = (int32_t) (t - items);
                    continue;
                }
                m = t;
            }
        }
        if (!m) {
            d->contrib = s_sign_of(d) * d->weight * d->factor;
            continue;
        }
        m->bound = true;
        d->measure = (int32_t) (m - items);
        if (m->cls == KTAG_SENT_MEASURE_NEUTRAL) {
            d->contrib = 0;
            continue;
        }
        bool good = m->cls == KTAG_SENT_MEASURE_GOOD || m->cls == KTAG_SENT_STATE_GOOD;
        double sign = d->cls == KTAG_SENT_BETTER ? 1 : d->cls == KTAG_SENT_WORSE ? -1
                    : (d->cls == KTAG_SENT_UP) == good ? 1 : -1;
        d->contrib = sign * m->weight * (0.8 + d->weight) * d->factor * m->factor;
    }

    /*  A measure no direction word moved may still be compared by
        numbers: the first such measure of the sentence takes the move. */
    bool moved = false;
    for (size_t k = 0; k < count; k++)
        moved |= s_is_direction(it[k].cls);
    for (size_t k = 0; k < count && !moved; k++) {
        s_item_t *m = &it[k];
        if (!s_is_measure(m->cls) || m->bound || m->cls == KTAG_SENT_MEASURE_NEUTRAL)
            continue;
        double from, to;
        bool good = m->cls == KTAG_SENT_MEASURE_GOOD || m->cls == KTAG_SENT_STATE_GOOD;
        if (s_comparison(s, n, sent->start, sent->end, &from, &to)) {
            /*  From a loss to a profit (or back): the reference amount
                counts below zero. */
            for (size_t j = 0; j < count; j++)
                if (it[j].reference
                    && (it[j].cls == KTAG_SENT_STATE_GOOD || it[j].cls == KTAG_SENT_MEASURE_GOOD) != good)
                    from = -fabs(from);
            m->bound = m->compared = true;
            m->from = from;
            m->to = to;
            m->contrib = ((to > from) == good ? 1 : -1) * m->weight * (0.8 + S_COMPARE_WEIGHT) * m->factor;
        } else {
            /*  A profit now against a loss in the comparison period (or
                back) is a turn, whatever the amounts. */
            for (size_t j = 0; j < count && !m->turned; j++)
                if (it[j].period && (it[j].cls == KTAG_SENT_STATE_GOOD || it[j].cls == KTAG_SENT_MEASURE_GOOD) != good) {
                    m->bound = m->turned = true;
                    m->measure = (int32_t) (sent->first + j);
                    m->contrib = (good ? 1 : -1) * m->weight * (0.8 + S_COMPARE_WEIGHT) * m->factor;
                }
        }
        break;
    }

    for (size_t k = 0; k < count; k++) {
        s_item_t *t = &it[k];
        if (t->cls == KTAG_SENT_POSITIVE)
            t->contrib = t->weight * t->factor;
        else if (t->cls == KTAG_SENT_NEGATIVE)
            t->contrib = -t->weight * t->factor;
        else if (t->cls == KTAG_SENT_STATE_GOOD && !t->bound)
            t->contrib = t->weight * t->factor;
        else if (t->cls == KTAG_SENT_STATE_BAD && !t->bound)
            t->contrib = -t->weight * t->factor;
    }

    for (size_t k = 0; k < count; k++) {
        s_item_t *neg = &it[k];
        if (neg->cls != KTAG_SENT_NEGATION && neg->cls != KTAG_SENT_NEGATION_PRE)
            continue;
        s_item_t *target = NULL;
        for (size_t j = k; j-- > 0;) {
            s_item_t *t = &it[j];
            if (neg->start - t->end > S_NEG_BACK || s_clause_break_between(s, n, t->end, neg->start))
                break;
            if (t->cls == KTAG_SENT_NEGATION || t->cls == KTAG_SENT_NEGATION_PRE || t->cls == KTAG_SENT_CONTRAST)
                break;
            if (t->contrib != 0 && !t->negated) {
                target = t;
                break;
            }
        }
        if (!target && neg->cls == KTAG_SENT_NEGATION_PRE) {
            for (size_t j = k + 1; j < count; j++) {
                s_item_t *t = &it[j];
                if (t->start - neg->end > S_NEG_FWD || s_clause_break_between(s, n, neg->end, t->start))
                    break;
                if (t->contrib != 0 && !t->negated) {
                    target = t;
                    break;
                }
            }
        }
        if (target) {
            target->contrib = -target->contrib;
            target->negated = true;
            target->negator = (int32_t) (sent->first + k);
        } else {
            neg->contrib = -neg->weight;
        }
    }

    /*  A cause marker (규제에 털썩, 지정에 반등) is a weak contrast: the
        move it explains is the news. */
    double raw = 0, damper = 1, contrast = 1;
    size_t cause_from = sent->end;
    /*  A cause followed by an effect that carries no sentiment is the
        background of a neutral report (환율 재돌파에…당국, 점검회의 소집). */
    size_t last = sent->start;
    for (size_t k = 0; k < count; k++)
        if (it[k].contrib != 0)
            last = it[k].end;
    if (last > sent->start && s_cause_between(s, n, last, sent->end))
        contrast = S_BACKGROUND;
    bool later = false;   /* an item after it contributes: a marker would explain it */
    size_t tail_from = SIZE_MAX;   /* the clause an `end` damper closes */
    int32_t tail = -1;
    for (size_t k = count; k-- > 0;) {
        s_item_t *t = &it[k];
        if (t->cls == KTAG_SENT_CONTRAST && t->weight > contrast)
            contrast = t->weight;
        if (contrast < S_CAUSE_WEIGHT && later && s_cause_between(s, n, t->end, cause_from))
            contrast = S_CAUSE_WEIGHT;
        cause_from = t->end;
        if (t->cls == KTAG_SENT_DAMPER && !(t->flags & KTAG_SENT_FLAG_END))
            damper *= t->weight;
        if (t->cls == KTAG_SENT_DAMPER && (t->flags & KTAG_SENT_FLAG_END) && tail < 0) {
            tail_from = s_closed_clause(s, n, sent, t);
            if (tail_from != SIZE_MAX)
                tail = (int32_t) (sent->first + k);
        }
        if (t->contrib != 0 && contrast != 1) {
            t->contrast = contrast;
            t->contrib /= contrast;
        }
        if (t->contrib != 0 && t->start >= tail_from) {
            t->contrib *= items[tail].weight;
            t->tail = tail;
        }
        raw += t->contrib;
        later = later || t->contrib != 0;
    }
    sent->raw = raw * damper;
    sent->damper = damper;
}

/* --------------------------------------------------------- entities */

typedef enum { S_ROLE_PLAIN, S_ROLE_TOPIC, S_ROLE_SOURCE, S_ROLE_COUNTERPARTY } s_role_t;

static const char *s_role_names[] = { "clause", "topic", "source", "counterparty" };

/*  The role an entity plays in its sentence, from the characters around
    it: a report source ("…목표가↑"-NH), a counterparty (삼성전자와 공급계약),
    a topic or subject (X, … / X는 / X가), or a plain mention. */
static s_role_t s_role(const char *s, size_t n, const s_sentence_t *sent,
                       const ktag_entity_span_t *spans, size_t span_count, size_t e)
{
    const ktag_entity_span_t *span = &spans[e];
    size_t len;
    /*  Source: after a dash or an opening parenthesis, with no letter
        after it to the end of the sentence (Han such as 證 is allowed). */
    size_t b = span->start;
    uint32_t before = 0;
    while (b > sent->start) {
        before = s_prev(s, b);
        if (before == ' ' || s_is_quote(before)) {
            b -= before < 0x80 ? 1 : before < 0x800 ? 2 : 3;
            continue;
        }
        break;
    }
    bool dash = s[span->start] == '-'   /* a lexicon form may carry the dash: "-NH" */
                || (b > sent->start && (before == '-' || before == '(' || before == '/' || before == 0x2015
                                        || before == 0x2013));
    if (dash) {
        bool letters = false;
        for (size_t i = span->end; i < sent->end; i += len) {
            uint32_t c = s_decode(s, n, i, &len);
            if (s_is_letter(c)) {
                letters = true;
                break;
            }
        }
        if (!letters)
            return S_ROLE_SOURCE;
    }
    /*  Speaker: X "…Y…": a mention followed by a quotation that names
        another entity is the source of what is said about it
        (신한금투 "고영 실적개선 전망…목표가↑"). */
    size_t q = span->end;
    while (q < sent->end && s[q] == ' ')
        q++;
    if (q < sent->end && s_is_quote(s_next(s, n, q)))
        for (size_t o = e + 1; o < span_count && spans[o].start < sent->end; o++)   /* sorted by start */
            if (spans[o].start > q) {
                /*  …and the other mention must sit inside the quotation. */
                bool closed = false;
                for (size_t i = q + 1; i < spans[o].start && !closed; i += len)
                    closed = s_is_quote(s_decode(s, n, i, &len));
                if (!closed)
                    return S_ROLE_SOURCE;
            }
    /*  Counterparty: 와/과(의), (으)로부터, unless another entity follows
        at once (삼성전자와 SK하이닉스가: a coordination). */
    static const char *const with[] = { "과의", "와의", "으로부터", "로부터", "과", "와" };
    for (size_t w = 0; w < sizeof with / sizeof *with; w++) {
        if (!s_starts(s, n, span->end, with[w]))
            continue;
        size_t after = span->end + strlen(with[w]);
        if (s_is_hangul(s_next(s, n, after)))
            continue;
        while (after < n && s[after] == ' ')
            after++;
        for (size_t o = e + 1; o < span_count && spans[o].start <= after; o++)
            if (spans[o].start == after)
                return S_ROLE_PLAIN;
        return S_ROLE_COUNTERPARTY;
    }
    if (span->end < n && s[span->end] == ',')
        return S_ROLE_TOPIC;
    static const char *const topic[] = { "은", "는", "이", "가", "도" };
    for (size_t w = 0; w < sizeof topic / sizeof *topic; w++)
        if (s_starts(s, n, span->end, topic[w]) && !s_is_hangul(s_next(s, n, span->end + strlen(topic[w]))))
            return S_ROLE_TOPIC;
    return S_ROLE_PLAIN;
}

/*  True when mention e is coordinated with the next one (X·Y, X/Y, X-Y,
    X 및 Y, X와 Y), or names the next one's parent (X 자회사 Y, X의
    계열사 Y: a subsidiary's news is its parent's): they share one role in
    the sentence. */
static bool s_joined(const char *s, size_t n, const s_sentence_t *sent, const ktag_entity_span_t *spans,
                     size_t span_count, size_t e)
{
    if (e + 1 >= span_count || spans[e + 1].start >= sent->end || spans[e + 1].start < spans[e].end)
        return false;
    size_t a = spans[e].end, b = spans[e + 1].start;
    while (a < b && s[a] == ' ')
        a++;
    while (b > a && s[b - 1] == ' ')
        b--;
    (void) n;
    if (b - a > 16)
        return false;   /* longer than any glue */
    static const char *const glue[] = { "·", "/", "-", "、", "및", "와", "과", "자회사", "의 자회사",
                                        "손자회사", "의 손자회사", "계열사", "의 계열사" };
    for (size_t g = 0; g < sizeof glue / sizeof *glue; g++)
        if (s[a] == glue[g][0] && b - a == strlen(glue[g]) && memcmp(s + a, glue[g], b - a) == 0)
            return true;
    return false;
}

/*  Is entity e a topic: by its own particle, or as a member of a
    coordination (X·Y, / X와 Y는) whose last member is one. */
static bool s_is_topic(const char *s, size_t n, const s_sentence_t *sent, const ktag_entity_span_t *spans,
                       size_t span_count, size_t e, const s_role_t *roles)
{
    while (roles[e] != S_ROLE_TOPIC) {
        if (!s_joined(s, n, sent, spans, span_count, e))
            return false;
        e++;
    }
    return true;
}

/*  True when only spaces, quotes and bracketed labels ([특징주], (종합))
    come before byte `at` in the sentence. */
static bool s_leads(const char *s, size_t n, const s_sentence_t *sent, size_t at)
{
    return s_labels_only(s, n, sent->start, at, false);
}

/*  The contributions toward an entity in [lo, hi) of a sentence; `doc`
    terms (a plain MOU: news for the market, neutral for both sides) count
    for the document only. */
static double s_sum(const s_item_t *items, const s_sentence_t *sent, size_t lo, size_t hi)
{
    /*  Items are sorted by start: the first at or after lo by bisection. */
    size_t a = sent->first, b = sent->first + sent->count;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (items[mid].start < lo)
            a = mid + 1;
        else
            b = mid;
    }
    double sum = 0;
    for (size_t k = a; k < sent->first + sent->count && items[k].start < hi; k++)
        if (!(items[k].flags & KTAG_SENT_FLAG_DOC))
            sum += items[k].contrib;
    return sum;
}

/*  What the mentions of one sentence share.  Mentions come by start, so
    each search reuses what the last one found: each byte and mention of
    a sentence is looked at about once however many mentions it holds. */
typedef struct {
    const s_sentence_t *sent;
    size_t first;              /* the sentence's first mention */
    int framed;                /* it holds a `frame` item: 1, 0, -1 not yet known */
    size_t end_from, end;      /* the first clause break at or after end_from is at end */
    size_t start_to, start;    /* the last clause break before start_to is at start */
    size_t governed_to;        /* mentions [first, governed_to) were looked at ... */
    bool governed;             /* ... and one of them is a topic or leads the sentence */
    size_t marker_from, marker;   /* the first cause marker at or after marker_from (SIZE_MAX: none) */
} s_memo_t;

/*  Start the memo over when mention e is in another sentence. */
static void s_memo_enter(s_memo_t *memo, const s_sentence_t *sent, const ktag_entity_span_t *spans, size_t e)
{
    if (memo->sent == sent)
        return;
    size_t first = e;
    while (first > 0 && spans[first - 1].start >= sent->start)
        first--;
    *memo = (s_memo_t) { .sent = sent, .first = first, .framed = -1,
                         .end_from = sent->end, .end = sent->end, .start_to = sent->start, .start = sent->start,
                         .governed_to = first, .marker_from = sent->end, .marker = SIZE_MAX };
}

/*  @returns the first clause break at or after `from` in the sentence, or
    its end. */
static size_t s_clause_end(const char *s, size_t n, s_memo_t *memo, size_t from)
{
    if (from >= memo->end_from && from <= memo->end)
        return memo->end;   /* no break in [end_from, end) */
    size_t i = from, stop = memo->sent->end;
    while (i < stop && !s_clause_break_at(s, n, i))
        i++;
    memo->end_from = from;
    memo->end = i < stop ? i : stop;
    return memo->end;
}

/*  @returns the last clause break before `to` in the sentence, or its
    start. */
static size_t s_clause_start(const char *s, size_t n, s_memo_t *memo, size_t to)
{
    size_t floor = memo->sent->start, found = memo->sent->start;
    if (to >= memo->start_to) {
        floor = memo->start_to;   /* before it, the answer is known */
        found = memo->start;
    }
    for (size_t i = to; i-- > floor;)
        if (s_clause_break_at(s, n, i)) {
            found = i;
            break;
        }
    memo->start_to = to;
    memo->start = found;
    return found;
}

/*  @returns the first cause marker 에 (not followed by Hangul) at or after
    `from` that ends inside the sentence, or SIZE_MAX. */
static size_t s_marker(const char *s, size_t n, s_memo_t *memo, size_t from)
{
    if (from >= memo->marker_from && from <= memo->marker)
        return memo->marker;
    size_t found = SIZE_MAX, stop = memo->sent->end;
    for (size_t i = from; i + 3 <= stop; i++) {
        const char *p = memchr(s + i, 0xEC, stop - 2 - i);   /* 에 is EC 97 90 */
        if (!p)
            break;
        i = (size_t) (p - s);
        if (p[1] == '\x97' && p[2] == '\x90' && s_cause_at(s, n, i)) {
            found = i;
            break;
        }
    }
    memo->marker_from = from;
    memo->marker = found;
    return found;
}

/*  True when one of the sentence's mentions before e is a topic, or the
    first one leads the sentence: e is then inside the topic's predicate. */
static bool s_governed(const char *s, size_t n, s_memo_t *memo, const ktag_entity_span_t *spans,
                       size_t span_count, size_t e, const s_role_t *roles)
{
    for (; !memo->governed && memo->governed_to < e; memo->governed_to++) {
        size_t o = memo->governed_to;
        memo->governed = s_is_topic(s, n, memo->sent, spans, span_count, o, roles)
                         || (o == memo->first && s_leads(s, n, memo->sent, spans[o].start));
    }
    return memo->governed;
}

/* ------------------------------------------------------------ findings */

static double s_clamp(double score)
{
    return score > 1.0 ? 1.0 : score < -1.0 ? -1.0 : score;
}

/*  The squash of a raw score into [-1, 1]: tanh, as (1 - e^-2|x|) /
    (1 + e^-2|x|) with the sign of x.  glibc's exp is table-driven and
    several times cheaper than the expm1 its tanh calls; the two agree to
    about 1e-16, far below the 3 decimals a score is reported with. */
static double s_squash(double raw)
{
    if (raw == 0)
        return raw;   /* what the formula gives (a zero of raw's sign), without exp */
    double t = exp(-2 * fabs(raw));
    return copysign((1 - t) / (1 + t), raw);
}

/*  Append an explanation line, printf-style, cut to KTAG_EXPLAIN_MAX bytes
    at a character boundary.  @returns 0 or KTAG_ERR_NOMEM. */
static int s_explain(ktag_sentiment_findings_t *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int s_explain(ktag_sentiment_findings_t *out, const char *format, ...)
{
    char line[KTAG_EXPLAIN_MAX + 5];   /* the byte after the cut tells where a character starts */
    va_list args;
    va_start(args, format);
    int len = vsnprintf(line, sizeof line, format, args);
    va_end(args);
    if (len < 0)
        return KTAG_ERR_INVALID;
    size_t kept = ktag_utf8_truncate(line, (size_t) len < sizeof line ? (size_t) len : sizeof line - 1,
                                     KTAG_EXPLAIN_MAX);
    if (KTAG_RESERVE(out->explain, out->explain_cap, out->explain_len + kept + 1))
        return KTAG_ERR_NOMEM;
    memcpy(out->explain + out->explain_len, line, kept);
    out->explain[out->explain_len + kept] = '\0';
    out->explain_len += kept + 1;
    out->explain_count++;
    return 0;
}

static int s_add_entity(ktag_sentiment_findings_t *out, uint32_t entity, double score)
{
    if (KTAG_RESERVE(out->entity_scores, out->entity_cap, (size_t) entity + 1))
        return KTAG_ERR_NOMEM;
    while (out->entity_count <= entity)
        out->entity_scores[out->entity_count++] = 0;
    out->entity_scores[entity] = s_clamp(score);
    return 0;
}

static int s_add_sentence(ktag_sentiment_findings_t *out, ktag_field_t field, const s_sentence_t *sent,
                          const ktag_sentiment_t *sentiment)
{
    if (KTAG_RESERVE(out->sentences, out->sentence_cap, out->sentence_count + 1))
        return KTAG_ERR_NOMEM;
    ktag_sentence_finding_t *found = &out->sentences[out->sentence_count++];
    *found = (ktag_sentence_finding_t) { field, sent->start, sent->end, *sentiment };
    found->sentiment.score = s_clamp(sentiment->score);
    return 0;
}

/*  Record the sentence's non-zero contributions for span scores. */
static int s_add_contributions(ktag_sentiment_findings_t *out, ktag_field_t field, const s_item_t *items,
                               const s_sentence_t *sent)
{
    for (size_t k = sent->first; k < sent->first + sent->count; k++) {
        if (items[k].contrib == 0)
            continue;
        if (KTAG_RESERVE(out->contributions, out->contribution_cap, out->contribution_count + 1))
            return KTAG_ERR_NOMEM;
        out->contributions[out->contribution_count++]
            = (ktag_contribution_t) { items[k].start, items[k].end, items[k].contrib };
        if (field == KTAG_FIELD_TITLE)
            out->title_contributions = out->contribution_count;
    }
    return 0;
}

double ktag_sentiment_span_score(const ktag_sentiment_findings_t *findings, ktag_field_t field,
                                 uint32_t start, uint32_t end)
{
    size_t lo = field == KTAG_FIELD_TITLE ? 0 : findings->title_contributions;
    size_t hi = field == KTAG_FIELD_TITLE ? findings->title_contributions : findings->contribution_count;
    /*  A field's contributions are ordered by start: bisect to the first
        one in the span, so scoring every event of a mention-dense document
        stays linear overall, not events x contributions. */
    lo = ktag_first_starting_at(findings->contributions, lo, hi, sizeof *findings->contributions, start);
    double raw = 0;
    for (size_t c = lo; c < hi && findings->contributions[c].start < end; c++)
        raw += findings->contributions[c].contrib;
    return s_clamp(s_squash(raw));
}

const char *ktag_sentiment_label(double score, double threshold)
{
    return score > threshold ? "positive" : score < -threshold ? "negative" : "neutral";
}

void ktag_sentiment_findings_release(ktag_sentiment_findings_t *findings)
{
    free(findings->sentences);
    free(findings->entity_scores);
    free(findings->contributions);
    free(findings->explain);
    free(findings->items);
    free(findings->sents);
    free(findings->roles);
    memset(findings, 0, sizeof *findings);
}

/* --------------------------------------------------------- entities */

/*  Sentiment toward each entity of the field: see docs/SENTIMENT.md
    "Entities".  `roles` is scratch of view->mention_count elements. */
static int s_score_entities(const ktag_field_view_t *view, const s_item_t *items, const s_sentence_t *sents,
                            size_t sent_count, s_role_t *roles, bool explain, ktag_sentiment_findings_t *out)
{
    const char *s = view->norm;
    size_t n = view->norm_len;
    const ktag_entity_span_t *spans = view->mentions;
    /*  Spans and sentences are both sorted by start: walk them together. */
    size_t at = 0;
    s_memo_t memo = { 0 };
    for (size_t e = 0; e < view->mention_count; e++) {
        roles[e] = S_ROLE_PLAIN;
        while (at < sent_count && sents[at].end <= spans[e].start)
            at++;
        if (at < sent_count && spans[e].start >= sents[at].start)
            roles[e] = s_role(s, n, &sents[at], spans, view->mention_count, e);
    }
    at = 0;
    for (size_t e = 0; e < view->mention_count; e++) {
        const ktag_entity_span_t *span = &spans[e];
        const ktag_entry_t *entity = span->entry;
        while (at < sent_count && sents[at].end <= span->start)
            at++;
        const s_sentence_t *sent = at < sent_count && span->start >= sents[at].start ? &sents[at] : NULL;
        double raw = 0;
        const char *why;
        if (!sent) {
            why = "outside sentences";
        } else if (entity && entity->type == KTAG_TYPE_ORG) {
            why = "org: neutral";
        } else if (roles[e] == S_ROLE_SOURCE || roles[e] == S_ROLE_COUNTERPARTY) {
            why = s_role_names[roles[e]];
        } else if (entity && entity->type == KTAG_TYPE_FUNDING) {
            s_memo_enter(&memo, sent, spans, e);
            size_t hi = span->end + S_FUNDING_FWD, clause = s_clause_end(s, n, &memo, span->end);
            if (hi > clause)
                hi = clause;
            raw = s_sum(items, sent, span->start, hi);
            /*  Framing words (흥행, 주주가치 제고, 과열) judge every funding
                event of their sentence, wherever they stand. */
            bool framed = false;
            if (memo.framed < 0) {
                memo.framed = 0;
                for (size_t k = sent->first; k < sent->first + sent->count; k++)
                    memo.framed |= (items[k].flags & KTAG_SENT_FLAG_FRAME) != 0;
            }
            size_t end = sent->first + (memo.framed ? sent->count : 0);
            for (size_t k = sent->first; k < end; k++)
                if ((items[k].flags & KTAG_SENT_FLAG_FRAME) && (items[k].start < span->start || items[k].start >= hi)) {
                    raw += items[k].contrib;
                    framed = framed || items[k].contrib != 0;
                }
            why = framed ? "funding: its own phrase and the framing words of its sentence"
                         : "funding: its own phrase";
        } else {
            s_memo_enter(&memo, sent, spans, e);
            size_t first = memo.first;
            bool topic = s_is_topic(s, n, sent, spans, view->mention_count, e, roles)
                         || (e == first && s_leads(s, n, sent, span->start));
            if (topic) {
                size_t hi = sent->end, last = e;
                while (s_joined(s, n, sent, spans, view->mention_count, last))
                    last++;   /* the coordination governs as one */
                for (size_t o = last + 1; o < view->mention_count && spans[o].start < sent->end; o++)
                    if (spans[o].start > span->end && s_is_topic(s, n, sent, spans, view->mention_count, o, roles)) {
                        hi = spans[o].start;
                        break;
                    }
                /*  The first mention of the sentence also owns what comes
                    before it ("…퍼스트무버로 도약"…X, 코스닥 도전). */
                raw = s_sum(items, sent, e == first ? sent->start : span->start, hi);
                why = "topic: up to the next topic";
            } else {
                size_t clause_hi = s_clause_end(s, n, &memo, span->end);
                if (s_governed(s, n, &memo, spans, view->mention_count, e, roles)) {
                    /*  A mention inside the topic's predicate: its own
                        phrase, up to a cause marker 에 (…소식에, …우려에). */
                    size_t from = span->end;
                    while (from < clause_hi && s_is_hangul(s_next(s, n, from)))
                        from += 3;   /* the mention's own particle: 삼성전자에 과징금 */
                    size_t marker = s_marker(s, n, &memo, from);
                    size_t hi = marker != SIZE_MAX && marker + 3 <= clause_hi ? marker : clause_hi;
                    raw = s_sum(items, sent, span->start, hi);
                    why = "inside the topic's clause: its own phrase";
                } else {
                    raw = s_sum(items, sent, s_clause_start(s, n, &memo, span->start), clause_hi);
                    why = "its clause";
                }
            }
        }
        double score = s_squash(raw);
        if (s_add_entity(out, span->entity, score)
            || (explain && s_explain(out, "entity %s: %+.2f (%s)", entity ? entity->name : "?", score, why)))
            return KTAG_ERR_NOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------ explain */

static int s_explain_sentence(const ktag_sentiment_lexicon_t *lexicon, const ktag_field_view_t *view,
                              const s_item_t *items, const s_sentence_t *sent, size_t number,
                              ktag_sentiment_findings_t *out)
{
    double score = s_squash(sent->raw);
    if (s_explain(out, "%s sentence %zu: %+.2f %s", ktag_field_name(view->field), number,
                                score, ktag_sentiment_label(score, S_LABEL_THRESHOLD)))
        return KTAG_ERR_NOMEM;
    for (size_t k = sent->first; k < sent->first + sent->count; k++) {
        const s_item_t *it = &items[k];
        if (it->contrib == 0 && it->measure < 0)
            continue;
        const s_term_t *term = &lexicon->terms[it->term];
        char rule[KTAG_EXPLAIN_MAX + 5] = "";   /* the line is cut, at a character, by s_explain */
        size_t used = 0;
        if (it->absorbed) {
            used += (size_t) snprintf(rule + used, sizeof rule - used, "what %s is about",
                                      lexicon->terms[items[it->measure].term].term);
        } else if (it->chained) {
            used += (size_t) snprintf(rule + used, sizeof rule - used, "%s moved again, no news",
                                      lexicon->terms[items[it->measure].term].term);
        } else if (it->turned) {
            used += (size_t) snprintf(rule + used, sizeof rule - used, "%s, against %s of the comparison period",
                                      s_class_names[term->cls], lexicon->terms[items[it->measure].term].term);
        } else if (it->compared) {
            used += (size_t) snprintf(rule + used, sizeof rule - used, "%s compared: %g -> %g",
                                      s_class_names[term->cls], it->from, it->to);
        } else if (it->measure >= 0) {
            const s_term_t *m = &lexicon->terms[items[it->measure].term];
            used += (size_t) snprintf(rule + used, sizeof rule - used, "%s %s+%s", m->term,
                                      s_class_names[m->cls], s_class_names[term->cls]);
        } else {
            used += (size_t) snprintf(rule + used, sizeof rule - used, "%s", s_class_names[term->cls]);
        }
        if (it->modifier >= 0 && used < sizeof rule) {
            const s_term_t *m = &lexicon->terms[items[it->modifier].term];
            used += (size_t) snprintf(rule + used, sizeof rule - used, ", %s x%g", m->term, m->weight);
        }
        if (it->negator >= 0 && used < sizeof rule)
            used += (size_t) snprintf(rule + used, sizeof rule - used, ", negated by %s",
                                      lexicon->terms[items[it->negator].term].term);
        if (it->contrast != 1 && used < sizeof rule)
            used += (size_t) snprintf(rule + used, sizeof rule - used, ", before a contrast /%g", it->contrast);
        if (it->tail >= 0 && used < sizeof rule)
            used += (size_t) snprintf(rule + used, sizeof rule - used, ", in a clause ending on %s x%g",
                                      lexicon->terms[items[it->tail].term].term, items[it->tail].weight);
        if (s_explain(out, "  %+.2f %s (%s)", it->contrib, term->term, rule))
            return KTAG_ERR_NOMEM;
    }
    if (sent->damper != 1 && s_explain(out, "  x%g damped", sent->damper))
        return KTAG_ERR_NOMEM;
    return 0;
}

/* ------------------------------------------------------------ score */

int ktag_sentiment_score(const ktag_sentiment_lexicon_t *lexicon,
                         const ktag_field_view_t *fields, size_t field_count,
                         bool explain, ktag_sentiment_findings_t *out)
{
    out->sentence_count = out->entity_count = out->contribution_count = out->title_contributions = 0;
    out->explain_len = out->explain_count = 0;
    double total = 0;
    unsigned positive = 0, negative = 0, polar_sentences = 0, number = 0;

    for (size_t f = 0; f < field_count; f++) {
        const ktag_field_view_t *view = &fields[f];
        /*  Scratch lives in the findings and only grows: at least as many
            items as term hits, sentences as s_split finds, roles as
            mentions. */
        if (ktag_reserve(&out->items, &out->item_cap, view->term_count + 1, sizeof(s_item_t)))
            return KTAG_ERR_NOMEM;
        s_item_t *items = out->items;
        size_t item_count = s_select(lexicon, view, items);

        if (ktag_reserve(&out->sents, &out->sent_cap, S_FIRST_SENTENCES, sizeof(s_sentence_t)))
            return KTAG_ERR_NOMEM;
        size_t sent_count = s_split(view->norm, view->norm_len, out->sents, out->sent_cap);
        while (sent_count > out->sent_cap) {
            if (ktag_reserve(&out->sents, &out->sent_cap, sent_count * 2 + view->norm_len / 32,
                             sizeof(s_sentence_t)))
                return KTAG_ERR_NOMEM;
            sent_count = s_split(view->norm, view->norm_len, out->sents, out->sent_cap);
        }
        s_sentence_t *sents = out->sents;

        size_t k = 0;
        double previous = 0;   /* the previous sentence's share of total */
        for (size_t i = 0; i < sent_count; i++) {
            s_sentence_t *sent = &sents[i];
            while (k < item_count && items[k].start < sent->start)
                k++;
            sent->first = k;
            while (k < item_count && items[k].start < sent->end)
                k++;
            sent->count = k - sent->first;
            s_score_sentence(view, items, sent);
            double score = s_squash(sent->raw);
            unsigned pos = 0, neg = 0;
            for (size_t j = sent->first; j < sent->first + sent->count; j++) {
                pos += items[j].contrib > 0;
                neg += items[j].contrib < 0;
            }
            positive += pos;
            negative += neg;
            double earlier = previous;
            previous = 0;
            if (sent->raw != 0) {
                /*  The title is the writer's summary: it counts double. */
                previous = view->field == KTAG_FIELD_TITLE ? 2 * sent->raw : sent->raw;
                total += previous;
                polar_sentences += view->field == KTAG_FIELD_TITLE ? 2 : 1;
            }
            ktag_sentiment_t sentiment = { score, ktag_sentiment_label(score, S_LABEL_THRESHOLD), pos, neg };
            if (s_add_sentence(out, view->field, sent, &sentiment)
                || s_add_contributions(out, view->field, items, sent)
                || (explain && s_explain_sentence(lexicon, view, items, sent, ++number, out)))
                return KTAG_ERR_NOMEM;
            /*  A sentence that opens with a contrast (그러나 …, 다만 …) makes
                the one before it weigh less, as inside a sentence. */
            if (sent->count && items[sent->first].cls == KTAG_SENT_CONTRAST
                && s_leads(view->norm, view->norm_len, sent, items[sent->first].start) && earlier != 0) {
                double weight = items[sent->first].weight;
                total -= earlier - earlier / weight;
                if (explain && s_explain(out, "  previous sentence /%g (contrast %s)", weight,
                                         lexicon->terms[items[sent->first].term].term))
                    return KTAG_ERR_NOMEM;
            }
        }

        if (view->mention_count) {
            if (ktag_reserve(&out->roles, &out->role_cap, view->mention_count, sizeof(s_role_t)))
                return KTAG_ERR_NOMEM;
            int rc = s_score_entities(view, items, sents, sent_count, out->roles, explain, out);
            if (rc)
                return rc;
        }
    }

    /*  A long article should not saturate on its number of sentences: the
        sum is scaled by the square root of how many sentences carry any. */
    double score = s_clamp(s_squash(polar_sentences > 1 ? total / sqrt((double) polar_sentences) : total));
    out->document = (ktag_sentiment_t) { score, ktag_sentiment_label(score, S_LABEL_THRESHOLD), positive, negative };
    return 0;
}
