/*  guess.c - companies the lexicon does not know, found by structure (the
    rules and their word lists are described in guess.h).  Precision comes
    first: every rule needs a structural cue, and names without a corporate
    ending need the strongest cues. */
#include "guess.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*  A word of the lists below, with its length in bytes. */
typedef struct {
    const char *text;
    size_t len;
} s_word_t;
#define W(literal) { literal, sizeof literal - 1 }

/*  Words that end a candidate without being part of a name: particles. */
static const s_word_t s_josa[] = {
    W("에서"), W("은"), W("는"), W("을"), W("를"), W("의"), W("와"), W("과"), W("가"), { NULL, 0 }
};

/*  Words that follow 자회사 / 와 / a headline's opening but name no
    company (whole word, or the word plus anything when marked '*'). */
static const s_word_t s_common[] = {
    W("설립*"), W("편입*"), W("매각*"), W("지분*"), W("상장*"), W("합병*"), W("인수*"), W("통해"), W("대표*"), W("주식*"), W("전환*"),
    W("분할*"), W("신설*"), W("출범*"), W("지원*"), W("투자*"), W("실적*"), W("배당*"), W("유상증자*"), W("매출*"), W("경영*"),
    W("사장*"), W("임원*"), W("직원*"), W("관계자*"), W("형태*"), W("구조*"), W("대상*"), W("포함*"), W("가치*"), W("주주*"),
    W("주가*"), W("청산*"), W("정리*"), W("부실*"), W("보증*"), W("자금*"), W("차입*"), W("대여*"), W("소속*"), W("두곳*"),
    W("세곳*"), W("여러*"), W("일부*"), W("모두*"), W("각각*"), W("자회사*"), W("관계사*"), W("계열사*"), W("손자회사*"),
    W("기업*"), W("업체*"), W("회사*"), W("정부*"), W("당국*"), W("국내*"), W("해외*"), W("글로벌기업*"), W("스타트업*"),
    W("현지*"), W("미국*"), W("중국*"), W("일본*"), W("베트남*"), W("인도네시아*"), W("사우디*"), W("폴란드*"), W("캐나다*"),
    W("러시아*"), W("우크라이나*"), W("이스라엘*"), W("말레이시아*"), W("싱가포르*"), W("필리핀*"), W("카자흐스탄*"),
    W("우즈베키스탄*"), W("아르헨티나*"), W("브라질*"), W("멕시코*"), W("프랑스*"), W("이탈리아*"), W("네덜란드*"),
    W("스페인*"), W("호주*"), W("영국*"), W("독일*"), W("대만*"), W("태국*"), W("몽골*"), W("튀르키예*"), W("이집트*"),
    W("아랍에미리트*"), W("오스트레일리아*"), W("뉴질랜드*"), W("유럽*"), W("아시아*"), W("아프리카*"), W("중동*"),
    W("북미*"), W("남미*"), W("한국*"), W("서울*"), W("부산*"), W("인천*"), W("대구*"), W("광주*"), W("대전*"), W("울산*"),
    W("세종*"), W("경기*"), W("강원*"), W("충북*"), W("충남*"), W("전북*"), W("전남*"), W("경북*"), W("경남*"), W("제주*"),
    W("이번*"), W("올해*"), W("내년*"), W("작년*"), W("지난해*"), W("최근*"), W("본격*"), W("신규*"), W("추가*"), W("공동*"),
    W("최대*"), W("업계*"), W("인적분할*"), W("물적분할*"), W("벤처캐피탈*"),
    W("바이오테크놀로지*"), W("나노테크놀로지*"), W("정보테크놀로지*"), W("하이테크놀로지*"), W("코로나*"), W("백신*"), W("진단키트*"), W("시장*"), W("고객*"), W("협력*"), W("파트너*"), W("이들*"), W("양사*"), W("기존*"),
    W("MOU"), W("CEO"), W("CFO"), W("CTO"), W("IPO"), W("ETF"), W("ESG"), W("M&A"), W("AI"), W("IT"), W("PF"),
    { NULL, 0 }
};

/*  Endings of places and institutions: such a NAME is no company. */
static const s_word_t s_not_company_end[] = {
    W("병원"), W("대학"), W("대학교"), W("대"), W("정부"), W("공사"), W("공단"), W("재단"), W("협회"), W("연구원"), W("연구소"), W("센터"),
    W("청"), W("부"), W("처"), W("위원회"), W("시"), W("군"), W("구"), W("도"), W("학회"), W("조합"), W("진흥원"), W("학교"), W("기관"),
    W("단체"), W("국가"), W("사"), W("기업"), W("업체"), W("팀"), W("측"), W("씨"), W("님"), W("국"), W("주"), W("권"), W("들"), W("회"), W("학원"),
    W("포럼"), W("얼라이언스"), W("연합"), W("에"), W("에서"), W("으로"), { NULL, 0 }
};

/*  Corporate endings: a NAME that has one (and something before it) looks
    like a company. */
static const s_word_t s_company_end[] = {
    W("테크"), W("텍"), W("테크놀로지"), W("테크놀로지스"), W("바이오"), W("바이오텍"), W("제약"), W("파마"), W("팜"), W("에너지"),
    W("홀딩스"), W("파트너스"), W("자산운용"), W("운용"), W("은행"), W("증권"), W("캐피탈"), W("인베스트먼트"), W("글로벌"),
    W("솔루션"), W("솔루션즈"), W("시스템"), W("시스템즈"), W("소프트"), W("네트웍스"), W("네트워크"), W("전자"), W("화학"),
    W("산업"), W("건설"), W("종건"), W("물산"), W("상사"), W("모터스"), W("로보틱스"), W("랩"), W("랩스"), W("컴퍼니"), W("코리아"),
    W("엔터"), W("엔터테인먼트"), W("미디어"), W("게임즈"), W("메디칼"), W("메디컬"), W("헬스케어"), W("머티리얼즈"), W("소재"),
    W("반도체"), W("디스플레이"), W("모빌리티"), W("에어로스페이스"), W("벤처스"), W("인터내셔널"), W("케미칼"),
    W("엔지니어링"), W("이노베이션"), W("일렉트로닉스"), W("푸드"), W("식품"), W("코퍼레이션"), W("생명"), W("보험"),
    W("저축은행"), W("카드"), W("리츠"), W("에셋"), W("신탁"), W("인베스트"), W("사이언스"), W("네트웍스"), W("통신"), W("해운"),
    W("항공"), W("중공업"), W("자동차"), W("정밀"), W("전기"), W("제지"), W("철강"), W("ENG"), W("Inc"), W("Corp"), { NULL, 0 }
};

