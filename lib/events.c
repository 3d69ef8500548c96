/*  events.c - the events analyzer (events.h, docs/EVENTS.md).

    Its cue words (the table below) are patterns of the lexicon's matcher,
    so the scan stage finds them in the same pass as the entities and hands
    them over in the field view.  Per field, per sentence: one pass over the
    ASCII bytes finds the sentence's end, its clauses and where its amounts
    may start, and the cue words of the sentence become its tokens (longest
    at each start).  A sentence with no trigger stops there.  Otherwise each
    trigger (a funding mention, a move word, 목표가, an earnings measure or
    turn, a deal word) is linked by the rules of its type, which read what
    they need when they first need it: the sentence's subject, from its
    structure (the entity before the first comma, a topic particle, the
    entity it starts with; each clause after "…" may name its own), and
    its amounts (amount.c), as far as the rule looks.  Most triggers are
    dropped before either is read.  Nothing here allocates but the findings
    and their scratch arrays, which are reused between documents.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "events.h"
#include "lexicon_internal.h"
#include "util.h"

/* ------------------------------------------------------------ words */

enum {
    W_MOVE = 1u << 0,        /* 급등 강세: a stock moved */
    W_WEAK = 1u << 1,        /* 상승 하락: a move only with a stock context */
    W_LIMIT = 1u << 2,       /* 상한가 하한가 上 下 */
    W_ARROW = 1u << 3,       /* ↑ ↓ */
    W_TARGET = 1u << 4,      /* 목표가 */
    W_TP_DIR = 1u << 5,      /* 상향 하향 유지 */
    W_KIND = 1u << 6,        /* an earnings measure */
    W_TURN = 1u << 7,        /* 흑자전환 적자전환 */
    W_EDIR = 1u << 8,        /* 증가 감소: a measure's direction */
    W_RECORD = 1u << 9,      /* 최대 경신 돌파 */
    W_BEAT = 1u << 10,       /* 상회 하회 */
    W_CONTRACT = 1u << 11,   /* 공급계약 수주 납품 */
    W_GENERIC = 1u << 12,    /* 계약 체결: a deal unless a word before says otherwise */
    W_NOT_DEAL = 1u << 13,   /* after a deal word: no deal (해지, 전망, 잔고) */
    W_NOT_GENERIC = 1u << 14,/* before 계약 체결: no supply deal (인수, 자문, 주관) */
    W_INDEX = 1u << 15,      /* 코스피 금리 가격: what moves is no stock */
    W_PRICE_CTX = 1u << 16,  /* 주가 장중 특징주 */
    W_COMPARE = 1u << 17,    /* 대비 전년비: a percent compares periods */
    W_AGENT = 1u << 18,      /* 주관 대행: the subject acts for the issuer */
    W_SUBSID = 1u << 19,     /* 자회사 */
    W_PRODUCT = 1u << 20,    /* ETF ETN: funds, not issuers */
    W_TITLE = 1u << 21,      /* 사장 대표 우선주: "X 사장," stands for X */
    W_GROUP = 1u << 22,      /* 관련주 株: a group of stocks */
    W_BLOCK = 1u << 23,      /* a longer word that hides a cue (영업이익률) */
    W_FEATURE = 1u << 24,    /* 특징주: the line is about a stock's move */
};

enum { D_NONE = 0, D_UP, D_DOWN, D_KEEP, D_TURN_PROFIT, D_TURN_LOSS };
static const char *const s_directions[] = { NULL, "up", "down", "keep", "turn_profit", "turn_loss" };

enum { K_NONE = 0, K_REVENUE, K_OPERATING, K_NET };
static const char *const s_kinds[] = { NULL, "revenue", "operating_profit", "net_income" };

typedef struct {
    char word[24];           /* inline: a lookup reads one cache line, not two */
    uint32_t flags;
    uint8_t dir;
    uint8_t kind;
    bool loss;
    size_t len;
} s_word_t;

#define UP D_UP
#define DN D_DOWN
#define WORD(word, flags, dir) { word, flags, dir, K_NONE, false, sizeof word - 1 }
#define MEASURE(word, kind, loss) { word, W_KIND, D_NONE, kind, loss, sizeof word - 1 }
static const s_word_t s_words[] = {
    /* The triggers come first: a cue word is one when its index is below
       KTAG_EVENTS_TRIGGER_WORDS, which the field gate tests without reading
       the table (s_ordered() checks it). */
    /* price moves */
    WORD("급등", W_MOVE, UP), WORD("급등세", W_MOVE, UP), WORD("급락", W_MOVE, DN), WORD("급락세", W_MOVE, DN),
    WORD("강세", W_MOVE, UP), WORD("초강세", W_MOVE, UP), WORD("약세", W_MOVE, DN), WORD("폭등", W_MOVE, UP),
    WORD("폭락", W_MOVE, DN), WORD("오름세", W_MOVE, UP), WORD("내림세", W_MOVE, DN), WORD("상승세", W_MOVE, UP),
    WORD("하락세", W_MOVE, DN), WORD("상승", W_WEAK | W_EDIR, UP), WORD("하락", W_WEAK | W_EDIR, DN),
    WORD("상한가", W_LIMIT, UP), WORD("하한가", W_LIMIT, DN), WORD("上", W_LIMIT, UP), WORD("下", W_LIMIT, DN),
    WORD("↑", W_ARROW | W_TP_DIR | W_EDIR, UP), WORD("↓", W_ARROW | W_TP_DIR | W_EDIR, DN),
    /* target prices */
    WORD("목표가", W_TARGET, 0), WORD("목표주가", W_TARGET, 0),
    /* earnings */
    MEASURE("매출", K_REVENUE, false), MEASURE("매출액", K_REVENUE, false), MEASURE("영업이익", K_OPERATING, false),
    MEASURE("영업익", K_OPERATING, false), MEASURE("영업손실", K_OPERATING, true), MEASURE("영업적자", K_OPERATING, true),
    MEASURE("순이익", K_NET, false), MEASURE("순익", K_NET, false), MEASURE("당기순이익", K_NET, false),
    MEASURE("당기순익", K_NET, false), MEASURE("순손실", K_NET, true), MEASURE("당기순손실", K_NET, true),
    WORD("흑자전환", W_TURN, D_TURN_PROFIT), WORD("흑자 전환", W_TURN, D_TURN_PROFIT),
    WORD("적자전환", W_TURN, D_TURN_LOSS), WORD("적자 전환", W_TURN, D_TURN_LOSS),
    /* contracts */
    WORD("공급계약", W_CONTRACT, 0), WORD("공급 계약", W_CONTRACT, 0), WORD("수주", W_CONTRACT, 0),
    WORD("수주계약", W_CONTRACT, 0), WORD("납품", W_CONTRACT, 0), WORD("납품계약", W_CONTRACT, 0),
    WORD("도급계약", W_CONTRACT, 0), WORD("총판 계약", W_CONTRACT, 0), WORD("총판계약", W_CONTRACT, 0),
    WORD("기술이전", W_CONTRACT, 0), WORD("기술 이전", W_CONTRACT, 0), WORD("라이선스 계약", W_CONTRACT, 0),
    WORD("라이선스계약", W_CONTRACT, 0), WORD("수출계약", W_CONTRACT, 0), WORD("수출 계약", W_CONTRACT, 0),
    WORD("수출 본계약", W_CONTRACT, 0), WORD("위탁계약", W_CONTRACT, 0), WORD("사업계약", W_CONTRACT, 0),
    WORD("판매계약", W_CONTRACT, 0), WORD("계약 체결", W_GENERIC, 0), WORD("계약체결", W_GENERIC, 0),
    /* The other words: context the rules read around a trigger. */
    /* target prices */
    WORD("목표가격", W_BLOCK, 0), WORD("상향", W_TP_DIR | W_EDIR, UP), WORD("하향", W_TP_DIR | W_EDIR, DN),
    WORD("유지", W_TP_DIR, D_KEEP), WORD("올려", W_TP_DIR, UP), WORD("높여", W_TP_DIR, UP), WORD("내려", W_TP_DIR, DN),
    WORD("낮춰", W_TP_DIR, DN),
    /* earnings */
    WORD("영업이익률", W_BLOCK, 0), WORD("영업이익율", W_BLOCK, 0), WORD("일매출", W_BLOCK, 0), WORD("매출비중", W_BLOCK, 0),
    WORD("매출채권", W_BLOCK, 0), WORD("매출원가", W_BLOCK, 0), WORD("매출총이익", W_BLOCK, 0),
    WORD("증가", W_EDIR | W_NOT_DEAL, UP), WORD("증가세", W_EDIR | W_NOT_DEAL, UP), WORD("급증", W_EDIR, UP),
    WORD("늘어", W_EDIR, UP), WORD("늘었", W_EDIR, UP), WORD("성장", W_EDIR, UP), WORD("성장세", W_EDIR, UP),
    WORD("확대", W_EDIR | W_NOT_DEAL, UP), WORD("개선", W_EDIR, UP), WORD("껑충", W_EDIR, UP), WORD("호조", W_EDIR, UP),
    WORD("증익", W_EDIR, UP), WORD("감소", W_EDIR, DN), WORD("반토막", W_EDIR, DN), WORD("급감", W_EDIR, DN),
    WORD("줄어", W_EDIR, DN), WORD("줄었", W_EDIR, DN), WORD("부진", W_EDIR | W_NOT_DEAL, DN), WORD("악화", W_EDIR, DN),
    WORD("감익", W_EDIR, DN), WORD("최대", W_RECORD, 0), WORD("최고", W_RECORD, 0), WORD("경신", W_RECORD, 0),
    WORD("돌파", W_RECORD, 0), WORD("상회", W_BEAT, 0), WORD("하회", W_BEAT, 0),
    /* contracts */
    WORD("해지", W_NOT_DEAL, 0), WORD("취소", W_NOT_DEAL, 0), WORD("철회", W_NOT_DEAL, 0), WORD("협상", W_NOT_DEAL, 0),
    WORD("회복", W_NOT_DEAL, 0), WORD("모멘텀", W_NOT_DEAL, 0), WORD("잔고", W_NOT_DEAL, 0),
    WORD("본격화", W_NOT_DEAL, 0), WORD("기대", W_NOT_DEAL, 0), WORD("전망", W_NOT_DEAL, 0), WORD("수혜", W_NOT_DEAL, 0),
    WORD("미팅", W_NOT_DEAL, 0), WORD("가능성", W_NOT_DEAL, 0), WORD("예상", W_NOT_DEAL, 0),
    WORD("인수", W_NOT_GENERIC, 0), WORD("자문", W_NOT_GENERIC, 0), WORD("개발", W_NOT_GENERIC, 0),
    WORD("합병", W_NOT_GENERIC, 0), WORD("취득", W_NOT_GENERIC, 0), WORD("신탁", W_NOT_GENERIC, 0),
    WORD("협약", W_NOT_GENERIC, 0), WORD("주관", W_NOT_GENERIC | W_AGENT, 0),
    WORD("주관사", W_NOT_GENERIC | W_AGENT, 0), WORD("대행", W_AGENT, 0),
    /* what else moves */
    WORD("코스피", W_INDEX, 0), WORD("코스닥", W_INDEX, 0), WORD("증시", W_INDEX, 0), WORD("지수", W_INDEX, 0),
    WORD("환율", W_INDEX, 0), WORD("원화", W_INDEX, 0), WORD("금리", W_INDEX, 0), WORD("비트코인", W_INDEX, 0),
    WORD("유가", W_INDEX, 0), WORD("가격", W_INDEX, 0), WORD("국채", W_INDEX, 0), WORD("나스닥", W_INDEX, 0),
    WORD("다우", W_INDEX, 0), WORD("달러", W_INDEX, 0), WORD("엔화", W_INDEX, 0), WORD("위안화", W_INDEX, 0),
    /* context */
    WORD("주가", W_PRICE_CTX, 0), WORD("장중", W_PRICE_CTX, 0), WORD("장초반", W_PRICE_CTX, 0),
    WORD("특징주", W_PRICE_CTX | W_FEATURE, 0), WORD("대비", W_COMPARE, 0), WORD("전년비", W_COMPARE, 0),
    WORD("比", W_COMPARE, 0), WORD("전년", W_COMPARE, 0), WORD("전분기", W_COMPARE, 0), WORD("전월", W_COMPARE, 0),
    WORD("작년보다", W_COMPARE, 0), WORD("보다", W_COMPARE, 0), WORD("yoy", W_COMPARE, 0), WORD("자회사", W_SUBSID, 0),
    WORD("etf", W_PRODUCT, 0), WORD("etn", W_PRODUCT, 0), WORD("우선주", W_TITLE, 0), WORD("사장", W_TITLE, 0),
    WORD("대표", W_TITLE, 0), WORD("회장", W_TITLE, 0), WORD("부회장", W_TITLE, 0), WORD("관련주", W_GROUP, 0),
    WORD("관련株", W_GROUP, 0), WORD("株", W_GROUP, 0),
};
#undef UP
#undef DN
#undef WORD
#undef MEASURE

