/*  guess.c - companies the lexicon does not know, found by structure (the
    rules and their word lists are described in guess.h).  Precision comes
    first: every rule needs a structural cue, and names without a corporate
    ending need the strongest cues. */
#include "guess.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/*  Words that end a candidate without being part of a name: particles. */
static const char *const s_josa[] = { "에서", "은", "는", "을", "를", "의", "와", "과", "가", NULL };

/*  Words that follow 자회사 / 와 / a headline's opening but name no
    company (whole word, or the word plus anything when marked '*'). */
static const char *const s_common[] = {
    "설립*", "편입*", "매각*", "지분*", "상장*", "합병*", "인수*", "통해", "대표*", "주식*", "전환*",
    "분할*", "신설*", "출범*", "지원*", "투자*", "실적*", "배당*", "유상증자*", "매출*", "경영*",
    "사장*", "임원*", "직원*", "관계자*", "형태*", "구조*", "대상*", "포함*", "가치*", "주주*",
    "주가*", "청산*", "정리*", "부실*", "보증*", "자금*", "차입*", "대여*", "소속*", "두곳*",
    "세곳*", "여러*", "일부*", "모두*", "각각*", "자회사*", "관계사*", "계열사*", "손자회사*",
    "기업*", "업체*", "회사*", "정부*", "당국*", "국내*", "해외*", "글로벌기업*", "스타트업*",
    "현지*", "미국*", "중국*", "일본*", "베트남*", "인도네시아*", "사우디*", "폴란드*", "캐나다*",
    "러시아*", "우크라이나*", "이스라엘*", "말레이시아*", "싱가포르*", "필리핀*", "카자흐스탄*",
    "우즈베키스탄*", "아르헨티나*", "브라질*", "멕시코*", "프랑스*", "이탈리아*", "네덜란드*",
    "스페인*", "호주*", "영국*", "독일*", "대만*", "태국*", "몽골*", "튀르키예*", "이집트*",
    "아랍에미리트*", "오스트레일리아*", "뉴질랜드*", "유럽*", "아시아*", "아프리카*", "중동*",
    "북미*", "남미*", "한국*", "서울*", "부산*", "인천*", "대구*", "광주*", "대전*", "울산*",
    "세종*", "경기*", "강원*", "충북*", "충남*", "전북*", "전남*", "경북*", "경남*", "제주*",
    "이번*", "올해*", "내년*", "작년*", "지난해*", "최근*", "본격*", "신규*", "추가*", "공동*",
    "최대*", "업계*", "인적분할*", "물적분할*", "코로나*", "백신*", "진단키트*", "시장*", "고객*", "협력*", "파트너*", "이들*", "양사*", "기존*",
    "MOU", "CEO", "CFO", "CTO", "IPO", "ETF", "ESG", "M&A", "AI", "IT", "PF",
    NULL
};

/*  Endings of places and institutions: such a NAME is no company. */
static const char *const s_not_company_end[] = {
    "병원", "대학", "대학교", "대", "정부", "공사", "공단", "재단", "협회", "연구원", "연구소", "센터",
    "청", "부", "처", "위원회", "시", "군", "구", "도", "학회", "조합", "진흥원", "학교", "기관",
    "단체", "국가", "사", "기업", "업체", "팀", "측", "씨", "님", "국", "주", "권", "들", "회", "학원",
    "포럼", "얼라이언스", "연합", "에", "에서", "으로", NULL
};

/*  Corporate endings: a NAME that has one (and something before it) looks
    like a company. */