/*  Words a partner NAME+와/과 must be followed by, in the same clause.
    This list and the next are anchor words only (ktag_guess_word), found
    by the matcher: normalized, ASCII in small letters (the matcher folds
    ASCII case). */
static const s_word_t s_deal[] = {
    W("업무협약"), W("mou"), W("공급 계약"), W("공급계약"), W("파트너십"), W("사업협력"), W("사업 협력"), W("합작"), W("인수"),
    W("합병"), W("제휴"), W("공동개발"), W("공동 개발"), { NULL, 0 }
};

/*  Corporate events the rest of a headline may name. */
static const s_word_t s_event[] = {
    W("공급 계약"), W("공급계약"), W("업무협약"), W("mou"), W("파트너십"), W("사업협력"), W("유상증자"), W("무상증자"),
    W("상장"), W("수주"), W("인수"), W("합병"), W("제휴"), W("합작"), W("특허"), W("임상"), W("투자 유치"), W("투자유치"),
    W("계약 체결"), { NULL, 0 }
};

/*  Endings that only company names have: a NAME with one is a company
    wherever it stands. */
static const s_word_t s_strong_end[] = {
    W("홀딩스"), W("자산운용"), W("파트너스"), W("인베스트먼트"), W("테크놀로지스"), W("테크놀로지"),
    W("캐피탈"), W("저축은행"), W("종건"), W("바이오텍"), W("바이오로직스"), W("코퍼레이션"),
    W("인터내셔널"), W("엔터테인먼트"), { NULL, 0 }
};

static const s_word_t s_subsidiary[] = { W("손자회사"), W("자회사"), W("관계사"), W("계열사"), { NULL, 0 } };

/*  The anchor words are these lists one after the other; a word in two
    lists is one pattern with both kinds (the lexicon ORs them). */
static const struct {
    const s_word_t *words;
    unsigned kind;
} s_anchor_lists[] = {
    { s_subsidiary, KTAG_GUESS_SUBSIDIARY },
    { s_deal, KTAG_GUESS_DEAL },
    { s_event, KTAG_GUESS_EVENT },
    { s_strong_end, KTAG_GUESS_ENDING },
};

size_t ktag_guess_word_count(void)
{
    size_t count = 0;
    for (size_t l = 0; l < sizeof s_anchor_lists / sizeof *s_anchor_lists; l++)
        for (const s_word_t *w = s_anchor_lists[l].words; w->text; w++)
            count++;
    return count;
}

const char *ktag_guess_word(size_t index, unsigned *kinds)
{
    for (size_t l = 0; l < sizeof s_anchor_lists / sizeof *s_anchor_lists; l++)
        for (const s_word_t *w = s_anchor_lists[l].words; w->text; w++)
            if (index-- == 0) {
                *kinds = s_anchor_lists[l].kind;
                return w->text;
            }
    *kinds = 0;
    return NULL;
}

/* ------------------------------------------------ characters */

/*  @returns the code point at text[i] (valid UTF-8) and sets *len. */
static inline uint32_t s_decode(const char *text, size_t i, size_t *len)
{
    const uint8_t *p = (const uint8_t *) text + i;
    if (p[0] < 0x80) { *len = 1; return p[0]; }
    if (p[0] < 0xE0) { *len = 2; return ((uint32_t) (p[0] & 0x1F) << 6) | (p[1] & 0x3F); }
    if (p[0] < 0xF0) {
        *len = 3;
        return ((uint32_t) (p[0] & 0x0F) << 12) | ((uint32_t) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t) (p[0] & 0x07) << 18) | ((uint32_t) (p[1] & 0x3F) << 12) | ((uint32_t) (p[2] & 0x3F) << 6)
           | (p[3] & 0x3F);
}

static bool s_is_hangul(uint32_t c) { return c >= 0xAC00 && c <= 0xD7A3; }
static bool s_is_latin(uint32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/*  @returns the bytes of the name character (Hangul syllable, Latin letter,
    digit) at text[i], or 0 when the character there is none.  The hot
    loop of the stage: it reads bytes, not code points. */
static inline size_t s_name_char(const char *text, size_t i, size_t len)
{
    uint8_t b = (uint8_t) text[i];
    if (b < 0x80)
        return ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') || (b >= '0' && b <= '9');
    if (b < 0xEA || b > 0xED || i + 3 > len)
        return 0;
    uint32_t c = ((uint32_t) (b & 0x0F) << 12) | ((uint32_t) ((uint8_t) text[i + 1] & 0x3F) << 6)
                 | ((uint8_t) text[i + 2] & 0x3F);
    return s_is_hangul(c) ? 3 : 0;
}

/*  @returns the end of the run of name characters that starts at i. */
static inline size_t s_run_end(const char *text, size_t i, size_t len)
{
    size_t n;
    while (i < len && (n = s_name_char(text, i, len)))
        i += n;
    return i;
}

/*  @returns the start of the code point that ends just before byte i. */
static size_t s_prev(const char *text, size_t i)
{
    do
        i--;
    while (i > 0 && ((uint8_t) text[i] & 0xC0) == 0x80);
    return i;
}

static bool s_ends_with(const char *text, size_t start, size_t end, const s_word_t *word)
{
    /* the last byte first: it rejects almost every word without a call;
       then, for a longer word, its third byte */
    size_t n = word->len;
    return end - start >= n && text[end - 1] == word->text[n - 1]
           && (n < 4 || text[end - n + 2] == word->text[2])   /* the last byte of a first syllable */
           && memcmp(text + end - n, word->text, n) == 0;
}

/*  @returns whether a[0, n) equals b[0, n), ASCII letters compared
    case-insensitively (the normalized view keeps capitals). */
static bool s_equal(const char *a, const char *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char x = a[k], y = b[k];
        if (x >= 'a' && x <= 'z') x = (char) (x - 32);
        if (y >= 'a' && y <= 'z') y = (char) (y - 32);
        if (x != y)
            return false;
    }
    return true;
}