#define S_WORD_COUNT (sizeof s_words / sizeof *s_words)
#define S_TRIGGERS (W_MOVE | W_WEAK | W_LIMIT | W_ARROW | W_TARGET | W_KIND | W_TURN | W_CONTRACT | W_GENERIC)

/*  True when the words below KTAG_EVENTS_TRIGGER_WORDS, and only they, are
    triggers. */
static inline bool s_ordered(void)
{
    for (size_t w = 0; w < S_WORD_COUNT; w++)
        if (((s_words[w].flags & S_TRIGGERS) != 0) != (w < KTAG_EVENTS_TRIGGER_WORDS))
            return false;
    return true;
}

size_t ktag_events_word_count(void)
{
    return S_WORD_COUNT;
}

const char *ktag_events_word(size_t index)
{
    return index < S_WORD_COUNT ? s_words[index].word : NULL;
}

/* ------------------------------------------------------ per sentence */

typedef struct {
    uint32_t start, end;
    const s_word_t *word;
    uint32_t flags;          /* word->flags, kept at hand: the rules test them most */
    bool used;               /* a turn taken by the measure before it */
} s_token_t;

/*  A subject: up to 4 mentions (a list "A·B"), or a slot whose company is
    unknown (the text names no entity there), or an index (코스피,). */
enum { SUBJ_NONE = 0, SUBJ_MENTIONS, SUBJ_UNKNOWN, SUBJ_INDEX, SUBJ_SUBSIDIARY };
#define S_MAX_LIST 4
/*  A list read backwards is at most this many items, the words between its
    entities included ("메리츠금융지주·화재·증권"): a longer run of joined
    words (x/x/x/…) is no list of subjects, and walking all of it for each
    move word cost move words x run x mentions (3.6 s for 1 MB). */
#define S_MAX_LIST_ITEMS 16
#define S_MAX_ITEMS 256   /* cue words and mentions of a sentence the rules read */

typedef struct {
    int state;
    int count;
    int32_t mentions[S_MAX_LIST];   /* indexes into the field's mentions */
    const char *rule;
} s_subject_t;

typedef struct {
    uint32_t start, end;
    bool after_ellipsis;     /* the clause follows "…" (or starts the sentence) */
    uint8_t known;           /* bit 1 << start_rule: own[start_rule] is read */
    s_subject_t own[2];      /* its own subject, read once (s_own_subject) */
} s_clause_t;

typedef struct {
    const ktag_field_view_t *view;
    const char *text;
    uint32_t start, end;            /* the sentence */
    size_t m_first, m_last;         /* its mentions [m_first, m_last) */
    s_token_t *tokens;
    size_t token_count;
    ktag_amount_t *amounts;         /* read so far (s_read_amounts), then candidates */
    size_t amount_count;
    size_t next_candidate, candidate_count;   /* amounts[next_candidate..] are unread starts */
    uint32_t parsed_to;             /* the end of the last amount read */
    s_clause_t *clauses;
    size_t clause_count;
    uint8_t *is_source;             /* per mention of the field: a broker tail */
    int32_t source;                 /* the sentence's broker, or -1 */
    s_subject_t subject;            /* read when a rule first needs it (s_subject) */
    bool subject_known;
    s_subject_t previous;           /* the previous sentence's own subject */
    size_t first_event;             /* the findings' first event of this sentence */
    size_t w_next;                  /* the next of the field's cue words to read */
    bool product;                   /* ETF/ETN: funding words are fund terms */
    bool feature;                   /* a [특징주] line: it is about a stock's move */
    uint32_t flags;                 /* the flags of all its tokens */
} s_sentence_t;

/*  Scratch owned by the findings: the arrays of s_sentence_t. */
typedef struct {
    s_token_t *tokens;
    size_t token_cap;
    ktag_amount_t *amounts;
    size_t amount_cap;
    s_clause_t *clauses;
    size_t clause_cap;
    uint8_t *is_source;
    size_t source_cap;
} s_scratch_t;

static const ktag_mention_t *s_mention(const s_sentence_t *s, int32_t m)
{
    return &s->view->mentions[m];
}

static bool s_is_company(const s_sentence_t *s, int32_t m)
{
    return s_mention(s, m)->entry->type == KTAG_TYPE_COMPANY;
}

static bool s_is_org(const s_sentence_t *s, int32_t m)
{
    return s_mention(s, m)->entry->type == KTAG_TYPE_ORG;
}

static bool s_is_broker(const s_sentence_t *s, int32_t m)
{
    const char *name = s_mention(s, m)->entry->name;
    return s_is_company(s, m) && name && (strstr(name, "증권") || strstr(name, "금융투자"));
}

/*  True when `word` (not empty) stands at text[at].  The first two bytes
    are compared before the length is taken: most calls stop there. */
static inline bool s_at(const char *text, size_t len, size_t at, const char *word)
{
    if (at >= len || text[at] != word[0] || (word[1] && (at + 1 >= len || text[at + 1] != word[1])))
        return false;
    size_t n = strlen(word);
    return at + n <= len && memcmp(text + at, word, n) == 0;
}

/*  True when `word` (not empty) ends at text[at]; `floor` is the first byte
    it may use. */
static inline bool s_ends_at(const char *text, size_t floor, size_t at, const char *word)
{
    size_t n = strlen(word);
    return at >= floor + n && text[at - 1] == word[n - 1] && memcmp(text + at - n, word, n) == 0;
}

/*  Quote and bracket characters skipped around subjects: the ASCII ones
    ' " < > ` ), and the three-byte ones of U+2018..U+201D (E2 80 98/99/9C/9D)
    and U+3008..U+300F (E3 80 88..8F: 〈 〉 《 》 「 」 『 』). */
static size_t s_quote3(const uint8_t *b)
{
    if (b[0] == 0xE2)
        return b[1] == 0x80 && (b[2] == 0x98 || b[2] == 0x99 || b[2] == 0x9C || b[2] == 0x9D) ? 3 : 0;
    return b[0] == 0xE3 && b[1] == 0x80 && b[2] >= 0x88 && b[2] <= 0x8F ? 3 : 0;
}

static inline size_t s_quote_at(const char *text, size_t len, size_t at)
{
    if (at >= len)
        return 0;
    uint8_t b = (uint8_t) text[at];
    if (b == '\'' || b == '"' || b == '<' || b == '>' || b == '`')
        return 1;
    return (b == 0xE2 || b == 0xE3) && at + 3 <= len ? s_quote3((const uint8_t *) text + at) : 0;
}

/*  The closing quote or bracket ending at `at` (' " ’ ” 」 』 > 》 〉 )), or 0. */
static size_t s_quote_before(const char *text, size_t at)
{
    if (at == 0)
        return 0;
    uint8_t b = (uint8_t) text[at - 1];
    if (b == '\'' || b == '"' || b == '>' || b == ')')
        return 1;
    if (at < 3 || (b & 0xC0) != 0x80)
        return 0;
    const uint8_t *c = (const uint8_t *) text + at - 3;
    if (c[0] == 0xE2)
        return s_quote3(c);
    return c[0] == 0xE3 && c[1] == 0x80 && (c[2] == 0x8B || c[2] == 0x89 || c[2] == 0x8D || c[2] == 0x8F) ? 3 : 0;
}

/*  A list joiner at `at`: · (C2 B7), ‧ (E2 80 A7), ・ (E3 83 BB),
    ㆍ (E3 86 8D) or '/'.  @returns its length, or 0. */
static size_t s_joiner_at(const char *text, size_t len, size_t at)
{
    if (at >= len)
        return 0;
    const uint8_t *b = (const uint8_t *) text + at;
    switch (b[0]) {
    case '/':
        return 1;
    case 0xC2:
        return at + 2 <= len && b[1] == 0xB7 ? 2 : 0;
    case 0xE2:
        return at + 3 <= len && b[1] == 0x80 && b[2] == 0xA7 ? 3 : 0;
    case 0xE3:
        return at + 3 <= len && ((b[1] == 0x83 && b[2] == 0xBB) || (b[1] == 0x86 && b[2] == 0x8D)) ? 3 : 0;
    default:
        return 0;
    }
}