static const char *const s_company_end[] = {
    "테크", "텍", "테크놀로지", "테크놀로지스", "바이오", "바이오텍", "제약", "파마", "팜", "에너지",
    "홀딩스", "파트너스", "자산운용", "운용", "은행", "증권", "캐피탈", "인베스트먼트", "글로벌",
    "솔루션", "솔루션즈", "시스템", "시스템즈", "소프트", "네트웍스", "네트워크", "전자", "화학",
    "산업", "건설", "종건", "물산", "상사", "모터스", "로보틱스", "랩", "랩스", "컴퍼니", "코리아",
    "엔터", "엔터테인먼트", "미디어", "게임즈", "메디칼", "메디컬", "헬스케어", "머티리얼즈", "소재",
    "반도체", "디스플레이", "모빌리티", "에어로스페이스", "벤처스", "인터내셔널", "케미칼",
    "엔지니어링", "이노베이션", "일렉트로닉스", "푸드", "식품", "코퍼레이션", "생명", "보험",
    "저축은행", "카드", "리츠", "에셋", "신탁", "인베스트", "사이언스", "네트웍스", "통신", "해운",
    "항공", "중공업", "자동차", "정밀", "전기", "제지", "철강", "ENG", "Inc", "Corp", NULL
};

/*  Words a partner NAME+와/과 must be followed by, in the same clause. */
static const char *const s_deal[] = {
    "업무협약", "MOU", "공급 계약", "공급계약", "파트너십", "사업협력", "사업 협력", "합작", "인수",
    "합병", "제휴", "공동개발", "공동 개발", NULL
};

/*  Corporate events the rest of a headline may name. */
static const char *const s_event[] = {
    "공급 계약", "공급계약", "업무협약", "MOU", "파트너십", "사업협력", "유상증자", "무상증자",
    "상장", "수주", "인수", "합병", "제휴", "합작", "특허", "임상", "투자 유치", "투자유치",
    "계약 체결", NULL
};

static const char *const s_subsidiary[] = { "손자회사", "자회사", "관계사", "계열사", NULL };

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