/*  @returns the end of a clause that starts at `start`: the next clause
    punctuation, at most 120 bytes on. */
static size_t s_clause_end(const char *text, size_t start, size_t len)
{
    size_t limit = start + 120 < len ? start + 120 : len;
    for (size_t i = start; i < limit;) {
        size_t n;
        uint32_t c = s_decode(text, i, &n);
        if (c == ',' || c == ';' || c == '.' || c == '!' || c == '?' || c == '"' || c == '\'' || c == '\n'
            || c == 0x2026 /* … */ || c == 0x00B7 /* · */ || c == 0x201C || c == 0x201D || c == 0x2018
            || c == 0x2019 || c == '|' || c == '[' || c == ']')
            return i;
        i += n;
    }
    return limit;
}

/* ------------------------------------------------ the NAME */

/*  What a run [start, end) of name characters holds. */
typedef struct {
    size_t start, end;
    unsigned syllables, latin, chars;
} s_name_t;

static s_name_t s_measure(const char *text, size_t start, size_t end)
{
    s_name_t name = { start, end, 0, 0, 0 };
    for (size_t i = start; i < end;) {
        size_t n;
        uint32_t c = s_decode(text, i, &n);
        name.syllables += s_is_hangul(c);
        name.latin += s_is_latin(c);
        name.chars++;
        i += n;
    }
    return name;
}

/*  For s_company_end, s_not_company_end and s_strong_end: by the low six
    bits of a word's last byte, the words (bit i for word i) that end so.
    For s_common: by its first two bytes (s_first_key), the words that
    start so.  Made once, on the first field that has an anchor. */
enum { S_ENDS_COMPANY, S_ENDS_NOT_COMPANY, S_ENDS_STRONG, S_ENDS };
static uint64_t s_ends_by_last[S_ENDS][64][2];
static uint64_t s_common_by_first[64][3];
static pthread_once_t s_ends_once = PTHREAD_ONCE_INIT;

_Static_assert(sizeof s_company_end / sizeof *s_company_end <= 129
                   && sizeof s_not_company_end / sizeof *s_not_company_end <= 129
                   && sizeof s_strong_end / sizeof *s_strong_end <= 129,
               "s_ends_by_last holds 128 words a list");
_Static_assert(sizeof s_common / sizeof *s_common <= 193, "s_common_by_first holds 192 words");

/*  @returns the bucket of a word or a name that starts with bytes a, b:
    ASCII letters fold to one (s_equal compares them so). */
static inline unsigned s_first_key(uint8_t a, uint8_t b)
{
    return ((unsigned) (a | 0x20) * 31u + (b | 0x20)) & 63u;
}

static void s_init_ends(void)
{
    const s_word_t *lists[S_ENDS] = { s_company_end, s_not_company_end, s_strong_end };
    for (int l = 0; l < S_ENDS; l++)
        for (size_t w = 0; lists[l][w].text; w++) {
            uint8_t b = (uint8_t) lists[l][w].text[lists[l][w].len - 1];
            s_ends_by_last[l][b & 63][w >> 6] |= 1ULL << (w & 63);
        }
    for (size_t w = 0; s_common[w].text; w++)   /* every word has two bytes or more */
        s_common_by_first[s_first_key((uint8_t) s_common[w].text[0], (uint8_t) s_common[w].text[1])][w >> 6]
            |= 1ULL << (w & 63);
}

/*  @returns whether `name` (of two bytes or more) is one of s_common (a
    word marked '*' also matches as a prefix). */
static bool s_is_common(const char *text, const s_name_t *name)
{
    size_t len = name->end - name->start;
    const uint64_t *slot = s_common_by_first[s_first_key((uint8_t) text[name->start], (uint8_t) text[name->start + 1])];
    for (int group = 0; group < 3; group++)
        for (uint64_t words = slot[group]; words; words &= words - 1) {
            const s_word_t *word = &s_common[group * 64 + __builtin_ctzll(words)];
            size_t n = word->len;
            bool prefix = word->text[n - 1] == '*';
            if (prefix)
                n--;
            if ((prefix ? len >= n : len == n) && s_equal(text + name->start, word->text, n))
                return true;
        }
    return false;
}

static bool s_has_end(const char *text, const s_name_t *name, const s_word_t *ends, bool need_more)
{
    if (name->end <= name->start)
        return false;
    int l = ends == s_company_end ? S_ENDS_COMPANY : ends == s_not_company_end ? S_ENDS_NOT_COMPANY : S_ENDS_STRONG;
    const uint64_t *slot = s_ends_by_last[l][(uint8_t) text[name->end - 1] & 63];
    for (int half = 0; half < 2; half++)
        for (uint64_t words = slot[half]; words; words &= words - 1) {
            const s_word_t *word = &ends[half * 64 + __builtin_ctzll(words)];
            if (s_ends_with(text, name->start, name->end, word) && (!need_more || name->end - name->start > word->len))
                return true;
        }
    return false;
}

static bool s_company_shape(const char *text, const s_name_t *name)
{
    return s_has_end(text, name, s_company_end, true);
}

/*  @returns whether the last syllable before byte `end` has a final
    consonant (batchim); Latin letters and digits count as either. */
static int s_batchim(const char *text, size_t start, size_t end)
{
    if (end <= start)
        return -1;
    size_t p = s_prev(text, end), n;
    uint32_t c = s_decode(text, p, &n);
    if (!s_is_hangul(c))
        return -1;
    return (c - 0xAC00) % 28 != 0;
}