/*  The list joiner ending at `at` (s_joiner_at), or 0. */
static size_t s_joiner_before(const char *text, size_t at)
{
    /*  Their last bytes: B7 A7 BB 8D '/'. */
    uint8_t last = at ? (uint8_t) text[at - 1] : 0;
    if (last == '/')
        return 1;
    if (last != 0xB7 && last != 0xA7 && last != 0xBB && last != 0x8D)
        return 0;
    if (at >= 2 && s_joiner_at(text, at, at - 2) == 2)
        return 2;
    return at >= 3 && s_joiner_at(text, at, at - 3) == 3 ? 3 : 0;
}

static bool s_hangul_at(const char *text, size_t len, size_t at)
{
    return at + 3 <= len && (uint8_t) text[at] >= 0xEA && (uint8_t) text[at] <= 0xED;
}

/*  True when a subject or topic particle (은 는 이 가 도) follows at `at`
    and ends the word. */
static bool s_topic_at(const char *text, size_t len, size_t at)
{
    if (at + 3 > len)
        return false;
    const uint8_t *b = (const uint8_t *) text + at;
    /*  은 EC 9D 80, 는 EB 8A 94, 이 EC 9D B4, 가 EA B0 80, 도 EB 8F 84 */
    uint32_t key = (uint32_t) b[0] << 16 | (uint32_t) b[1] << 8 | b[2];
    bool particle = key == 0xEC9D80 || key == 0xEB8A94 || key == 0xEC9DB4 || key == 0xEAB080 || key == 0xEB8F84;
    return particle && !s_hangul_at(text, len, at + 3);
}

/*  The index of the clause holding byte `at`. */
static size_t s_clause_of(const s_sentence_t *s, uint32_t at)
{
    size_t c = 0;
    while (c + 1 < s->clause_count && s->clauses[c + 1].start <= at)
        c++;
    return c;
}

/*  The mention ending exactly at `at`, or -1. */
static int32_t s_mention_ending(const s_sentence_t *s, uint32_t at)
{
    for (size_t m = s->m_first; m < s->m_last; m++)
        if (s->view->mentions[m].end == at)
            return (int32_t) m;
    return -1;
}

static int32_t s_mention_starting(const s_sentence_t *s, uint32_t at)
{
    for (size_t m = s->m_first; m < s->m_last; m++)
        if (s->view->mentions[m].start == at)
            return (int32_t) m;
    return -1;
}

static bool s_subject_add(s_subject_t *subject, int32_t m)
{
    for (int i = 0; i < subject->count; i++)
        if (subject->mentions[i] == m)
            return true;
    if (subject->count == S_MAX_LIST)
        return false;
    subject->mentions[subject->count++] = m;
    subject->state = SUBJ_MENTIONS;
    return true;
}

/*  Add the mentions joined to `m` by · after it ("A·B·C"). */
static void s_subject_list_forward(const s_sentence_t *s, s_subject_t *subject, int32_t m)
{
    uint32_t at = s_mention(s, m)->end;
    for (;;) {
        size_t j = s_joiner_at(s->text, s->end, at);
        if (!j)
            return;
        int32_t next = s_mention_starting(s, at + (uint32_t) j);
        if (next < 0 || !s_subject_add(subject, next))
            return;
        at = s_mention(s, next)->end;
    }
}

static bool s_actor(const s_sentence_t *s, int32_t m)
{
    return !s->is_source[m] && (s_is_company(s, m) || s_is_org(s, m));
}

/*  Read the list of subjects ending at byte `end` ("A·B·C" before a comma
    or a move word), walking back over items that are no entity
    ("메리츠금융지주·화재·증권"). */
static void s_subject_list_back(const s_sentence_t *s, s_subject_t *subject, uint32_t end, uint32_t floor)
{
    const char *text = s->text;
    uint32_t at = end;
    /*  A full list takes no more subjects: stop there. */
    for (int items = 0; at > floor && items < S_MAX_LIST_ITEMS && subject->count < S_MAX_LIST; items++) {
        int32_t m = s_mention_ending(s, at);
        if (m >= 0 && s_actor(s, m)) {
            s_subject_add(subject, m);
            at = s_mention(s, m)->start;
        } else {
            /*  Back over the word, a byte at a time: a space, ']' or a
                joiner can only end where a character does. */
            uint32_t p = at;
            while (p > floor && text[p - 1] != ' ' && text[p - 1] != ']' && !s_joiner_before(text, p))
                p--;
            if (p == at)
                return;
            at = p;
        }
        size_t j = s_joiner_before(text, at);
        if (!j || at < floor + j)
            break;
        at -= (uint32_t) j;
    }
    /*  Read backwards: put the list in text order. */
    for (int i = 0, k = subject->count - 1; i < k; i++, k--) {
        int32_t tmp = subject->mentions[i];
        subject->mentions[i] = subject->mentions[k];
        subject->mentions[k] = tmp;
    }
}

/*  True when an index word (코스피, 금리, 가격 …) ends within `window`
    bytes before `at`, with no other word of the table between. */
static bool s_index_before(const s_sentence_t *s, uint32_t at, uint32_t window)
{
    if (!(s->flags & W_INDEX))
        return false;
    for (size_t t = s->token_count; t-- > 0;) {
        const s_token_t *tok = &s->tokens[t];
        if (tok->end > at)
            continue;
        if (at - tok->end > window)
            return false;
        if (tok->flags & W_INDEX)
            return true;
    }
    return false;
}

static bool s_token_in(const s_sentence_t *s, uint32_t from, uint32_t to, uint32_t flags)
{
    if (!(s->flags & flags))
        return false;   /* no word of the sentence has them */
    for (size_t t = 0; t < s->token_count; t++)
        if (s->tokens[t].start >= from && s->tokens[t].end <= to && (s->tokens[t].flags & flags))
            return true;
    return false;
}

/*  The cue word starting at byte `at`, or NULL. */
static const s_word_t *s_word_starting(const s_sentence_t *s, uint32_t at)
{
    for (size_t t = 0; t < s->token_count && s->tokens[t].start <= at; t++)
        if (s->tokens[t].start == at)
            return s->tokens[t].word;
    return NULL;
}

/*  The own subject of clause `c`: the entity it starts with (after quotes
    and a bracketed tag) when a space, comma, joiner or topic particle
    follows; else an entity marked by a topic particle. */
static void s_clause_subject(const s_sentence_t *s, size_t c, bool start_rule, s_subject_t *out)
{
    *out = (s_subject_t) { 0 };
    const s_clause_t *clause = &s->clauses[c];
    const char *text = s->text;
    uint32_t at = clause->start;
    for (;;) {
        size_t q = 0;
        if (at < clause->end && (text[at] == ' ' || text[at] == '.' || text[at] == ','))
            at++;
        else if ((q = s_quote_at(text, clause->end, at)))
            at += (uint32_t) q;
        else if (at < clause->end && (text[at] == '[' || text[at] == '(') && c == 0) {
            const char *close = memchr(text + at, text[at] == '[' ? ']' : ')', clause->end - at);
            if (!close || close - (text + at) > 60)
                break;
            at = (uint32_t) (close - text) + 1;
        } else
            break;
    }
    if (start_rule) {
        int32_t m = s_mention_starting(s, at);
        if (m >= 0 && s_actor(s, m)) {
            uint32_t end = s_mention(s, m)->end;
            bool followed = end >= clause->end || text[end] == ' ' || text[end] == ','
                            || s_joiner_at(text, clause->end, end) || s_topic_at(text, clause->end, end)
                            || !s_hangul_at(text, clause->end, end);
            /*  A broker quoted at the start is a source ("신한금투 "…목표가↑""). */
            bool quoted_broker = end + 1 < clause->end && text[end] == ' '
                                 && s_quote_at(text, clause->end, end + 1) && s_is_broker(s, m);
            if (followed && !quoted_broker) {
                if (end + 1 < clause->end && text[end] == ' ' && s_at(text, clause->end, end + 1, "자회사")) {
                    out->state = SUBJ_SUBSIDIARY;
                    out->rule = "subsidiary";
                    return;
                }
                s_subject_add(out, m);
                s_subject_list_forward(s, out, m);
                out->rule = c > 0 ? "clause_subject" : s_topic_at(text, clause->end, end) ? "subject_topic"
                                                                                       : "subject_start";
                return;
            }
        }
        /*  An index the sentence starts with (코스피 0.5% 하락). */
        const s_word_t *w = s_word_starting(s, at);
        if (w && (w->flags & W_INDEX)) {
            out->state = SUBJ_INDEX;
            return;
        }
    }
    for (size_t m = s->m_first; m < s->m_last; m++) {
        const ktag_mention_t *mention = &s->view->mentions[m];
        if (mention->start < clause->start || mention->end > clause->end || !s_actor(s, (int32_t) m))
            continue;
        if (s_topic_at(text, clause->end, mention->end)) {
            s_subject_add(out, (int32_t) m);
            out->rule = "subject_topic";
            return;
        }
    }
}

/*  The own subject of clause `c` (s_clause_subject), read once per
    sentence and rule. */
static const s_subject_t *s_own_subject(const s_sentence_t *s, size_t c, bool start_rule)
{
    s_clause_t *clause = &s->clauses[c];
    if (!(clause->known & (1u << start_rule))) {
        s_clause_subject(s, c, start_rule, &clause->own[start_rule]);
        clause->known |= (uint8_t) (1u << start_rule);
    }
    return &clause->own[start_rule];
}

/*  The sentence's subject: the entity before its first comma (when the
    comma comes before any "…"), else the first clause's own subject. */