/*  @returns the bytes of the UTF-8 character whose lead byte is `b`. */
static inline size_t s_char_len(uint8_t b)
{
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
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

static bool s_ends_with(const char *text, size_t start, size_t end, const char *word)
{
    size_t n = strlen(word);
    return end - start >= n && memcmp(text + end - n, word, n) == 0;
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

/*  @returns whether bytes [start, end) hold `word` (memmem for a Hangul
    word, which has no case). */
static bool s_contains(const char *text, size_t start, size_t end, const char *word)
{
    size_t n = strlen(word);
    if ((uint8_t) word[0] >= 0x80)
        return end - start >= n && memmem(text + start, end - start, word, n) != NULL;
    for (size_t i = start; i + n <= end; i++)
        if (s_equal(text + i, word, n))
            return true;
    return false;
}

static bool s_contains_any(const char *text, size_t start, size_t end, const char *const *words)
{
    for (; *words; words++)
        if (s_contains(text, start, end, *words))
            return true;
    return false;
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

/*  @returns whether `name` is one of `words` (a word marked '*' also
    matches as a prefix). */
static bool s_in_list(const char *text, const s_name_t *name, const char *const *words)
{
    size_t len = name->end - name->start;
    for (; *words; words++) {
        size_t n = strlen(*words);
        bool prefix = (*words)[n - 1] == '*';
        if (prefix)
            n--;
        if ((prefix ? len >= n : len == n) && s_equal(text + name->start, *words, n))
            return true;
    }
    return false;
}

static bool s_has_end(const char *text, const s_name_t *name, const char *const *ends, bool need_more)
{
    for (; *ends; ends++)
        if (s_ends_with(text, name->start, name->end, *ends)
            && (!need_more || name->end - name->start > strlen(*ends)))
            return true;
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

/*  @returns whether no resolved mention overlaps `name` (the cheap check,
    made first: most structures hold a name the lexicon knows). */
static bool s_free(const s_name_t *name, const ktag_candidate_t *known, size_t known_count)
{
    for (size_t k = 0; k < known_count; k++)
        if (known[k].start < name->end && name->start < known[k].end)
            return false;
    return true;
}

/*  The checks every NAME passes: its size, its first character, no
    overlap with a resolved mention, not a lexicon form, not a common word,
    not a place or an institution. */
static bool s_plausible(const char *text, const s_name_t *name, const ktag_lexicon_t *lex,
                        const ktag_candidate_t *known, size_t known_count, const ktag_match_vec_t *matches)
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
    if (!s_free(name, known, known_count))
        return false;
    for (size_t m = 0; m < matches->count; m++) {
        const ktag_match_t *match = &matches->items[m];
        const ktag_pattern_t *pattern = &lex->patterns[match->pattern];
        if (pattern->entry >= 0 && match->end == name->end && match->end - pattern->len == name->start)
            return false;
    }
    if (s_in_list(text, name, s_common))
        return false;
    return !s_has_end(text, name, s_not_company_end, false) || s_company_shape(text, name);
}

/*  Strip a trailing particle from `name` when what is left is still a
    name of two syllables or more. */
static void s_strip_josa(const char *text, s_name_t *name)
{
    for (const char *const *j = s_josa; *j; j++)
        if (s_ends_with(text, name->start, name->end, *j) && name->end - name->start > strlen(*j) + 3) {
            *name = s_measure(text, name->start, name->end - strlen(*j));
            return;
        }
}

/* ------------------------------------------------ entries */

void ktag_guess_reset(ktag_guess_t *self)
{
    self->entry_count = 0;
    self->hit_count = 0;
}

/*  @returns the entry of company text[start, end), made on first use in
    the document, or NULL when out of memory.  Its id is "x:" + the name,
    a Latin name lowercased (as the lexicon's x: slugs are); its name is the
    text as written.  Both live in one buffer: id, NUL, name, NUL. */
static const ktag_entry_t *s_entry(ktag_guess_t *self, const char *text, size_t start, size_t end)
{
    size_t n = end - start;
    for (size_t e = 0; e < self->entry_count; e++) {
        const char *name = self->entries[e]->entry.name;
        if (strlen(name) == n && memcmp(name, text + start, n) == 0)
            return &self->entries[e]->entry;
    }
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
    slot->entry.type = KTAG_TYPE_COMPANY;
    slot->entry.attrs = NULL;
    slot->entry.attr_count = 0;
    self->entry_count++;
    return &slot->entry;
}

static int s_add(ktag_guess_t *self, const char *text, const s_name_t *name, const char *rule)
{
    for (size_t h = 0; h < self->hit_count; h++)
        if (self->hits[h].start < name->end && name->start < self->hits[h].end)
            return 0;
    const ktag_entry_t *entry = s_entry(self, text, name->start, name->end);
    if (!entry || KTAG_RESERVE(self->hits, self->hit_cap, self->hit_count + 1))
        return KTAG_ERR_NOMEM;
    size_t at = self->hit_count;
    while (at > 0 && self->hits[at - 1].start > name->start) {
        self->hits[at] = self->hits[at - 1];
        at--;
    }
    self->hits[at] = (ktag_guess_hit_t) { (uint32_t) name->start, (uint32_t) name->end, entry, rule };
    self->hit_count++;
    return 0;
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
static bool s_after_mention(const s_name_t *name, const ktag_candidate_t *known, size_t known_count)
{
    for (size_t k = 0; k < known_count; k++)
        if (known[k].end + 1 == name->start)
            return true;
    return false;
}

/*  @returns whether a subsidiary cue and one space end at byte `start`. */
static bool s_after_subsidiary(const char *text, size_t start)
{
    /* every cue ends in 사 (U+C0AC, bytes EC 82 AC) */
    if (start < 4 || text[start - 1] != ' ' || memcmp(text + start - 4, "\xEC\x82\xAC", 3) != 0)
        return false;
    for (const char *const *cue = s_subsidiary; *cue; cue++)
        if (s_ends_with(text, 0, start - 1, *cue))
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

/*  A name guessed once in the document is a mention wherever it stands
    again as a word of its own, bare or with a particle. */
static int s_repeats(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                     const ktag_candidate_t *known, size_t known_count)
{
    for (size_t i = 0; i < len;) {
        if (!s_name_char(text, i, len)) {
            i += s_char_len((uint8_t) text[i]);
            continue;
        }
        size_t start = i;
        i = s_run_end(text, i, len);
        for (size_t e = 0; e < self->entry_count; e++) {
            const char *name = self->entries[e]->entry.name;
            size_t name_len = strlen(name);
            if (name_len > i - start || memcmp(text + start, name, name_len) != 0
                || (start + name_len < i && !s_is_josa(lex, text, start + name_len, i)))
                continue;
            s_name_t mention = s_measure(text, start, start + name_len);
            bool clear = true;
            for (size_t k = 0; k < known_count; k++)
                clear = clear && !(known[k].start < mention.end && mention.start < known[k].end);
            if (clear && s_add(self, text, &mention, "repeat"))
                return KTAG_ERR_NOMEM;
            break;
        }
    }
    return 0;
}

int ktag_guess_field(ktag_guess_t *self, const ktag_lexicon_t *lex, const char *text, size_t len,
                     const ktag_candidate_t *known, size_t known_count, const ktag_match_vec_t *matches)
{
    self->hit_count = 0;
    bool partner = false;
    s_name_t opening = { 0 };
    bool has_opening = false;
    size_t headline = s_headline_start(text, len);

    for (size_t i = 0; i < len;) {
        if (!s_name_char(text, i, len)) {
            i += s_char_len((uint8_t) text[i]);
            continue;
        }
        size_t start = i;
        i = s_run_end(text, i, len);
        size_t n;
        s_name_t run = s_measure(text, start, i);

        if (s_after_subsidiary(text, start)) {
            /* Followed by punctuation the run is the subject named by the
               cue ("자회사 아르떼케이, …"); followed by more words it may
               be a product or a topic ("자회사 고형암 신약"), so then it
               needs a corporate ending. */
            s_name_t name = run;
            s_strip_josa(text, &name);
            bool closed = name.end == run.end && (i == len || s_closes(text, i));
            if ((closed ? name.syllables >= 3 || name.latin >= 2 : s_company_shape(text, &name))
                && s_plausible(text, &name, lex, known, known_count, matches)
                && s_add(self, text, &name, "subsidiary"))
                return KTAG_ERR_NOMEM;
            continue;
        }
        /* NAME + 와/과, the particle agreeing with NAME's last syllable. */
        uint32_t last = s_decode(text, s_prev(text, i), &n);
        int want = last == 0xC640 /* 와 */ ? 0 : last == 0xACFC /* 과 */ ? 1 : -1;
        if (want >= 0 && i < len && text[i] == ' ') {
            s_name_t name = s_measure(text, start, i - 3);
            int batchim = s_batchim(text, name.start, name.end);
            if ((batchim < 0 || batchim == want) && s_free(&name, known, known_count)
                && (name.syllables >= 4 || (!name.syllables && name.latin >= 4) || s_company_shape(text, &name))
                && s_contains_any(text, i, s_clause_end(text, i, len), s_deal)
                && !s_after_mention(&name, known, known_count)
                && s_plausible(text, &name, lex, known, known_count, matches)) {
                if (s_add(self, text, &name, "partner"))
                    return KTAG_ERR_NOMEM;
                partner = true;
            }
            continue;
        }
        if (start == headline && i < len && text[i] == ',') {
            opening = run;
            has_opening = true;
        }
    }
    /* The headline rule, once the partners are known. */
    if (has_opening && s_free(&opening, known, known_count) && (partner || s_company_shape(text, &opening))
        && s_contains_any(text, opening.end, len, s_event)
        && s_plausible(text, &opening, lex, known, known_count, matches)
        && s_add(self, text, &opening, "headline"))
        return KTAG_ERR_NOMEM;
    return self->entry_count ? s_repeats(self, lex, text, len, known, known_count) : 0;
}

void ktag_guess_release(ktag_guess_t *self)
{
    for (size_t e = 0; e < self->entry_alloc; e++) {
        free(self->entries[e]->entry.id);
        free(self->entries[e]);
    }
    free(self->entries);
    free(self->hits);
    *self = (ktag_guess_t) { 0 };
}