/*  The bytes of a field are marked (ktag_guess_t.marks): those of its
    resolved mentions before the rules run, those of its guesses as they
    are made.  A name is checked against them in its own bytes, not
    against every mention and guess of the field, which made a field dense
    with both quadratic.  A bit per byte in each of three bitmaps: a byte
    per byte cost a mention-dense document 28 bytes per mention. */
typedef enum { S_MARK_HIT, S_MARK_KNOWN, S_MARK_KNOWN_END } s_mark_t;

static inline bool s_marked(const ktag_guess_t *self, s_mark_t map, size_t at)
{
    return (self->marks[map * self->mark_words + at / 64] >> (at % 64)) & 1;
}

/*  The bits of bytes [at, to) that lie in the word of `at`. */
static inline uint64_t s_word_bits(size_t at, size_t to)
{
    size_t n = to - at < 64 - at % 64 ? to - at : 64 - at % 64;
    return (n == 64 ? ~0ull : (1ull << n) - 1) << (at % 64);
}

/*  Set (or clear) the bits of bytes [from, to) in one bitmap, a word at a
    time. */
static void s_mark(ktag_guess_t *self, s_mark_t map, size_t from, size_t to, bool on)
{
    uint64_t *words = self->marks + map * self->mark_words;
    for (size_t at = from; at < to; at = (at / 64 + 1) * 64) {
        uint64_t bits = s_word_bits(at, to);
        words[at / 64] = on ? words[at / 64] | bits : words[at / 64] & ~bits;
    }
}

static bool s_any_marked(const ktag_guess_t *self, s_mark_t map, size_t from, size_t to)
{
    const uint64_t *words = self->marks + map * self->mark_words;
    for (size_t at = from; at < to; at = (at / 64 + 1) * 64)
        if (words[at / 64] & s_word_bits(at, to))
            return true;
    return false;
}

/*  @returns whether no resolved mention overlaps `name` (the cheap check,
    made first: most structures hold a name the lexicon knows). */
static bool s_free(const s_name_t *name, const ktag_guess_t *self)
{
    return !s_any_marked(self, S_MARK_KNOWN, name->start, name->end);
}

/*  @returns whether a lexicon form (an entity's) stands at exactly
    [start, end): a binary search of the matches, which come by start. */
static bool s_is_form(const ktag_lexicon_t *lex, const ktag_match_vec_t *matches, size_t start, size_t end)
{
    size_t lo = 0, hi = matches->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ktag_match_t *match = &matches->items[mid];
        if (match->end - lex->patterns[match->pattern].len < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < matches->count; lo++) {
        const ktag_match_t *match = &matches->items[lo];
        const ktag_pattern_t *pattern = &lex->patterns[match->pattern];
        if (match->end - pattern->len != start)
            return false;
        if (pattern->entry >= 0 && match->end == end)
            return true;
    }
    return false;
}

/*  The checks every NAME passes: its size, its first character, no
    overlap with a resolved mention, not a lexicon form, not a common word,
    not a place or an institution. */
static bool s_plausible(const char *text, const s_name_t *name, const ktag_lexicon_t *lex,
                        const ktag_guess_t *guess, const ktag_match_vec_t *matches)
{
    if (name->end <= name->start || name->chars > 16)
        return false;
    size_t n;
    uint32_t first = s_decode(text, name->start, &n);
    if (!s_is_hangul(first) && !s_is_latin(first))
        return false;
    uint32_t last = s_decode(text, s_prev(text, name->end), &n);
    if (last >= '0' && last <= '9')
        return false;
    if (name->syllables == 0 ? name->latin < 3 : (name->syllables < 2 || name->syllables > 12))
        return false;
    if (!s_free(name, guess) || s_is_form(lex, matches, name->start, name->end))
        return false;
    if (s_is_common(text, name))
        return false;
    return !s_has_end(text, name, s_not_company_end, false) || s_company_shape(text, name);
}

/*  Strip a trailing particle from `name` when what is left is still a
    name of two syllables or more. */
static void s_strip_josa(const char *text, s_name_t *name)
{
    for (const s_word_t *j = s_josa; j->text; j++)
        if (s_ends_with(text, name->start, name->end, j) && name->end - name->start > j->len + 3) {
            *name = s_measure(text, name->start, name->end - j->len);
            return;
        }
}

/* ------------------------------------------------ entries */

void ktag_guess_reset(ktag_guess_t *self)
{
    for (size_t e = 0; e < self->entry_count; e++)
        self->names[self->entries[e]->slot] = 0;
    self->entry_count = 0;
    self->hit_count = 0;
}

/*  The names of a document's entries are kept in a hash table, so that a
    document with thousands of names finds each in constant time: a new
    guess looked through every entry, and the repeats searched the text
    once per name, both quadratic in the names of the document.  The hash
    is FNV-1a of the name's bytes (ktag_fnv1a).
    @returns the entry named text[0, n) whose hash is `hash`, or -1. */
static long s_lookup(const ktag_guess_t *self, uint32_t hash, const char *text, size_t n)
{
    if (!self->name_cap)
        return -1;
    for (size_t slot = hash & (self->name_cap - 1); self->names[slot]; slot = (slot + 1) & (self->name_cap - 1)) {
        const ktag_entry_t *entry = &self->entries[self->names[slot] - 1]->entry;
        if (entry->name_len == n && memcmp(entry->name, text, n) == 0)
            return (long) self->names[slot] - 1;
    }
    return -1;
}

/*  Put entry e in the table (which has a free slot). */
static void s_place(ktag_guess_t *self, size_t e)
{
    ktag_guess_entry_t *slot_entry = self->entries[e];
    const ktag_entry_t *entry = &slot_entry->entry;
    size_t slot = ktag_fnv1a(KTAG_FNV1A_START, entry->name, entry->name_len) & (self->name_cap - 1);
    while (self->names[slot])
        slot = (slot + 1) & (self->name_cap - 1);
    self->names[slot] = (uint32_t) e + 1;
    slot_entry->slot = slot;
}