static void s_sentence_subject(s_sentence_t *s)
{
    s_subject_t *subject = &s->subject;
    *subject = (s_subject_t) { 0 };
    const char *text = s->text;
    for (size_t c = 1; c < s->clause_count; c++) {
        const s_clause_t *clause = &s->clauses[c];
        if (clause->after_ellipsis)
            break;
        /* clause c starts after a comma at clause->start - 1 */
        uint32_t end = clause->start - 1;
        uint32_t floor = s->clauses[c - 1].start;
        while (end > floor && text[end - 1] == ' ')
            end--;
        size_t q = 0;
        while ((q = s_quote_before(text, end)) && end - q >= floor)
            end -= (uint32_t) q;
        s_subject_list_back(s, subject, end, floor);
        if (subject->state == SUBJ_MENTIONS) {
            subject->rule = "subject_comma";
            return;
        }
        /*  The last word before the comma: "X 자회사," "X 사장," "코스피,". */
        uint32_t word = end;
        while (word > floor && text[word - 1] != ' ' && text[word - 1] != ']')
            word--;   /* a byte at a time: ' ' and ']' end a character */
        const s_word_t *w = word < end ? s_word_starting(s, word) : NULL;
        if (w && (w->flags & W_INDEX)) {
            subject->state = SUBJ_INDEX;
            return;
        }
        int32_t m = word > floor + 1 ? s_mention_ending(s, word - 1) : -1;
        bool whole = w && word + w->len == end;
        if (whole && m >= 0 && s_actor(s, m) && (w->flags & W_SUBSID)) {
            subject->state = SUBJ_SUBSIDIARY;
            subject->rule = "subsidiary";
            return;
        }
        if (whole && m >= 0 && s_actor(s, m) && (w->flags & W_TITLE)) {
            s_subject_add(subject, m);
            subject->rule = "subject_comma";
            return;
        }
        subject->state = SUBJ_UNKNOWN;
        return;
    }
    *subject = *s_own_subject(s, 0, true);
}

/*  The sentence's subject (s_sentence_subject), read once, when first
    asked for: most triggers are dropped before their rule needs it. */
static const s_subject_t *s_subject(s_sentence_t *s)
{
    if (!s->subject_known) {
        s_sentence_subject(s);
        s->subject_known = true;
    }
    return &s->subject;
}

/*  The subject that governs clause `c`: its own when it follows "…" and
    names one, else the sentence's, else the previous sentence's when this
    one has no subject slot at all. */
static s_subject_t s_governing(s_sentence_t *s, size_t c)
{
    if (c > 0 && s->clauses[c].after_ellipsis) {
        const s_subject_t *own = s_own_subject(s, c, true);
        if (own->state != SUBJ_NONE)
            return *own;
    } else if (c > 0) {
        const s_subject_t *own = s_own_subject(s, c, false);
        if (own->state == SUBJ_MENTIONS)
            return *own;
    }
    const s_subject_t *subject = s_subject(s);
    if (subject->state != SUBJ_NONE)
        return *subject;
    if (s->previous.state == SUBJ_MENTIONS) {
        s_subject_t inherited = s->previous;
        inherited.rule = "previous_sentence";
        return inherited;
    }
    return *subject;
}

/*  The only company of the sentence (sources aside), or -1. */
static int32_t s_sole_company(const s_sentence_t *s, bool org_too)
{
    int32_t found = -1;
    for (size_t m = s->m_first; m < s->m_last; m++) {
        if (s->is_source[m] || !(s_is_company(s, (int32_t) m) || (org_too && s_is_org(s, (int32_t) m))))
            continue;
        if (found >= 0 && s_mention(s, found)->entry != s->view->mentions[m].entry)
            return -1;
        if (found < 0)
            found = (int32_t) m;
    }
    return found;
}

/* ---------------------------------------------------------- findings */

static int s_emit(ktag_events_findings_t *f, const s_sentence_t *s, const ktag_event_finding_t *event)
{
    /*  One event per type, kind, company and direction in a sentence: a
        repeat only fills what the first one lacks. */
    for (size_t i = f->event_count; i-- > s->first_event;) {
        ktag_event_finding_t *e = &f->events[i];
        if (e->type == event->type && e->company == event->company
            && (e->kind == event->kind || (e->kind && event->kind && strcmp(e->kind, event->kind) == 0))
            && (event->type == KTAG_EVENT_FUNDING || event->type == KTAG_EVENT_CONTRACT
                || e->direction == event->direction)) {
            if (!e->has_amount && event->has_amount) {
                e->has_amount = true;
                e->amount = event->amount;
                e->unit = event->unit;
            }
            if (e->counterparty < 0)
                e->counterparty = event->counterparty;
            return 0;
        }
    }
    if (KTAG_RESERVE(f->events, f->event_cap, f->event_count + 1))
        return KTAG_ERR_NOMEM;
    f->events[f->event_count++] = *event;
    return 0;
}

/*  A new event with every fact absent.  Member by member: a compound
    literal is zeroed with `rep stos`, whose start-up costs more than the
    stores on this path. */
static ktag_event_finding_t s_event(const s_sentence_t *s, ktag_event_type_t type, uint32_t start, uint32_t end)
{
    ktag_event_finding_t e;
    e.type = type;
    e.kind = NULL;
    e.company = e.counterparty = e.source = -1;
    e.direction = NULL;
    e.has_amount = e.has_previous = e.limit = false;
    e.amount = e.previous = 0;
    e.unit = KTAG_AMOUNT_NONE;
    e.field = s->view->field;
    e.start = start;
    e.end = end;
    e.rule = NULL;
    return e;
}

static void s_widen(ktag_event_finding_t *e, uint32_t start, uint32_t end)
{
    if (start < e->start)
        e->start = start;
    if (end > e->end)
        e->end = end;
}

static void s_set_amount(ktag_event_finding_t *e, const ktag_amount_t *a, ktag_amount_unit_t fallback)
{
    e->has_amount = true;
    e->amount = a->value;
    e->unit = a->unit != KTAG_AMOUNT_NONE ? a->unit : fallback;
    s_widen(e, (uint32_t) a->start, (uint32_t) a->end);
}

static bool s_money(const ktag_amount_t *a)
{
    return (a->unit >= KTAG_AMOUNT_KRW && a->unit <= KTAG_AMOUNT_CNY) || (a->unit == KTAG_AMOUNT_NONE && a->large);
}

/*  Filler allowed between an amount and the word it measures. */
static bool s_filler(const char *text, uint32_t from, uint32_t to)
{
    static const char *const words[] = { " ", "규모", "상당", "대", "여", "어치", "의", "'", "\"", "‘", "’",
                                          "“", "”", ")", "(" };
    uint32_t at = from;
    while (at < to) {
        bool matched = false;
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            if (s_at(text, to, at, words[i])) {
                at += (uint32_t) strlen(words[i]);
                matched = true;
                break;
            }
        if (!matched)
            return false;
    }
    return true;
}

/*  Read the sentence's amounts, in order, from the candidates that start
    before `to`: the rules only look at amounts near their words, so the
    rest are never read.  Each is read in place (a read amount never lies
    before its own candidate), and a candidate inside the amount before it
    is none. */
static void s_read_amounts(s_sentence_t *s, uint32_t to)
{
    while (s->next_candidate < s->candidate_count) {
        uint32_t at = (uint32_t) s->amounts[s->next_candidate].start;
        if (at >= to)
            return;
        s->next_candidate++;
        ktag_amount_t a;
        if (at < s->parsed_to || at >= s->end || !ktag_amount_parse(s->text, s->end, at, &a))
            continue;
        s->amounts[s->amount_count++] = a;
        s->parsed_to = (uint32_t) a.end;
    }
}

/*  The amount ending right before `at` (only filler between) in the same
    clause, accepted by `want`; or -1. */
static int s_amount_before(s_sentence_t *s, uint32_t at, uint32_t floor, bool (*want)(const ktag_amount_t *))
{
    s_read_amounts(s, at);   /* an amount ending by `at` starts before it */
    for (size_t i = s->amount_count; i-- > 0;) {
        const ktag_amount_t *a = &s->amounts[i];
        if (a->end > at)
            continue;
        if (a->start < floor)
            return -1;
        if (want(a) && s_filler(s->text, (uint32_t) a->end, at))
            return (int) i;
        return -1;
    }
    return -1;
}

/*  The first amount accepted by `want` starting within `gap` bytes after
    `at`, before `limit`; or -1. */
static int s_amount_after(s_sentence_t *s, uint32_t at, uint32_t gap, uint32_t limit,
                          bool (*want)(const ktag_amount_t *))
{
    s_read_amounts(s, at + gap + 1);
    for (size_t i = 0; i < s->amount_count; i++) {
        const ktag_amount_t *a = &s->amounts[i];
        if (a->start < at)
            continue;
        if (a->start > at + gap || a->end > limit)
            return -1;
        if (want(a))
            return (int) i;
    }
    return -1;
}

static bool s_want_funding(const ktag_amount_t *a)
{
    return s_money(a) || (a->unit == KTAG_AMOUNT_SHARES);
}

static bool s_want_money(const ktag_amount_t *a)
{
    return s_money(a);
}

static bool s_want_percent(const ktag_amount_t *a)
{
    return a->unit == KTAG_AMOUNT_PERCENT && !a->points;
}

static bool s_want_price(const ktag_amount_t *a)
{
    return a->unit != KTAG_AMOUNT_PERCENT && a->unit != KTAG_AMOUNT_SHARES
           && (a->unit != KTAG_AMOUNT_NONE || a->scaled);
}

/*  Link `e` to the first company of `subject`; @returns false when the
    subject names none (an unknown, index or subsidiary slot). */
static bool s_link_subject(const s_sentence_t *s, const s_subject_t *subject, ktag_event_finding_t *e,
                           bool org_too)
{
    if (subject->state != SUBJ_MENTIONS)
        return false;
    for (int i = 0; i < subject->count; i++) {
        int32_t m = subject->mentions[i];
        if (s_is_company(s, m) || (org_too && s_is_org(s, m))) {
            e->company = (int32_t) s_mention(s, m)->entity;
            e->rule = subject->rule;
            return true;
        }
    }
    return false;
}

/* ----------------------------------------------------------- funding */

/*  One funding of a kind per sentence: an event of that kind without
    issuer goes when another names one ("11번가, 상장 추진…IPO 주관사에 …"). */
static void s_drop_issuerless(ktag_events_findings_t *f, const s_sentence_t *s)
{
    size_t kept = s->first_event;
    for (size_t i = s->first_event; i < f->event_count; i++) {
        const ktag_event_finding_t *e = &f->events[i];
        bool drop = false;
        for (size_t j = s->first_event; j < f->event_count && e->type == KTAG_EVENT_FUNDING && e->company < 0; j++)
            drop |= j != i && f->events[j].type == KTAG_EVENT_FUNDING && f->events[j].company >= 0
                    && strcmp(f->events[j].kind, e->kind) == 0;
        if (!drop)
            f->events[kept++] = *e;
    }
    f->event_count = kept;
}

static int s_funding(ktag_events_findings_t *f, s_sentence_t *s)
{
    const char *text = s->text;
    for (size_t m = s->m_first; m < s->m_last; m++) {
        const ktag_mention_t *mention = &s->view->mentions[m];
        if (mention->entry->type != KTAG_TYPE_FUNDING || s->product)
            continue;
        /*  Metrics and categories named after a funding word: 배당수익률,
            배당성향, 배당주. */
        static const char *const metric_tails[] = { "수익률", "성향", "주", "株" };
        bool metric = false;
        for (size_t i = 0; i < sizeof metric_tails / sizeof *metric_tails; i++)
            metric |= s_at(text, s->end, mention->end, metric_tails[i])
                      || (i < 2 && s_ends_at(text, mention->start, mention->end, metric_tails[i]));
        if (metric)
            continue;
        /*  A role named after the funding (대표주관사 of an IPO) is no
            event of its own when the sentence names the funding itself. */
        if (s_token_in(s, mention->start, mention->end, W_AGENT)) {
            bool named = false;
            for (size_t o = s->m_first; o < s->m_last; o++)
                named |= o != m && s->view->mentions[o].entry == mention->entry;
            if (named)
                continue;
        }
        size_t c = s_clause_of(s, mention->start);
        const s_clause_t *clause = &s->clauses[c];
        ktag_event_finding_t e = s_event(s, KTAG_EVENT_FUNDING, mention->start, mention->end);
        e.kind = mention->entry->id;
        /*  자사주 … 소각 / 처분: the words after say which. */
        if (strcmp(e.kind, "buyback") == 0) {
            for (uint32_t p = mention->end; p < mention->end + 16 && p < clause->end; p++) {
                if (s_at(text, clause->end, p, "소각")) {
                    e.kind = "treasury_cancel";
                    break;
                }
                if (s_at(text, clause->end, p, "처분") || s_at(text, clause->end, p, "매각")) {
                    e.kind = "treasury_disposal";
                    break;
                }
            }
        }
        int a = s_amount_before(s, mention->start, clause->start, s_want_funding);
        if (a < 0)
            a = s_amount_after(s, mention->end, 4, clause->end, s_want_funding);
        if (a >= 0)
            s_set_amount(&e, &s->amounts[a], KTAG_AMOUNT_KRW);

        /*  The issuer: the company named right before the term, else the
            subject, unless the subject acts for someone else. */
        uint32_t before = a >= 0 && s->amounts[a].end <= mention->start ? (uint32_t) s->amounts[a].start
                                                                           : mention->start;
        while (before > clause->start && text[before - 1] == ' ')
            before--;
        if (before >= 3 && s_at(text, before, before - 3, "의"))
            before -= 3;
        int32_t adjacent = s_mention_ending(s, before);
        if (adjacent >= 0 && s_is_company(s, adjacent) && !s->is_source[adjacent]) {
            e.company = (int32_t) s_mention(s, adjacent)->entity;
            e.rule = "issuer_before_term";
        } else if (s_token_in(s, clause->start, clause->end, W_AGENT)) {
            e.rule = "agent_not_issuer";
        } else if (s_token_in(s, clause->start, mention->start, W_SUBSID)) {
            e.rule = "subsidiary";
        } else {
            s_subject_t subject = s_governing(s, c);
            if (s_link_subject(s, &subject, &e, false)) {
                /*  "A·B, 무상증자": each company of the list. */
                for (int i = 1; i < subject.count; i++) {
                    if (!s_is_company(s, subject.mentions[i]))
                        continue;
                    ktag_event_finding_t other = e;
                    other.company = (int32_t) s_mention(s, subject.mentions[i])->entity;
                    if (s_emit(f, s, &other))
                        return KTAG_ERR_NOMEM;
                }
            } else {
                int32_t sole = subject.state == SUBJ_NONE ? s_sole_company(s, false) : -1;
                if (sole >= 0) {
                    e.company = (int32_t) s_mention(s, sole)->entity;
                    e.rule = "sole_company";
                } else {
                    e.rule = subject.state == SUBJ_SUBSIDIARY ? "subsidiary" : "no_issuer";
                }
            }
        }
        /*  유·무상증자: a rights offering and a bonus issue. */
        bool both = strcmp(e.kind, "bonus_issue") == 0 && mention->start >= 5
                    && s_at(text, s->end, mention->start - 5, "유·");
        if (s_emit(f, s, &e))
            return KTAG_ERR_NOMEM;
        if (both) {
            e.kind = "rights_offering";
            if (s_emit(f, s, &e))
                return KTAG_ERR_NOMEM;
        }
    }
    return 0;
}

/* -------------------------------------------------------- price move */

/*  True when a sector of stocks names the move at `at`: "화장품주 이틀째
    '급등'", "조선주 동반 강세" (a word ending in 주 or 株 right before, over
    a few modifiers, after byte `floor`). */
static bool s_sector_before(const char *text, uint32_t floor, uint32_t at)
{
    static const char *const modifiers[] = { "이틀째", "사흘째", "연일", "동반", "나란히", "일제히", "모두",
                                             "또" };
    for (int rounds = 0; rounds < 4; rounds++) {
        size_t q = 0;
        while (at > floor && (text[at - 1] == ' ' || (q = s_quote_before(text, at))))
            at -= text[at - 1] == ' ' ? 1 : (uint32_t) q;
        bool skipped = false;
        for (size_t i = 0; i < sizeof modifiers / sizeof *modifiers; i++) {
            if (s_ends_at(text, floor, at, modifiers[i])) {
                at -= (uint32_t) strlen(modifiers[i]);
                skipped = true;
                break;
            }
        }
        if (!skipped)
            break;
    }
    return at >= floor + 6 && (s_at(text, at, at - 3, "주") || s_at(text, at, at - 3, "株"))
           && s_hangul_at(text, at, at - 6);
}

/*  "X 주가가 …", "X의 주가는 …": the stock named right before 주가 is the
    one that moved, whoever the sentence is about (딥시크가 … 소식에
    SK하이닉스 주가가 9% 하락).  @returns the last such company mention in
    [from, to), or -1. */
static int32_t s_price_owner(const s_sentence_t *s, uint32_t from, uint32_t to)
{
    int32_t owner = -1;
    for (size_t m = s->m_first; m < s->m_last; m++) {
        const ktag_mention_t *mention = &s->view->mentions[m];
        if (mention->start < from || mention->end > to || !s_is_company(s, (int32_t) m) || s->is_source[m])
            continue;
        uint32_t at = mention->end;
        if (s_at(s->text, to, at, "의"))
            at += 3;
        if (at < to && s->text[at] == ' ')
            at++;
        if (s_at(s->text, to, at, "주가"))
            owner = (int32_t) m;
    }
    return owner;
}

static int s_price_moves(ktag_events_findings_t *f, s_sentence_t *s)
{
    const char *text = s->text;
    for (size_t t = 0; t < s->token_count; t++) {
        const s_token_t *tok = &s->tokens[t];
        uint32_t flags = tok->flags;
        if (!(flags & (W_MOVE | W_WEAK | W_LIMIT | W_ARROW)))
            continue;
        size_t c = s_clause_of(s, tok->start);
        const s_clause_t *clause = &s->clauses[c];
        int pct = s_amount_before(s, tok->start, clause->start, s_want_percent);
        /*  A percent after a measure, a comparison or 목표가 earlier in the
            sentence (up to a clause with its own subject) is their change:
            영업이익 650억원…작년보다 336%↑, 목표가 15%↑. */
        const uint32_t measures = W_COMPARE | W_KIND | W_TARGET;
        bool compared = s_token_in(s, clause->start, tok->start, measures);
        if (!compared && c > 0 && s_token_in(s, s->start, tok->start, measures))
            compared = s_own_subject(s, c, clause->after_ellipsis)->state != SUBJ_MENTIONS;
        if (flags & W_LIMIT) {
            bool symbol = strcmp(tok->word->word, "上") == 0 || strcmp(tok->word->word, "下") == 0;
            if (symbol && !s_quote_before(text, tok->start))
                continue;   /* 上 and 下 only as '上' */
        } else if (flags & W_ARROW) {
            /*  N%↑, or a quoted '↑' closing a [특징주] line; not ↑ after
                목표가, nor a growth rate. */
            bool quoted = s->feature && s_quote_before(text, tok->start) && tok->end + 1 >= s->end;
            if ((pct < 0 && !quoted) || compared)
                continue;
        } else if (flags & W_WEAK) {
            uint32_t back = tok->start;
            size_t q = 0;
            while (back > clause->start && (text[back - 1] == ' ' || (q = s_quote_before(text, back))))
                back -= text[back - 1] == ' ' ? 1 : (uint32_t) q;
            bool reaction = back >= clause->start + 3 && s_at(text, back, back - 3, "에");
            bool ctx = s_token_in(s, tok->start > 12 ? tok->start - 12 : 0, tok->start, W_PRICE_CTX);
            if ((pct < 0 && !reaction && !ctx) || compared)
                continue;
        }
        if (s_index_before(s, tok->start, 8))
            continue;   /* 금리 급등, 원화강세, 철강재 가격 강세 */

        ktag_event_finding_t e = s_event(s, KTAG_EVENT_PRICE_MOVE, tok->start, tok->end);
        e.direction = s_directions[tok->word->dir];
        e.limit = (flags & W_LIMIT) != 0;
        if (pct >= 0)
            s_set_amount(&e, &s->amounts[pct], KTAG_AMOUNT_PERCENT);

        /*  Which stock: the clause's or sentence's subject, else the
            stocks named right before the word. */
        s_subject_t subject = s_governing(s, c);
        s_subject_t stocks = { 0 };
        int32_t owner = s_price_owner(s, clause->start, tok->start);
        if (owner >= 0) {
            s_subject_add(&stocks, owner);
            stocks.rule = "stock_of_price";
        } else if (subject.state == SUBJ_INDEX) {
            continue;
        } else if (subject.state == SUBJ_MENTIONS) {
            stocks = subject;
        } else {
            uint32_t end = pct >= 0 ? (uint32_t) s->amounts[pct].start : tok->start;
            int32_t near = -1;
            for (size_t m = s->m_first; m < s->m_last; m++) {
                const ktag_mention_t *mention = &s->view->mentions[m];
                if (mention->end <= end && mention->start >= clause->start && s_is_company(s, (int32_t) m)
                    && !s->is_source[m])
                    near = (int32_t) m;
            }
            if (near >= 0) {
                uint32_t gap_from = s_mention(s, near)->end;
                bool cause = false;
                for (uint32_t p = gap_from; p + 3 <= end; p++)
                    if (s_at(text, end, p, "에 ") || s_at(text, end, p, "에서") || s_at(text, end, p, "으로")
                        || s_at(text, end, p, "로 "))
                        cause = true;
                if (!cause && !s_token_in(s, gap_from, end, W_MOVE | W_WEAK | W_LIMIT | W_GROUP)) {
                    s_subject_list_back(s, &stocks, s_mention(s, near)->end, clause->start);
                    stocks.rule = "stock_before_move";
                }
            }
            if (stocks.state != SUBJ_MENTIONS && subject.state == SUBJ_NONE) {
                int32_t sole = s_token_in(s, clause->start, tok->start, W_GROUP) ? -1 : s_sole_company(s, false);
                if (sole >= 0) {
                    s_subject_add(&stocks, sole);
                    stocks.rule = "sole_company";
                }
            }
        }
        if (stocks.state != SUBJ_MENTIONS) {
            /*  No stock named: a group (관련주, 株), a [특징주] line or a
                limit move is still a move; a bare 상승 is not. */
            bool group = s_token_in(s, clause->start, tok->start, W_GROUP)
                         || s_sector_before(s->text, s->start, tok->start);
            if (!(group || (flags & W_LIMIT) || ((flags & W_MOVE) && s->feature)))
                continue;
            e.rule = group ? "group" : "no_stock";
            if (s_emit(f, s, &e))
                return KTAG_ERR_NOMEM;
            continue;
        }
        for (int i = 0; i < stocks.count; i++) {
            if (!s_is_company(s, stocks.mentions[i]))
                continue;
            e.company = (int32_t) s_mention(s, stocks.mentions[i])->entity;
            e.rule = stocks.rule;
            if (s_emit(f, s, &e))
                return KTAG_ERR_NOMEM;
        }
    }
    return 0;
}