/*  Make room in the table for one more entry (at most half full).
    @returns 0 or KTAG_ERR_NOMEM. */
static int s_names_room(ktag_guess_t *self)
{
    if (2 * (self->entry_count + 1) <= self->name_cap)
        return 0;
    size_t cap = self->name_cap ? 2 * self->name_cap : 64;
    uint32_t *names = calloc(cap, sizeof *names);
    if (!names)
        return KTAG_ERR_NOMEM;
    free(self->names);
    self->names = names;
    self->name_cap = cap;
    for (size_t e = 0; e < self->entry_count; e++)
        s_place(self, e);
    return 0;
}

/*  @returns the entry of company text[start, end), made on first use in
    the document, or NULL when out of memory.  Its id is "x:" + the name,
    a Latin name lowercased (as the lexicon's x: slugs are); its name is the
    text as written.  Both live in one buffer: id, NUL, name, NUL. */
static const ktag_entry_t *s_entry(ktag_guess_t *self, const char *text, size_t start, size_t end)
{
    size_t n = end - start;
    long known = s_lookup(self, ktag_fnv1a(KTAG_FNV1A_START, text + start, n), text + start, n);
    if (known >= 0)
        return &self->entries[known]->entry;
    if (s_names_room(self))
        return NULL;
    if (self->entry_count == self->entry_alloc) {
        if (KTAG_RESERVE(self->entries, self->entry_cap, self->entry_alloc + 1))
            return NULL;
        ktag_guess_entry_t *slot = calloc(1, sizeof *slot);
        if (!slot)
            return NULL;
        self->entries[self->entry_alloc++] = slot;
    }
    ktag_guess_entry_t *slot = self->entries[self->entry_count];
    if (slot->id_cap < 2 * n + 4) {
        char *id = realloc(slot->entry.id, 2 * n + 4);
        if (!id)
            return NULL;
        slot->entry.id = id;
        slot->id_cap = 2 * n + 4;
    }
    bool latin = true;
    for (size_t i = start; i < end; i++)
        latin = latin && (uint8_t) text[i] < 0x80;
    char *id = slot->entry.id;
    memcpy(id, "x:", 2);
    for (size_t i = 0; i < n; i++) {
        char ch = text[start + i];
        id[2 + i] = latin && ch >= 'A' && ch <= 'Z' ? (char) (ch + 32) : ch;
    }
    id[n + 2] = '\0';
    slot->entry.name = id + n + 3;
    memcpy(slot->entry.name, text + start, n);
    slot->entry.name[n] = '\0';
    slot->entry.id_len = (uint32_t) (n + 2);   /* n < KTAG_MAX_TEXT_BYTES, 2^30 */
    slot->entry.name_len = (uint32_t) n;
    slot->entry.type = KTAG_TYPE_COMPANY;
    slot->entry.attrs = NULL;
    slot->entry.attr_count = 0;
    s_place(self, self->entry_count++);
    return &slot->entry;
}

/*  The guesses of a field are marked bit by bit (self->marks), so a
    new one is checked against them in the bytes of its name, not against
    every earlier guess: a field that names one company thousands of times
    took time quadratic in them.  The hits are sorted once, at the end. */

static int s_add(ktag_guess_t *self, const char *text, const s_name_t *name, const char *rule)
{
    if (s_any_marked(self, S_MARK_HIT, name->start, name->end))
        return 0;
    const ktag_entry_t *entry = s_entry(self, text, name->start, name->end);
    if (!entry || KTAG_RESERVE(self->hits, self->hit_cap, self->hit_count + 1))
        return KTAG_ERR_NOMEM;
    s_mark(self, S_MARK_HIT, name->start, name->end, true);
    self->hits[self->hit_count++] = (ktag_guess_hit_t) { (uint32_t) name->start, (uint32_t) name->end, entry, rule };
    return 0;
}

static int s_hit_order(const void *a, const void *b)
{
    uint32_t x = ((const ktag_guess_hit_t *) a)->start, y = ((const ktag_guess_hit_t *) b)->start;
    return (x > y) - (x < y);
}

/* ------------------------------------------------ the rules */

/*  @returns whether the code point at text[i] ends a name: a comma,
    a middle dot, a quote, an ellipsis or a closing bracket. */
static bool s_closes(const char *text, size_t i)
{
    size_t n;
    uint32_t c = s_decode(text, i, &n);
    return c == ',' || c == 0x00B7 || c == 0x2027 || c == 0x2026 || c == '\'' || c == '"' || c == 0x2019
           || c == 0x201D || c == ')' || c == ']';
}

/*  @returns whether a resolved mention and one space come just before
    `name`: the name may then be the rest of a longer one ("NHN 클라우드"). */
static bool s_after_mention(const s_name_t *name, const ktag_guess_t *self)
{
    return name->start >= 1 && s_marked(self, S_MARK_KNOWN_END, name->start - 1);
}

/*  @returns whether a subsidiary cue and one space end at byte `start`. */
static bool s_after_subsidiary(const char *text, size_t start)
{
    /* every cue ends in 사 (U+C0AC, bytes EC 82 AC) */
    if (start < 4 || text[start - 1] != ' ' || memcmp(text + start - 4, "\xEC\x82\xAC", 3) != 0)
        return false;
    for (const s_word_t *cue = s_subsidiary; cue->text; cue++)
        if (s_ends_with(text, 0, start - 1, cue))
            return true;
    return false;
}

/*  @returns where the headline's first word starts: after spaces and one
    bracketed label ("[특징주] "). */
static size_t s_headline_start(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && text[i] == ' ')
        i++;
    if (i < len && text[i] == '[') {
        const char *close = memchr(text + i, ']', len - i);
        if (close)
            i = (size_t) (close - text) + 1;
        while (i < len && text[i] == ' ')
            i++;
    }
    return i;
}

/*  @returns whether text[start, end) is one of the lexicon's particles. */
static bool s_is_josa(const ktag_lexicon_t *lex, const char *text, size_t start, size_t end)
{
    for (size_t j = 0; j < lex->josa_count; j++)
        if (lex->josa[j].len == end - start && memcmp(lex->josa[j].text, text + start, end - start) == 0)
            return true;
    return false;
}

/*  @returns the start of the run of name characters that ends at `end`.
    A name character is one byte (ASCII) or three (a Hangul syllable, lead
    byte EA..ED), and a lead byte EA..ED three bytes back can only start a
    character that ends here: the run is walked back a character at a time
    without looking for where each one starts. */
static size_t s_run_start(const char *text, size_t end)
{
    size_t start = end;
    for (;;) {
        if (start >= 1 && (uint8_t) text[start - 1] < 0x80 && s_name_char(text, start - 1, end))
            start -= 1;
        else if (start >= 3 && s_name_char(text, start - 3, end) == 3)
            start -= 3;
        else
            return start;
    }
}

/*  Append `at` to a list of positions.  @returns 0 or KTAG_ERR_NOMEM. */
static int s_push(uint32_t **items, size_t *count, size_t *cap, size_t at)
{
    if (KTAG_RESERVE(*items, *cap, *count + 1))
        return KTAG_ERR_NOMEM;
    (*items)[(*count)++] = (uint32_t) at;
    return 0;
}

static int s_position_order(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return (x > y) - (x < y);
}

/*  Sort positions and drop repeats.  They come in runs in order (the
    spaces after the cues, then those after 와/과), which an insertion sort
    merged in time quadratic in them.  @returns the count left. */
static size_t s_sort_unique(uint32_t *items, size_t count)
{
    if (count < 2)
        return count;
    ktag_sort(items, count, sizeof *items, s_position_order);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (kept == 0 || items[kept - 1] != items[i])
            items[kept++] = items[i];
    return kept;
}

/*  @returns whether byte `at` lies in a guess of this field. */
static bool s_in_hit(const ktag_guess_t *self, size_t at)
{
    return s_marked(self, S_MARK_HIT, at);
}

/*  @returns a bucket (of 1,024) of the first three bytes of s. */
static inline unsigned s_first3_key(const char *s)
{
    return (((unsigned) (uint8_t) s[0] * 31u + (uint8_t) s[1]) * 31u + (uint8_t) s[2]) & 1023u;
}

/*  A document with at most this many guessed names finds their repeats
    by searching each name (memchr), a few passes at memory speed; with
    more, one walk over every run of the text costs less than a pass per
    name.  Both look at the same runs: those that start with some name. */
#define S_FEW_NAMES 8

/*  The repeat at the run [start, end), if any: the earliest entry whose
    name is the run, or the run but a particle.  @returns 0 or
    KTAG_ERR_NOMEM. */
static int s_repeat_at(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len, size_t start,
                       size_t end, size_t longest)
{
    long best = -1;
    size_t best_len = 0;
    uint32_t hash = KTAG_FNV1A_START;   /* of the prefix, one character more each turn */
    for (size_t at = start, n; at < end && at - start < longest; at += n) {
        n = s_name_char(text, at, len);
        hash = ktag_fnv1a(hash, text + at, n);
        long e = s_lookup(self, hash, text + start, at + n - start);
        if (e >= 0 && (best < 0 || e < best) && (at + n == end || s_is_josa(lex, text, at + n, end))) {
            best = e;
            best_len = at + n - start;
        }
    }
    if (best < 0)
        return 0;
    s_name_t mention = s_measure(text, start, start + best_len);
    return s_free(&mention, self) ? s_add(self, text, &mention, "repeat") : 0;
}

/*  A name guessed once in the document is a mention wherever it stands
    again as a word of its own, bare or with a particle: at the start of a
    run of name characters that is the name, or the name and a particle.
    The runs that start with a name are found by searching each name (few
    names: memchr for its third byte, rarer than a Hangul lead byte) or by
    one walk over the runs, keeping those that start with the first three
    bytes of a name (a bit of `firsts`; every name has three bytes or more,
    starting with a letter: s_plausible).  A run that starts in a guess of
    the field could only overlap it. */
static int s_repeats(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len)
{
    uint64_t firsts[16] = { 0 };
    size_t longest = 0;
    for (size_t e = 0; e < self->entry_count; e++) {
        const ktag_entry_t *entry = &self->entries[e]->entry;
        unsigned key = s_first3_key(entry->name);
        firsts[key >> 6] |= 1ULL << (key & 63);
        longest = entry->name_len > longest ? entry->name_len : longest;
    }
    if (self->entry_count <= S_FEW_NAMES) {
        self->space_count = 0;   /* the runs' starts, here */
        for (size_t e = 0; e < self->entry_count; e++) {
            const char *name = self->entries[e]->entry.name;
            size_t name_len = self->entries[e]->entry.name_len;
            for (const char *p = text + 2, *end = text + len;
                 p < end && (p = memchr(p, name[2], (size_t) (end - p))); p++) {
                size_t at = (size_t) (p - 2 - text);
                if (at + name_len > len)
                    break;
                if (text[at] == name[0] && text[at + 1] == name[1] && memcmp(text + at, name, name_len) == 0
                    && (at == 0 || !s_name_char(text, s_prev(text, at), len)) && !s_in_hit(self, at)
                    && s_push(&self->spaces, &self->space_count, &self->space_cap, at))
                    return KTAG_ERR_NOMEM;
            }
        }
        self->space_count = s_sort_unique(self->spaces, self->space_count);
        for (size_t r = 0; r < self->space_count; r++) {
            size_t start = self->spaces[r];
            if (s_repeat_at(self, lex, text, len, start, s_run_end(text, start, len), longest))
                return KTAG_ERR_NOMEM;
        }
        return 0;
    }
    for (size_t start = 0; start < len;) {
        if (!s_name_char(text, start, len)) {
            start++;   /* a byte no name character starts at: ASCII, a continuation, another lead */
            continue;
        }
        size_t end = s_run_end(text, start, len);
        unsigned key = end - start < 3 ? 0 : s_first3_key(text + start);
        if (end - start >= 3 && (firsts[key >> 6] & (1ULL << (key & 63))) && !s_in_hit(self, start)
            && s_repeat_at(self, lex, text, len, start, end, longest))
            return KTAG_ERR_NOMEM;
        start = end;
    }
    return 0;
}