/* ------------------------------------------------------ target price */

static int s_target_prices(ktag_events_findings_t *f, s_sentence_t *s)
{
    const char *text = s->text;
    for (size_t t = 0; t < s->token_count; t++) {
        const s_token_t *tok = &s->tokens[t];
        if (!(tok->flags & W_TARGET))
            continue;
        uint32_t limit = s->source >= 0 && s_mention(s, s->source)->start > tok->end
                             ? s_mention(s, s->source)->start : s->end;
        ktag_event_finding_t e = s_event(s, KTAG_EVENT_TARGET_PRICE, tok->start, tok->end);
        if (s->source >= 0)
            e.source = (int32_t) s_mention(s, s->source)->entity;
        for (size_t d = t + 1; d < s->token_count && s->tokens[d].start < limit
                               && s->tokens[d].start <= tok->end + 40; d++)
            if (s->tokens[d].flags & W_TP_DIR) {
                e.direction = s_directions[s->tokens[d].word->dir];
                s_widen(&e, s->tokens[d].start, s->tokens[d].end);
                break;
            }
        /*  The new price, and the old one before → or 에서. */
        s_read_amounts(s, UINT32_MAX);
        for (size_t i = 0; i < s->amount_count; i++) {
            const ktag_amount_t *a = &s->amounts[i];
            if (a->start < tok->end || a->end > limit || !s_want_price(a))
                continue;
            uint32_t after = (uint32_t) a->end;
            while (after < limit && text[after] == ' ')
                after++;
            bool arrow = s_at(text, limit, after, "→") || s_at(text, limit, after, "->")
                         || s_at(text, limit, after, "에서");
            const ktag_amount_t *next = i + 1 < s->amount_count ? &s->amounts[i + 1] : NULL;
            if (arrow && next && next->end <= limit && s_want_price(next) && next->start <= after + 8) {
                e.has_previous = true;
                e.previous = a->value;
                s_widen(&e, (uint32_t) a->start, (uint32_t) a->end);
                a = next;
            }
            s_set_amount(&e, a, KTAG_AMOUNT_KRW);
            if (!e.direction && e.has_previous)
                e.direction = s_directions[e.amount > e.previous ? D_UP : e.amount < e.previous ? D_DOWN : D_KEEP];
            break;
        }
        /*  The stock: the subject, else the company nearest before 목표가,
            else the first after a quoted broker. */
        size_t c = s_clause_of(s, tok->start);
        s_subject_t subject = s_governing(s, c);
        if (!s_link_subject(s, &subject, &e, false)) {
            int32_t near = -1;
            for (size_t m = s->m_first; m < s->m_last; m++)
                if (s_is_company(s, (int32_t) m) && !s->is_source[m] && (int32_t) m != s->source
                    && (near < 0 || s->view->mentions[m].end <= tok->start))
                    near = (int32_t) m;
            if (near >= 0 && subject.state != SUBJ_UNKNOWN && subject.state != SUBJ_SUBSIDIARY) {
                e.company = (int32_t) s_mention(s, near)->entity;
                e.rule = "stock_before_target";
            } else {
                e.rule = "no_stock";
            }
        }
        if (s_emit(f, s, &e))
            return KTAG_ERR_NOMEM;
    }
    return 0;
}

/* ---------------------------------------------------------- earnings */

/*  The token index of the measure joined to token `t` by a list joiner
    ("매출·영업익"), or `t`. */
static size_t s_joined_tail(const s_sentence_t *s, size_t t)
{
    while (t + 1 < s->token_count && (s->tokens[t + 1].flags & W_KIND)) {
        size_t j = s_joiner_at(s->text, s->end, s->tokens[t].end);
        if (!j || s->tokens[t].end + j != s->tokens[t + 1].start)
            break;
        t++;
    }
    return t;
}

static void s_link_actor(s_sentence_t *s, size_t c, ktag_event_finding_t *e)
{
    s_subject_t subject = s_governing(s, c);
    if (s_link_subject(s, &subject, e, true))
        return;
    int32_t sole = subject.state == SUBJ_NONE ? s_sole_company(s, true) : -1;
    e->company = sole >= 0 ? (int32_t) s_mention(s, sole)->entity : -1;
    e->rule = sole >= 0 ? "sole_company" : "no_company";
}

/*  True when a quotation opens between `from` and `to`: what it says is a
    statement of its own ("STO 시장 확대로 성장 기대"). */
static bool s_quote_between(const s_sentence_t *s, uint32_t from, uint32_t to)
{
    for (uint32_t p = from; p < to; p++)
        if (s_quote_at(s->text, to, p))
            return true;
    return false;
}

static int s_earnings(ktag_events_findings_t *f, s_sentence_t *s)
{
    const char *text = s->text;
    for (size_t t = 0; t < s->token_count; t++)
        s->tokens[t].used = false;
    for (size_t t = 0; t < s->token_count; t++) {
        const s_token_t *tok = &s->tokens[t];
        if (!(tok->flags & W_KIND))
            continue;
        /*  매출 비중, 매출보다: the measure is no result here. */
        if (s_at(text, s->end, tok->end, " 비중") || s_at(text, s->end, tok->end, "보다")
            || s_at(text, s->end, tok->end, "로") || s_at(text, s->end, tok->end, "으로")
            || s_at(text, s->end, tok->end, " 인식") || s_at(text, s->end, tok->end, "인식"))
            continue;
        size_t c = s_clause_of(s, tok->start);
        const s_clause_t *clause = &s->clauses[c];
        /*  Measures joined by a list joiner share what follows the last
            (영업익·순익 2배 껑충); the scope ends at the next measure or
            목표가. */
        size_t tail = s_joined_tail(s, t);
        uint32_t scope = s->end;
        for (size_t n = t + 1; n < s->token_count; n++)
            if (s->tokens[n].flags & (W_KIND | W_TARGET)) {
                if (n <= tail)
                    continue;
                scope = s->tokens[n].start;
                break;
            }
        uint32_t own_scope = scope;
        if (tail > t)
            own_scope = s->tokens[t + 1].start;
        ktag_event_finding_t e = s_event(s, KTAG_EVENT_EARNINGS, tok->start, tok->end);
        e.kind = s_kinds[tok->word->kind];
        bool fact = tok->word->loss;
        uint32_t amount_limit = own_scope < clause->end ? own_scope : clause->end;
        int a = s_amount_after(s, tok->end, 16, amount_limit, s_want_money);
        if (a < 0)
            a = s_amount_before(s, tok->start, clause->start, s_want_money);
        uint32_t from = s->tokens[tail].end;
        if (a >= 0) {
            s_set_amount(&e, &s->amounts[a], KTAG_AMOUNT_KRW);
            if (tok->word->loss && e.amount > 0)
                e.amount = -e.amount;
            fact = true;
            if (s->amounts[a].end > from)
                from = (uint32_t) s->amounts[a].end;
        }
        for (size_t d = tail + 1; d < s->token_count && s->tokens[d].start < scope; d++) {
            s_token_t *dir = &s->tokens[d];
            /*  Every word below is read within 40 bytes of `from`, and the
                tokens come by start: stop before a far one costs a scan
                of the text between (s_quote_between). */
            if (dir->start > from + 40)
                break;
            uint32_t flags = dir->flags;
            if ((flags & W_TURN) && dir->start <= from + 40 && !e.direction) {
                e.direction = s_directions[dir->word->dir];
                dir->used = true;
                s_widen(&e, dir->start, dir->end);
                fact = true;
                break;
            }
            if ((flags & W_EDIR) && !e.direction && dir->start >= from && !s_quote_between(s, from, dir->start)) {
                int pct = s_amount_before(s, dir->start, tok->end, s_want_percent);
                bool times = dir->start >= 4 && s_at(text, dir->start, dir->start - 4, "배 ");
                if (dir->start <= from + 24 || ((pct >= 0 || times) && dir->start <= from + 40)) {
                    e.direction = s_directions[dir->word->dir];
                    s_widen(&e, dir->start, dir->end);
                    fact = true;
                }
            }
            if ((flags & W_RECORD) && dir->start <= from + 16)
                fact = true;
            if ((flags & W_BEAT) && dir->start <= from + 24)
                fact = true;
        }
        /*  최대 매출, 사상 첫 매출 1조: a record before the measure. */
        for (size_t d = 0; d < t; d++)
            if ((s->tokens[d].flags & W_RECORD) && s->tokens[d].end + 16 >= tok->start
                && s->tokens[d].start >= clause->start)
                fact = true;
        if (!fact)
            continue;
        s_link_actor(s, c, &e);
        if (s_emit(f, s, &e))
            return KTAG_ERR_NOMEM;
    }
    /*  A turn no measure took stands alone (흑자 전환…매출 47%↑). */
    for (size_t t = 0; t < s->token_count; t++) {
        const s_token_t *tok = &s->tokens[t];
        if (!(tok->flags & W_TURN) || tok->used)
            continue;
        ktag_event_finding_t e = s_event(s, KTAG_EVENT_EARNINGS, tok->start, tok->end);
        e.direction = s_directions[tok->word->dir];
        s_link_actor(s, s_clause_of(s, tok->start), &e);
        if (s_emit(f, s, &e))
            return KTAG_ERR_NOMEM;
    }
    return 0;
}