/*  The subsidiary rule on the run [start, end) after a cue. */
static int s_subsidiary_rule(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                             size_t start, size_t end, const ktag_match_vec_t *matches)
{
    /* Followed by punctuation the run is the subject named by the cue
       ("자회사 아르떼케이, …"); followed by more words it may be a product
       or a topic ("자회사 고형암 신약"), so then it needs a corporate
       ending. */
    s_name_t name = s_measure(text, start, end);
    s_strip_josa(text, &name);
    bool closed = name.end == end && (end == len || s_closes(text, end));
    if ((closed ? name.syllables >= 3 || name.latin >= 2 : s_company_shape(text, &name))
        && s_plausible(text, &name, lex, self, matches))
        return s_add(self, text, &name, "subsidiary");
    return 0;
}

/*  @returns whether a deal word of the field lies in [start, end). */
static bool s_deal_in(const ktag_guess_t *self, size_t start, size_t end)
{
    /*  The deal words come by start: bisect to the first at `start`, not
        a walk over all of them per partner (quadratic in a field dense
        with both). */
    size_t first = ktag_first_starting_at(self->deals, 0, self->deal_count, sizeof *self->deals, (uint32_t) start);
    for (size_t d = first; d < self->deal_count && self->deals[d].start < end; d++)
        if (self->deals[d].end <= end)
            return true;
    return false;
}

/*  The partner rule on NAME [start, end) before 와 (want 0) or 과 (want 1)
    and a space.  @returns 1 when it found a partner, 0, or
    KTAG_ERR_NOMEM. */
static int s_partner_rule(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                          size_t start, size_t end, int want, const ktag_match_vec_t *matches)
{
    if (!s_free(&(s_name_t) { start, end, 0, 0, 0 }, self))
        return 0;
    int batchim = s_batchim(text, start, end);
    if (batchim >= 0 && batchim != want)
        return 0;
    s_name_t name = s_measure(text, start, end);
    if ((name.syllables >= 4 || (!name.syllables && name.latin >= 4) || s_company_shape(text, &name))
        && s_deal_in(self, end + 4, s_clause_end(text, end + 4, len))
        && !s_after_mention(&name, self)
        && s_plausible(text, &name, lex, self, matches))
        return s_add(self, text, &name, "partner") ? KTAG_ERR_NOMEM : 1;
    return 0;
}

/*  The subsidiary or the partner rule at a space, by the syllable before
    it: 사 ends a subsidiary cue (자회사, 관계사, 계열사, 손자회사), 와/과
    ends a partner.  @returns as s_partner_rule. */
static int s_space_rule(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                        size_t space, const ktag_match_vec_t *matches)
{
    const uint8_t *syllable = (const uint8_t *) text + space - 3;
    uint32_t code = ((uint32_t) syllable[0] << 16) | ((uint32_t) syllable[1] << 8) | syllable[2];
    if (code == 0xEC82AC /* 사 */) {
        size_t start = space + 1;
        if (start < len && s_name_char(text, start, len) && s_after_subsidiary(text, start))
            return s_subsidiary_rule(self, lex, text, len, start, s_run_end(text, start, len), matches);
        return 0;
    }
    int want = code == 0xEC9980 /* 와 */ ? 0 : code == 0xEAB3BC /* 과 */ ? 1 : -1;
    size_t end = space - 3, start = want >= 0 ? s_run_start(text, end) : end;
    if (start < end && !s_after_subsidiary(text, start))
        return s_partner_rule(self, lex, text, len, start, end, want, matches);
    return 0;
}

/*  The ending rule on the run that ends at byte `end`, a space or a comma
    where a strong ending ends, or one and a particle of one syllable.
    @returns 0 or KTAG_ERR_NOMEM. */
static int s_ending_rule(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t end,
                         const ktag_match_vec_t *matches)
{
    size_t start = s_run_start(text, end);
    if (start == end)
        return 0;
    s_name_t name = s_measure(text, start, end);
    s_strip_josa(text, &name);
    if (s_free(&name, self) && s_has_end(text, &name, s_strong_end, true)
        && s_plausible(text, &name, lex, self, matches))
        return s_add(self, text, &name, "ending");
    return 0;
}

/*  Note where the ending rule may hold for a strong ending that ends at
    byte `end`: at a space or a comma right after it, or after it and a
    particle of one syllable (not 에서: the rule has never looked for a
    strong ending two syllables before a space).  @returns 0 or
    KTAG_ERR_NOMEM. */
static int s_ending_anchor(ktag_guess_t *self, const char *text, size_t len, size_t end)
{
    if (end < len && (text[end] == ' ' || text[end] == ','))
        return s_push(&self->endings, &self->ending_count, &self->ending_cap, end);
    for (const s_word_t *j = s_josa; end + 3 < len && j->text; j++)
        if (j->len == 3 && memcmp(text + end, j->text, 3) == 0)
            return text[end + 3] == ' ' || text[end + 3] == ','
                       ? s_push(&self->endings, &self->ending_count, &self->ending_cap, end + 3)
                       : 0;
    return 0;
}

/*  Note the spaces after a 와 or a 과 that a deal word of the field may
    follow in the same clause: the clause starts after the space and runs
    120 bytes at most (s_clause_end), so the space lies in the 121 bytes
    before the deal word's end, and before its start.  The deal words come
    by start: each window starts where the last one ended or later.
    @returns 0 or KTAG_ERR_NOMEM. */
static int s_partner_anchors(ktag_guess_t *self, const char *text)
{
    size_t from = 0;
    for (size_t d = 0; d < self->deal_count; d++) {
        size_t lo = self->deals[d].end > 121 ? self->deals[d].end - 121 : 0, hi = self->deals[d].start;
        if (lo < from)
            lo = from;
        for (const char *p = text + lo; p < text + hi && (p = memchr(p, ' ', (size_t) (text + hi - p))); p++) {
            size_t space = (size_t) (p - text);
            if (space >= 3 && (memcmp(p - 3, "\xEC\x99\x80", 3) == 0 /* 와 */ || memcmp(p - 3, "\xEA\xB3\xBC", 3) == 0 /* 과 */)
                && s_push(&self->spaces, &self->space_count, &self->space_cap, space))
                return KTAG_ERR_NOMEM;
        }
        if (hi > from)
            from = hi;
    }
    return 0;
}