/* ---------------------------------------------------------- contract */

static int s_contracts(ktag_events_findings_t *f, s_sentence_t *s)
{
    for (size_t t = 0; t < s->token_count; t++) {
        const s_token_t *tok = &s->tokens[t];
        uint32_t flags = tok->flags;
        if (!(flags & (W_CONTRACT | W_GENERIC)))
            continue;
        size_t c = s_clause_of(s, tok->start);
        const s_clause_t *clause = &s->clauses[c];
        /*  수주 증가 전망, 공급계약 해지: no deal made. */
        uint32_t window = tok->end + 21 < clause->end ? tok->end + 21 : clause->end;
        bool denied = false;
        for (size_t d = t + 1; d < s->token_count && s->tokens[d].start < window; d++)
            denied |= (s->tokens[d].flags & W_NOT_DEAL) && s->tokens[d].end <= window
                      && !s_quote_between(s, tok->end, s->tokens[d].start);   /* a quote says its own */
        if (denied)
            continue;
        if ((flags & W_GENERIC)
            && s_token_in(s, tok->start > 12 ? tok->start - 12 : clause->start, tok->start, W_NOT_GENERIC))
            continue;
        ktag_event_finding_t e = s_event(s, KTAG_EVENT_CONTRACT, tok->start, tok->end);
        int a = s_amount_before(s, tok->start, clause->start, s_want_money);
        if (a < 0) {
            /*  "511억원 규모 … 공급계약": any amount of the clause before it
                (s_amount_before read them). */
            for (size_t i = s->amount_count; i-- > 0;)
                if (s->amounts[i].end <= tok->start && s->amounts[i].start >= clause->start
                    && s_money(&s->amounts[i])) {
                    a = (int) i;
                    break;
                }
        }
        if (a < 0)
            a = s_amount_after(s, tok->end, 6, clause->end, s_want_money);
        if (a >= 0)
            s_set_amount(&e, &s->amounts[a], KTAG_AMOUNT_KRW);

        s_subject_t subject = s_governing(s, c);
        if (s_token_in(s, clause->start, tok->start, W_SUBSID)) {
            e.rule = "subsidiary";
        } else if (!s_link_subject(s, &subject, &e, false)) {
            int32_t sole = subject.state == SUBJ_NONE ? s_sole_company(s, false) : -1;
            if (sole >= 0) {
                e.company = (int32_t) s_mention(s, sole)->entity;
                e.rule = "sole_company";
            } else {
                e.rule = subject.state == SUBJ_SUBSIDIARY ? "subsidiary" : "no_company";
            }
        }
        /*  The other party: an entity of the clause before the deal word
            (GM과 …, 셀리버리에 …, 농협 IC카드 공급계약). */
        for (size_t m = s->m_first; m < s->m_last; m++) {
            const ktag_mention_t *mention = &s->view->mentions[m];
            if (mention->start < clause->start || mention->end > tok->start || s->is_source[m]
                || !(s_is_company(s, (int32_t) m) || s_is_org(s, (int32_t) m))
                || (int32_t) mention->entity == e.company)
                continue;
            bool is_subject = false;
            for (int i = 0; i < subject.count; i++)
                if (subject.mentions[i] == (int32_t) m)
                    is_subject = true;
            if (!is_subject)
                e.counterparty = (int32_t) mention->entity;
        }
        if (s_emit(f, s, &e))
            return KTAG_ERR_NOMEM;
    }
    return 0;
}

/* ---------------------------------------------------------- sentences */

/*  Which bytes the sentence pass looks at: line breaks, punctuation,
    digits, signs and '$' (all below '@'). */
static const uint8_t s_byte_role[256] = {
    ['\n'] = 1, ['\r'] = 1, ['.'] = 1, ['!'] = 1, ['?'] = 1, [','] = 1, [';'] = 1, ['$'] = 1,
    ['-'] = 1, ['+'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
};


/*  A bit per byte of text[at, min(at + 16, len)): set for the ASCII bytes
    below '@' other than the space (the only ones the sentence pass reads). */
static uint32_t s_wanted_bytes(const uint8_t *text, size_t at, size_t len)
{
#ifdef __SSE2__
    if (len >= 16) {
        /*  The last block of the text overlaps the one before it. */
        size_t from = at + 16 <= len ? at : len - 16;
        __m128i x = _mm_loadu_si128((const __m128i *) (text + from));
        __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x3F)), x);
        __m128i space = _mm_cmpeq_epi8(x, _mm_set1_epi8(' '));
        return (uint32_t) _mm_movemask_epi8(_mm_andnot_si128(space, low)) >> (at - from);
    }
#endif
    uint32_t wanted = 0;
    for (size_t i = at; i < len && i < at + 16; i++)
        wanted |= (uint32_t) (text[i] < 0x40 && text[i] != ' ') << (i - at);
    return wanted;
}

/*  True when the '.', '!' or '?' at `p` ends a sentence: a space, a line
    break or the end follows, and it is no decimal point and no part of
    "…" turned into "...". */
static bool s_stop_at(const char *text, size_t len, uint32_t start, uint32_t p)
{
    bool dots = (p + 1 < len && text[p + 1] == '.') || (p > start && text[p - 1] == '.');
    bool end = p + 1 >= len || text[p + 1] == ' ' || text[p + 1] == '\n' || text[p + 1] == '\t'
               || text[p + 1] == '\r';
    return end && !dots;
}

static int s_add_clause(s_scratch_t *scratch, s_sentence_t *s, uint32_t end, uint32_t next, bool ellipsis)
{
    if (KTAG_RESERVE(scratch->clauses, scratch->clause_cap, s->clause_count + 1))
        return KTAG_ERR_NOMEM;
    scratch->clauses[s->clause_count - 1].end = end;
    s_clause_t *clause = &scratch->clauses[s->clause_count++];
    clause->start = next;
    clause->after_ellipsis = ellipsis;
    clause->known = 0;
    return 0;
}

/*  Note that an amount may start at `at` (kept in scratch->amounts[].start). */
static int s_add_candidate(s_scratch_t *scratch, size_t *candidates, uint32_t at)
{
    if (KTAG_RESERVE(scratch->amounts, scratch->amount_cap, *candidates + 1))
        return KTAG_ERR_NOMEM;
    scratch->amounts[(*candidates)++].start = at;
    return 0;
}

/*  Read the sentence that starts at s->start of a field of `len` bytes, in
    one pass: its end (set in s->end; the next sentence starts at *next),
    its cue words, its clauses and where its amounts may start; then, when
    it holds a trigger, its events.  When a sentence follows, this one's
    subject is read for it (it may inherit it). */
static int s_sentence(ktag_events_findings_t *f, s_scratch_t *scratch, s_sentence_t *s, size_t len,
                      uint32_t *next_start)
{
    const char *text = s->text;
    const uint8_t *bytes = (const uint8_t *) text;
    s->token_count = 0;
    s->clause_count = 0;
    s->first_event = f->event_count;
    s->flags = 0;
    size_t candidates = 0;    /* amount starts, kept in scratch->amounts[].start */
    if (KTAG_RESERVE(scratch->clauses, scratch->clause_cap, 1))
        return KTAG_ERR_NOMEM;
    scratch->clauses[0].start = s->start;
    scratch->clauses[0].after_ellipsis = true;
    scratch->clauses[0].known = 0;
    s->clause_count = 1;
    uint32_t end = (uint32_t) len;
    uint32_t resume = s->start;   /* bytes before it were read with an earlier one */
    bool stop = false;
    for (uint32_t block = s->start; block < len && !stop; block += 16) {
        /*  The bulk of the text (Hangul, letters, spaces) is stepped over
            16 bytes at a time: the cue words come from the matcher, and
            only ASCII below '@' other than the space matters here. */
        uint32_t wanted = s_wanted_bytes(bytes, block, len);
        while (wanted) {
            uint32_t p = block + (uint32_t) __builtin_ctz(wanted);
            wanted &= wanted - 1;
            uint8_t b = bytes[p];
            if (p < resume || !s_byte_role[b])
                continue;
            bool digit_before = p > s->start && bytes[p - 1] >= '0' && bytes[p - 1] <= '9';
            if (b >= '0' && b <= '9') {
                if (!digit_before && s_add_candidate(scratch, &candidates, p))
                    return KTAG_ERR_NOMEM;
                continue;
            }
            if (b == '\n' || b == '\r') {
                end = p;
                stop = true;
                break;
            }
            if ((b == '.' || b == '!' || b == '?') && s_stop_at(text, len, s->start, p)) {
                end = p + 1;
                stop = true;
                break;
            }
            if (b == '.' && p + 1 < len && text[p + 1] == '.') {
                uint32_t after = p + 1;
                while (after < len && text[after] == '.')
                    after++;
                if (s_add_clause(scratch, s, p, after, true))
                    return KTAG_ERR_NOMEM;
                resume = after;
                continue;
            }
            bool digit_after = p + 1 < len && bytes[p + 1] >= '0' && bytes[p + 1] <= '9';
            if ((b == ',' || b == ';') && !(digit_before && digit_after)) {
                if (s_add_clause(scratch, s, p, p + 1, false))
                    return KTAG_ERR_NOMEM;
                continue;
            }
            if (b == '$' || ((b == '-' || b == '+') && digit_after)) {
                /*  US$: the amount starts at the U. */
                bool us = b == '$' && p >= s->start + 2 && (bytes[p - 2] | 0x20) == 'u'
                          && (bytes[p - 1] | 0x20) == 's';
                if (s_add_candidate(scratch, &candidates, us ? p - 2 : p))
                    return KTAG_ERR_NOMEM;
            }
        }
    }
    *next_start = end < len && (bytes[end] == '\n' || bytes[end] == '\r') ? end + 1 : end;
    /*  Trailing spaces belong to no clause. */
    while (end > s->start && (bytes[end - 1] == ' ' || bytes[end - 1] == '\t'))
        end--;
    s->end = end;
    scratch->clauses[s->clause_count - 1].end = end;
    /*  Its cue words: the matcher's hits, longest at each start, none
        inside another (a blocking word like 영업이익률 hides what it
        holds and is no token itself). */
    const ktag_field_view_t *view = s->view;
    uint32_t covered = s->start;
    while (s->w_next < view->cue_word_count && view->cue_words[s->w_next].start < s->start)
        s->w_next++;
    for (; s->w_next < view->cue_word_count && view->cue_words[s->w_next].start < end; s->w_next++) {
        const ktag_term_hit_t *hit = &view->cue_words[s->w_next];
        if (hit->start < covered || hit->end > end || hit->term >= S_WORD_COUNT)
            continue;
        covered = hit->end;
        const s_word_t *w = &s_words[hit->term];
        if (w->flags & W_BLOCK)
            continue;
        if (KTAG_RESERVE(scratch->tokens, scratch->token_cap, s->token_count + 1))
            return KTAG_ERR_NOMEM;
        scratch->tokens[s->token_count++] = (s_token_t) { hit->start, hit->end, w, w->flags, false };
        s->flags |= w->flags;
    }
    s->product = (s->flags & W_PRODUCT) != 0;
    s->feature = (s->flags & W_FEATURE) != 0;
    bool triggers = (s->flags & S_TRIGGERS) != 0;
    s->tokens = scratch->tokens;
    s->clauses = scratch->clauses;
    /*  The sentence's mentions: a funding mention is a trigger too. */
    while (s->m_first < view->mention_count && view->mentions[s->m_first].end <= s->start)
        s->m_first++;
    s->m_last = s->m_first;
    while (s->m_last < view->mention_count && view->mentions[s->m_last].start < s->end)
        s->m_last++;
    bool funding = false;
    for (size_t m = s->m_first; m < s->m_last && !funding; m++)
        funding = view->mentions[m].entry->type == KTAG_TYPE_FUNDING;
    triggers |= funding;
    /*  Most headlines state no event: stop here, unless the next sentence
        may need this one's subject. */
    if (!triggers && *next_start >= len)
        return 0;
    /*  The rules look at the other words and mentions of the sentence for
        each trigger: a sentence holding more than S_MAX_ITEMS of them (no
        sentence of prose does; "삼성전자 유상증자 급락 " × 10,000 does) is
        not read, so that the cost stays linear in the text. */
    if (s->token_count + (s->m_last - s->m_first) > S_MAX_ITEMS) {
        s->subject = (s_subject_t) { 0 };
        s->subject_known = true;
        return 0;
    }
    /*  Which mention is the broker of a "…-KB증권" tail. */
    s->source = -1;
    for (size_t m = s->m_first; m < s->m_last; m++) {
        const ktag_mention_t *mention = &view->mentions[m];
        s->is_source[m] = 0;
        uint32_t at = mention->start;
        if (at > s->start && text[at - 1] == ' ')
            at--;
        bool dash = text[mention->start] == '-' || (at > s->start && text[at - 1] == '-')
                    || (at >= 3 && s_at(text, s->end, at - 3, "–")) || (at >= 3 && s_at(text, s->end, at - 3, "—"));
        if (!dash || !s_is_company(s, (int32_t) m))
            continue;
        /*  After the broker only 證, 증권, brackets, quotes or the end. */
        uint32_t p = mention->end;
        for (;;) {
            size_t q = 0;
            if (p < s->end && (text[p] == ' ' || text[p] == ')' || text[p] == ']' || text[p] == '.'))
                p++;
            else if ((q = s_quote_at(text, s->end, p)))
                p += (uint32_t) q;
            else if (s_at(text, s->end, p, "證"))
                p += 3;
            else if (s_at(text, s->end, p, "증권"))
                p += 6;
            else
                break;
        }
        bool tail = p >= s->end || text[p] == '\n' || text[p] == '(' || text[p] == '[';
        if (tail && s_is_broker(s, (int32_t) m)) {
            s->is_source[m] = 1;
            s->source = (int32_t) m;
        }
    }
    /*  A broker quoted at the start: 신한금투 "…목표가↑" (the cheap tests
        first: most sentences hold no 목표가). */
    if (s->source < 0 && s->m_first < s->m_last && (s->flags & W_TARGET)) {
        int32_t m = (int32_t) s->m_first;
        uint32_t end = s_mention(s, m)->end;
        if (end + 1 < s->end && text[end] == ' ' && s_quote_at(text, s->end, end + 1)) {
            uint32_t lead = s->start;
            while (lead < s->end && (text[lead] == ' ' || s_quote_at(text, s->end, lead)))
                lead += text[lead] == ' ' ? 1 : (uint32_t) s_quote_at(text, s->end, lead);
            if (s_mention(s, m)->start == lead && s_token_in(s, end, s->end, W_TARGET) && s_is_broker(s, m)) {
                s->is_source[m] = 1;
                s->source = m;
            }
        }
    }
    s->subject_known = false;
    if (!triggers) {
        s_subject(s);   /* for the next sentence */
        return 0;
    }
    /*  Amounts are read where the pass saw one may start, when a rule
        first looks near them (s_read_amounts). */
    s->amounts = scratch->amounts;
    s->amount_count = s->next_candidate = 0;
    s->candidate_count = candidates;
    s->parsed_to = s->start;

    /*  Each rule runs only when its trigger words are there. */
    int rc = 0;
    if (funding) {
        rc = s_funding(f, s);
        if (!rc)
            s_drop_issuerless(f, s);
    }
    if (!rc && (s->flags & (W_MOVE | W_WEAK | W_LIMIT | W_ARROW)))
        rc = s_price_moves(f, s);
    if (!rc && (s->flags & W_TARGET))
        rc = s_target_prices(f, s);
    if (!rc && (s->flags & (W_KIND | W_TURN)))
        rc = s_earnings(f, s);
    if (!rc && (s->flags & (W_CONTRACT | W_GENERIC)))
        rc = s_contracts(f, s);
    if (*next_start < len)
        s_subject(s);   /* the next sentence may inherit it */
    return rc;
}

static int s_compare_events(const void *a, const void *b)
{
    const ktag_event_finding_t *x = a, *y = b;
    if (x->field != y->field)
        return x->field == KTAG_FIELD_TITLE ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->type != y->type)
        return (int) x->type - (int) y->type;
    if (x->company != y->company)
        return x->company < y->company ? -1 : 1;   /* a list in text order */
    return x->kind && y->kind ? strcmp(x->kind, y->kind) : (x->kind != NULL) - (y->kind != NULL);
}

/*  Read the sentences of a field that holds a trigger, and order its
    events.  Kept out of line: most documents stop at the gate of
    ktag_events_analyze() and never enter its code. */
__attribute__((noinline)) static int s_field(const ktag_field_view_t *view, ktag_events_findings_t *findings,
                                             s_scratch_t *scratch)
{
    if (KTAG_RESERVE(scratch->is_source, scratch->source_cap, view->mention_count + 1))
        return KTAG_ERR_NOMEM;
    /*  Only what s_sentence() reads before it writes is set: zeroing the
        whole struct per field was a measurable part of the cost. */
    s_sentence_t s;
    s.view = view;
    s.text = view->norm;
    s.is_source = scratch->is_source;
    s.m_first = s.w_next = 0;
    s.subject.state = s.previous.state = SUBJ_NONE;
    size_t first_event = findings->event_count;
    for (uint32_t at = 0; at < view->norm_len;) {
        s.start = at;
        uint32_t next;
        int rc = s_sentence(findings, scratch, &s, view->norm_len, &next);
        if (rc)
            return rc;
        /*  The next sentence may inherit this one's own subject (a blank
            line changes nothing). */
        if (s.end > s.start)
            s.previous = s.subject.state == SUBJ_MENTIONS ? s.subject : (s_subject_t) { 0 };
        at = next > at ? next : at + 1;
    }
    /*  Events come out by type within a sentence: sort by start, and spare
        the call when they already are. */
    size_t n = findings->event_count - first_event;
    if (n < 2)
        return 0;   /* nothing to order (and events may still be NULL) */
    ktag_event_finding_t *events = findings->events + first_event;
    size_t sorted = 1;
    while (sorted < n && s_compare_events(&events[sorted - 1], &events[sorted]) <= 0)
        sorted++;
    if (sorted < n)
        qsort(events, n, sizeof *events, s_compare_events);
    return 0;
}

/*  True when the only triggers of a field are move words (no limit, no
    other trigger, no funding term) and nothing they could be said of: a
    move is an event only for a stock (a company the field names, maybe in
    an earlier sentence), a group (관련주, a sector word ending in 주
    before the word) or a [특징주] line, and most such headlines are about
    an index ("코스피, 1%대 상승 출발").  Each condition asks no more than
    s_price_moves() does, over the whole field instead of a sentence or a
    clause, so a field dropped here states no event. */
static bool s_moves_without_stock(const ktag_field_view_t *view)
{
    const uint32_t moves = W_MOVE | W_WEAK | W_ARROW;
    if (view->funding_count)
        return false;
    uint32_t flags = 0;
    for (size_t w = 0; w < view->cue_word_count; w++)
        flags |= view->cue_words[w].term < S_WORD_COUNT ? s_words[view->cue_words[w].term].flags : 0;
    if ((flags & S_TRIGGERS & ~moves) || (flags & (W_FEATURE | W_GROUP)))
        return false;
    for (size_t m = 0; m < view->mention_count; m++)
        if (view->mentions[m].entry->type == KTAG_TYPE_COMPANY)
            return false;
    for (size_t w = 0; w < view->cue_word_count; w++)
        if (view->cue_words[w].term < S_WORD_COUNT && (s_words[view->cue_words[w].term].flags & moves)
            && s_sector_before(view->norm, 0, view->cue_words[w].start))
            return false;
    return true;
}

int ktag_events_analyze(const ktag_field_view_t *fields, size_t field_count, ktag_events_findings_t *findings)
{
    findings->event_count = 0;
    if (!findings->scratch) {
        assert(s_ordered());
        findings->scratch = calloc(1, sizeof(s_scratch_t));
        if (!findings->scratch)
            return KTAG_ERR_NOMEM;
    }
    for (size_t fi = 0; fi < field_count; fi++) {
        const ktag_field_view_t *view = &fields[fi];
        /*  A field with no trigger states no event in any sentence. */
        if (!ktag_events_may_state(view) || s_moves_without_stock(view))
            continue;
        int rc = s_field(view, findings, findings->scratch);
        if (rc)
            return rc;
    }
    return 0;
}

void ktag_events_findings_release(ktag_events_findings_t *findings)
{
    free(findings->events);
    s_scratch_t *scratch = findings->scratch;
    if (scratch) {
        free(scratch->tokens);
        free(scratch->amounts);
        free(scratch->clauses);
        free(scratch->is_source);
        free(scratch);
    }
    *findings = (ktag_events_findings_t) { 0 };
}

static const char *const s_type_names[] = { "funding", "price_move", "target_price", "earnings", "contract" };

const char *ktag_event_type_name(ktag_event_type_t type)
{
    return (unsigned) type < KTAG_EVENT_TYPE_COUNT ? s_type_names[type] : NULL;
}