/*  The rules, from the anchor words of a field that has some.  They run
    in the order of their spaces (the subsidiary and the partner rules),
    then the headline rule, then the ending rule at spaces, then at
    commas: a guess keeps its place against the later ones. */
static int s_rules(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                   const ktag_scan_t *scan)
{
    const ktag_match_vec_t *matches = &scan->matches;
    self->space_count = self->ending_count = self->deal_count = 0;
    bool event = false;
    size_t event_start = 0;   /* of the last event word */
    for (size_t w = 0; w < scan->guess_word_count; w++) {
        const ktag_term_hit_t *word = &scan->guess_words[w];
        if ((word->term & KTAG_GUESS_SUBSIDIARY) && word->end + 1 < len && text[word->end] == ' '
            && s_push(&self->spaces, &self->space_count, &self->space_cap, word->end))
            return KTAG_ERR_NOMEM;
        if (word->term & KTAG_GUESS_DEAL) {
            if (KTAG_RESERVE(self->deals, self->deal_cap, self->deal_count + 1))
                return KTAG_ERR_NOMEM;
            self->deals[self->deal_count++] = (ktag_span_t) { word->start, word->end };
        }
        if (word->term & KTAG_GUESS_EVENT) {
            event = true;
            event_start = word->start;   /* they come by start */
        }
        if ((word->term & KTAG_GUESS_ENDING) && s_ending_anchor(self, text, len, word->end))
            return KTAG_ERR_NOMEM;
    }
    pthread_once(&s_ends_once, s_init_ends);

    bool partner = false;
    if (s_partner_anchors(self, text))
        return KTAG_ERR_NOMEM;
    self->space_count = s_sort_unique(self->spaces, self->space_count);
    for (size_t s = 0; s < self->space_count; s++) {
        int rc = s_space_rule(self, lex, text, len, self->spaces[s], matches);
        if (rc < 0)
            return rc;
        partner |= rc == 1;
    }
    /* The headline rule, once the partners are known: NAME, an event
       word after it. */
    size_t start = event ? s_headline_start(text, len) : len;
    size_t end = start < len ? s_run_end(text, start, len) : start;
    if (end > start && end < len && text[end] == ',' && event_start >= end) {
        s_name_t opening = { start, end, 0, 0, 0 };   /* measured when the cheap tests hold */
        if (s_free(&opening, self) && (partner || s_company_shape(text, &opening))) {
            opening = s_measure(text, start, end);
            if (s_plausible(text, &opening, lex, self, matches)
                && s_add(self, text, &opening, "headline"))
                return KTAG_ERR_NOMEM;
        }
    }
    /* Names with an ending only companies have, before a space, then
       before a comma. */
    self->ending_count = s_sort_unique(self->endings, self->ending_count);
    for (char mark = ' '; mark; mark = mark == ' ' ? ',' : 0)
        for (size_t e = 0; e < self->ending_count; e++)
            if (text[self->endings[e]] == mark
                && s_ending_rule(self, lex, text, self->endings[e], matches))
                return KTAG_ERR_NOMEM;
    return 0;
}

/*  The stage on a field with an anchor or a name to find again.  Not
    inlined: the other fields, most of them, pay no set-up. */
__attribute__((noinline)) static int s_field(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text,
                                             size_t len, const ktag_candidate_t *known, size_t known_count,
                                             const ktag_scan_t *scan)
{
    size_t marked = self->mark_cap;
    self->mark_words = (len + 1 + 63) / 64;
    if (ktag_reserve((void **) &self->marks, &self->mark_cap, 3 * self->mark_words, sizeof *self->marks))
        return KTAG_ERR_NOMEM;
    memset(self->marks + marked, 0, (self->mark_cap - marked) * sizeof *self->marks);
    for (size_t k = 0; k < known_count; k++) {
        s_mark(self, S_MARK_KNOWN, known[k].start, known[k].end, true);
        s_mark(self, S_MARK_KNOWN_END, known[k].end, known[k].end + 1, true);
    }
    int rc = scan->guess_word_count ? s_rules(self, lex, text, len, scan) : 0;
    if (!rc && self->entry_count)
        rc = s_repeats(self, lex, text, len);
    /*  Guesses do not overlap: by start, they are in text order. */
    ktag_sort(self->hits, self->hit_count, sizeof *self->hits, s_hit_order);
    for (size_t h = 0; h < self->hit_count; h++)
        s_mark(self, S_MARK_HIT, self->hits[h].start, self->hits[h].end, false);
    for (size_t k = 0; k < known_count; k++) {
        s_mark(self, S_MARK_KNOWN, known[k].start, known[k].end, false);
        s_mark(self, S_MARK_KNOWN_END, known[k].end, known[k].end + 1, false);
    }
    return rc;
}

/*  The rules start from the anchor words the matcher found (guess.h), not
    from every character: the stage runs on every document and most have
    no structure at all. */
int ktag_guess_field(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                     const ktag_candidate_t *known, size_t known_count, const ktag_scan_t *scan)
{
    self->hit_count = 0;
    if (!scan->guess_word_count && !self->entry_count)
        return 0;
    return s_field(self, lex, text, len, known, known_count, scan);
}

void ktag_guess_release(ktag_guess_t *self)
{
    for (size_t e = 0; e < self->entry_alloc; e++) {
        free(self->entries[e]->entry.id);
        free(self->entries[e]);
    }
    free(self->entries);
    free(self->hits);
    free(self->spaces);
    free(self->endings);
    free(self->deals);
    free(self->marks);
    free(self->names);
    *self = (ktag_guess_t) { 0 };
}
