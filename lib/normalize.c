/*  normalize.c - NFKC + case folding with an offset map, and character classes. */
#include "normalize.h"

#include <pthread.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util.h"

static const UNormalizer2 *s_nfkc_cf;
static const UNormalizer2 *s_nfc;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

/*  A segment (a character and the marks that combine with it) longer than
    this is refused: ICU's capacities are int32_t, and NFKC may turn one
    UTF-16 unit into 18. */
#define S_MAX_SEGMENT ((size_t) 1 << 26)

/*  Two bits per BMP code point, computed once: S_STABLE when NFKC +
    case folding leave it as it is (it is not decomposable and does not
    change when NFKC-casefolded), S_BOUNDARY when normalization has a
    boundary before it (it never combines with what precedes). */
enum { S_STABLE = 1, S_BOUNDARY = 2 };
static uint8_t s_bmp[0x10000 / 4];

static inline unsigned s_bmp_bits(UChar32 cp)
{
    return (s_bmp[cp >> 2] >> ((cp & 3) * 2)) & 3;
}

static void s_init_normalizers(void)
{
    UErrorCode status = U_ZERO_ERROR;
    s_nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
    if (U_FAILURE(status))
        s_nfkc_cf = NULL;
    status = U_ZERO_ERROR;
    s_nfc = unorm2_getNFCInstance(&status);
    if (U_FAILURE(status))
        s_nfc = NULL;
    if (!s_nfkc_cf)
        return;
    for (UChar32 cp = 0; cp < 0x10000; cp++) {
        unsigned bits = 0;
        if (U_IS_SURROGATE(cp))
            continue;
        if (!u_hasBinaryProperty(cp, UCHAR_CHANGES_WHEN_NFKC_CASEFOLDED)
            && u_getIntPropertyValue(cp, UCHAR_NFD_QUICK_CHECK) == UNORM_YES)
            bits |= S_STABLE;
        if (unorm2_hasBoundaryBefore(s_nfkc_cf, cp))
            bits |= S_BOUNDARY;
        s_bmp[cp >> 2] |= (uint8_t) (bits << ((cp & 3) * 2));
    }
}

static inline bool s_is_hangul_syllable(UChar32 cp)
{
    return cp >= 0xAC00 && cp <= 0xD7A3;
}

/*  @returns the precomposed Hangul syllable whose well-formed UTF-8 starts
    at `pos`, or -1: the fast path's test, without a general decoder. */
static inline UChar32 s_hangul_at(const uint8_t *s, size_t len, size_t pos)
{
    if (pos + 3 > len)
        return -1;
    uint8_t b0 = s[pos], b1 = s[pos + 1], b2 = s[pos + 2];
    if (b0 < 0xEA || b0 > 0xED || (b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80)
        return -1;
    UChar32 cp = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
    return s_is_hangul_syllable(cp) ? cp : -1;
}

/*  True when normalization of text before `pos` cannot depend on what
    starts at `pos`.  An ill-formed sequence counts as a boundary: the main
    loop reports it when it gets there. */
static inline bool s_boundary_at(const uint8_t *s, size_t len, size_t pos)
{
    if (pos >= len || s[pos] < 0x80 || s_hangul_at(s, len, pos) >= 0)
        return true;
    UChar32 cp;
    U8_NEXT(s, pos, len, cp);
    if (cp < 0)
        return true;
    if (cp < 0x10000)
        return s_bmp_bits(cp) & S_BOUNDARY;
    return unorm2_hasBoundaryBefore(s_nfkc_cf, cp);
}

#ifdef __SSE2__
/*  x >= y, bytewise unsigned. */
static inline __m128i s_ge(__m128i x, __m128i y)
{
    return _mm_cmpeq_epi8(_mm_max_epu8(x, y), x);
}

/*  The common case 16 bytes at a time: s[0, 16) (with s[16], s[17] for a
    character that straddles the end), starting at a character boundary,
    holds only ASCII and well-formed precomposed Hangul syllables, or
    begins with such characters.  @returns 0 when the first character is
    not one; else (bytes to skip << 8) | (offset of the last character
    skipped), with S_BLOCK_CUT set when the block stopped before a
    character that is not one. */
#define S_BLOCK_CUT ((size_t) 1 << 16)

static inline size_t s_fast_block(const uint8_t *s)
{
    const __m128i v0 = _mm_loadu_si128((const __m128i *) s);
    const __m128i v1 = _mm_loadu_si128((const __m128i *) (s + 1));
    const __m128i v2 = _mm_loadu_si128((const __m128i *) (s + 2));
    const __m128i mask_c0 = _mm_set1_epi8((char) 0xC0), b80 = _mm_set1_epi8((char) 0x80);
    unsigned ascii = ~(unsigned) _mm_movemask_epi8(v0) & 0xFFFF;
    if (ascii == 0xFFFF)
        return (16u << 8) | 15;
    __m128i off = _mm_sub_epi8(v0, _mm_set1_epi8((char) 0xEA));
    unsigned lead = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(off, _mm_set1_epi8(3)), off));
    unsigned cont1 = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v1, mask_c0), b80));
    unsigned cont2 = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v2, mask_c0), b80));
    /*  A syllable is U+AC00..U+D7A3: after EA the second byte is >= B0;
        after ED it is < 9E, or 9E with a third byte <= A3. */
    unsigned ea = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v0, _mm_set1_epi8((char) 0xEA)));
    unsigned ed = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v0, _mm_set1_epi8((char) 0xED)));
    unsigned ea_ok = (unsigned) _mm_movemask_epi8(s_ge(v1, _mm_set1_epi8((char) 0xB0)));
    unsigned ed_ok = ~(unsigned) _mm_movemask_epi8(s_ge(v1, _mm_set1_epi8((char) 0x9E)))
                     | ((unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v1, _mm_set1_epi8((char) 0x9E)))
                        & (unsigned) _mm_movemask_epi8(s_ge(_mm_set1_epi8((char) 0xA3), v2)));
    /*  Bytes covered by an ASCII character or a whole syllable; the first
        byte not covered is where the block stops (a lead byte is never a
        continuation byte, so the covered prefix ends between characters). */
    unsigned syllable = lead & cont1 & cont2 & ~(ea & ~ea_ok) & ~(ed & ~ed_ok);
    unsigned covered = (ascii | syllable | (syllable << 1) | (syllable << 2)) & 0xFFFF;
    size_t cut = 0, stop = 16;
    if (covered != 0xFFFF) {
        stop = (size_t) __builtin_ctz(~covered);
        if (stop == 0)
            return 0;
        cut = S_BLOCK_CUT;
    }
    unsigned starts = (ascii | syllable) & ((1u << stop) - 1);
    unsigned last = 31u - (unsigned) __builtin_clz(starts);
    size_t skip = (syllable >> last) & 1 ? last + 3 : stop;
    return cut | (skip << 8) | last;
}
#endif

static int s_reserve_out(ktag_normbuf_t *buf, size_t needed)
{
    if (KTAG_RESERVE(buf->norm, buf->norm_cap, needed + 1))
        return KTAG_ERR_NOMEM;
    return 0;
}

/*  Append text[from, to) to the buffer as it is. */
static int s_copy(ktag_normbuf_t *buf, const char *text, size_t from, size_t to)
{
    if (s_reserve_out(buf, buf->len + (to - from)))
        return KTAG_ERR_NOMEM;
    memcpy(buf->norm + buf->len, text + from, to - from);
    buf->len += to - from;
    return 0;
}

/*  The slow path: normalize one segment through ICU's UTF-16 API. */
static int s_normalize_segment(ktag_normbuf_t *buf, const char *segment, size_t seg_len,
                               ktag_error_t *err)
{
    UErrorCode status = U_ZERO_ERROR;
    if (seg_len > S_MAX_SEGMENT)
        return ktag_error_set(err, KTAG_ERR_TOO_LARGE, "a run of %zu bytes of combining characters exceeds "
                              "the limit of %zu", seg_len, S_MAX_SEGMENT);
    if (KTAG_RESERVE(buf->u16, buf->u16_cap, seg_len + 1))
        return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    int32_t u16_len = 0;
    u_strFromUTF8(buf->u16, (int32_t) buf->u16_cap, &u16_len, segment, (int32_t) seg_len, &status);
    if (U_FAILURE(status))
        return ktag_error_set(err, KTAG_ERR_UNICODE, "UTF-16 conversion failed: %s", u_errorName(status));
    int32_t out_len;
    for (;;) {
        status = U_ZERO_ERROR;
        out_len = unorm2_normalize(s_nfkc_cf, buf->u16, u16_len, buf->u16_out,
                                   (int32_t) buf->u16_out_cap, &status);
        if (status != U_BUFFER_OVERFLOW_ERROR)
            break;
        if (KTAG_RESERVE(buf->u16_out, buf->u16_out_cap, (size_t) out_len + 1))
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    }
    if (U_FAILURE(status))
        return ktag_error_set(err, KTAG_ERR_UNICODE, "normalization failed: %s", u_errorName(status));
    if (s_reserve_out(buf, buf->len + (size_t) out_len * 3))
        return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    int32_t written = 0;
    status = U_ZERO_ERROR;
    size_t room = buf->norm_cap - buf->len;
    u_strToUTF8(buf->norm + buf->len, room > INT32_MAX ? INT32_MAX : (int32_t) room, &written,
                buf->u16_out, out_len, &status);
    if (U_FAILURE(status))
        return ktag_error_set(err, KTAG_ERR_UNICODE, "UTF-8 conversion failed: %s", u_errorName(status));
    buf->len += (size_t) written;
    return 0;
}

/*  A segment of a single code point (`cp` spans all of it) is looked up in
    the buffer's cache before ICU is asked; ICU's answer for one code point
    does not depend on its neighbours, since the segment is bounded. */
static int s_normalize_cached(ktag_normbuf_t *buf, const char *segment, size_t seg_len,
                              UChar32 cp, ktag_error_t *err)
{
    if ((size_t) U8_LENGTH(cp) != seg_len)
        return s_normalize_segment(buf, segment, seg_len, err);
    ktag_norm_cache_t *slot = &buf->cache[(uint32_t) cp % KTAG_NORM_CACHE_SLOTS];
    if (slot->cp == (uint32_t) cp) {
        if (s_reserve_out(buf, buf->len + slot->len))
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        memcpy(buf->norm + buf->len, slot->bytes, slot->len);
        buf->len += slot->len;
        return 0;
    }
    size_t before = buf->len;
    int rc = s_normalize_segment(buf, segment, seg_len, err);
    size_t produced = buf->len - before;
    if (rc == 0 && produced <= sizeof slot->bytes) {
        slot->cp = (uint32_t) cp;
        slot->len = (uint8_t) produced;
        memcpy(slot->bytes, buf->norm + before, produced);
    }
    return rc;
}

/*  Offsets into the view are uint32_t, and NFKC can make a text ~11 times
    longer (U+FDFA): the normalized length is checked, not only the input's. */
static int s_too_large(ktag_error_t *err, size_t max_len)
{
    return ktag_error_set(err, KTAG_ERR_TOO_LARGE, "the normalized text exceeds the limit of %zu bytes", max_len);
}

int ktag_normalize(ktag_normbuf_t *buf, const char *text, size_t len, ktag_error_t *err)
{
    pthread_once(&s_once, s_init_normalizers);
    if (!s_nfkc_cf)
        return ktag_error_set(err, KTAG_ERR_UNICODE, "ICU NFKC_Casefold normalizer unavailable");
    size_t max_len = buf->max_len ? buf->max_len : KTAG_MAX_TEXT_BYTES - 1;
    if (len > max_len)
        return ktag_error_set(err, KTAG_ERR_TOO_LARGE, "text of %zu bytes exceeds the limit of %zu",
                              len, max_len);
    buf->len = 0;
    buf->orig_len = len;
    buf->segment_count = 0;
    buf->view = text;

    /*  The view is the text itself until a character must change; from
        there on it is built in buf->norm: the verbatim runs copied whole,
        the other characters normalized by ICU segment by segment, each
        segment recorded for the offset map.  A character stays as it is
        when it is stable and the next one starts a new segment: each
        character is decoded once, and one that does not start a segment
        sends the one before it to ICU with it. */
    const uint8_t *s = (const uint8_t *) text;
    size_t i = 0, run = 0;   /* text[run, i) is verbatim and not yet copied */
    size_t prev = 0;         /* where the character before i starts */
    bool copied = false;
    size_t scalar_until = 0;   /* where to try 16-byte blocks again */
    while (i < len) {
#ifdef __SSE2__
        if (i >= scalar_until) {
            size_t last;
            if (i + 18 <= len) {
                last = s_fast_block(s + i);
            } else {
                /*  The tail, padded with NULs (ASCII: they end no syllable). */
                uint8_t tail[32] = { 0 };
                memcpy(tail, s + i, len - i);
                last = s_fast_block(tail);
                if (last && i + ((last >> 8) & 0xFF) >= len)
                    break;   /* nothing left to change */
            }
            if (last) {
                prev = i + (last & 0xFF);
                i += (last >> 8) & 0xFF;
                /*  Stopped at a character that is not ASCII or a syllable:
                    the scalar path takes that one, then blocks again. */
                scalar_until = last & S_BLOCK_CUT ? i + 1 : i;
                continue;
            }
            scalar_until = i + 16;
        }
#endif
        if (s[i] < 0x80) {
            /*  ASCII is kept (the matcher folds its capitals) and starts a
                segment: skip it 8 bytes at a time. */
            while (i + 8 <= len) {
                uint64_t word;
                memcpy(&word, s + i, 8);
                if (word & 0x8080808080808080u)
                    break;
                i += 8;
            }
            while (i < len && s[i] < 0x80)
                i++;
            prev = i - 1;
            continue;
        }
        if (s_hangul_at(s, len, i) >= 0) {
            prev = i;
            i += 3;
            continue;
        }
        size_t start = i, at = i;
        UChar32 cp;
        U8_NEXT(s, at, len, cp);
        unsigned bits = cp < 0 ? 0 : cp < 0x10000 ? s_bmp_bits(cp)
                      : unorm2_hasBoundaryBefore(s_nfkc_cf, cp) ? S_BOUNDARY : 0;
        if (cp >= 0 && (bits & S_STABLE) && (bits & S_BOUNDARY)) {
            prev = i;
            i = at;
            continue;
        }
        if (cp >= 0 && !(bits & S_BOUNDARY) && i > run)
            start = prev;   /* it combines with the character before it */
        if (s_copy(buf, text, run, start))
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        copied = true;
        i = start;
        U8_NEXT(s, i, len, cp);
        if (cp < 0) {
            if (err)
                err->offset = start;
            return ktag_error_set(err, KTAG_ERR_BAD_UTF8, "invalid UTF-8 at byte offset %zu", start);
        }
        /*  Extend the segment over the code points that may combine with
            this one, then let ICU normalize it as a unit. */
        while (i < len && !s_boundary_at(s, len, i))
            U8_NEXT(s, i, len, cp);
        size_t out = buf->len;
        int rc = s_normalize_cached(buf, text + start, i - start, cp, err);
        if (rc)
            return rc;
        if (buf->len > max_len)
            return s_too_large(err, max_len);
        if (KTAG_RESERVE(buf->segments, buf->segment_cap, buf->segment_count + 1))
            return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        buf->segments[buf->segment_count++] = (ktag_norm_segment_t) {
            (uint32_t) out, (uint32_t) buf->len, (uint32_t) start, (uint32_t) i };
        run = prev = i;
    }
    if (!copied) {
        buf->len = len;
        return 0;
    }
    if (s_copy(buf, text, run, len))
        return ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
    if (buf->len > max_len)
        return s_too_large(err, max_len);
    buf->norm[buf->len] = '\0';
    buf->view = buf->norm;
    return 0;
}

/*  @returns the last segment whose normalized start is at or before `pos`,
    or NULL when there is none. */
static const ktag_norm_segment_t *s_segment_at(const ktag_normbuf_t *buf, size_t pos)
{
    size_t lo = 0, hi = buf->segment_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (buf->segments[mid].norm_start <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &buf->segments[lo - 1] : NULL;
}

size_t ktag_norm_orig_start(const ktag_normbuf_t *buf, size_t norm_start)
{
    const ktag_norm_segment_t *seg = s_segment_at(buf, norm_start);
    if (!seg)
        return norm_start;
    if (norm_start < seg->norm_end)
        return seg->orig_start;
    return seg->orig_end + (norm_start - seg->norm_end);
}

size_t ktag_norm_orig_end(const ktag_normbuf_t *buf, size_t norm_end)
{
    if (norm_end == 0)
        return ktag_norm_orig_start(buf, 0);
    const ktag_norm_segment_t *seg = s_segment_at(buf, norm_end - 1);
    if (!seg)
        return norm_end;
    if (norm_end - 1 < seg->norm_end)
        return seg->orig_end;
    return seg->orig_end + (norm_end - seg->norm_end);
}

void ktag_normbuf_release(ktag_normbuf_t *buf)
{
    free(buf->norm);
    free(buf->segments);
    free(buf->u16);
    free(buf->u16_out);
    memset(buf, 0, sizeof *buf);
}

char *ktag_normalize_string(const char *text, ktag_error_t *err)
{
    ktag_normbuf_t buf = { 0 };
    char *result = NULL;
    if (ktag_normalize(&buf, text, strlen(text), err) == 0) {
        result = malloc(buf.len + 1);
        if (result) {
            /*  The whole of NFKC + case folding: the view keeps ASCII
                capitals for the matcher to fold, a lexicon form does not. */
            for (size_t i = 0; i < buf.len; i++) {
                char c = buf.view[i];
                result[i] = (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            result[buf.len] = '\0';
        } else {
            ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        }
    }
    ktag_normbuf_release(&buf);
    return result;
}

bool ktag_is_nfc(const char *text)
{
    pthread_once(&s_once, s_init_normalizers);
    size_t len = strlen(text);
    if (!s_nfc || len >= INT32_MAX)
        return false;
    UChar stack[256];
    UChar *u16 = len < 256 ? stack : malloc((len + 1) * sizeof(UChar));
    if (!u16)
        return false;
    UErrorCode status = U_ZERO_ERROR;
    int32_t u16_len = 0;
    u_strFromUTF8(u16, (int32_t) len + 1, &u16_len, text, (int32_t) len, &status);
    bool normalized = U_SUCCESS(status) && unorm2_isNormalized(s_nfc, u16, u16_len, &status);
    if (u16 != stack)
        free(u16);
    return normalized && U_SUCCESS(status);
}

static ktag_char_class_t s_classify(UChar32 cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
            return KTAG_CHAR_ALNUM;
        return KTAG_CHAR_OTHER;
    }
    if (s_is_hangul_syllable(cp) || (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F)
        || (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xD7B0 && cp <= 0xD7FF))
        return KTAG_CHAR_HANGUL;
    /*  Latin-1 supplement and Latin Extended letters count with a-z, so that
        `CB` is not found inside `CBé`. */
    if (cp < 0x250 && u_isalpha(cp))
        return KTAG_CHAR_ALNUM;
    return KTAG_CHAR_OTHER;
}

static inline ktag_char_class_t s_ascii_class(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? KTAG_CHAR_ALNUM
                                                                                       : KTAG_CHAR_OTHER;
}

/*  ASCII and Hangul syllables, nearly every neighbour of a mention, are
    classified without a general decoder. */
ktag_char_class_t ktag_class_at(const char *text, size_t len, size_t pos)
{
    if (pos >= len)
        return KTAG_CHAR_OTHER;
    const uint8_t *s = (const uint8_t *) text;
    if (s[pos] < 0x80)
        return s_ascii_class(s[pos]);
    if (s_hangul_at(s, len, pos) >= 0)
        return KTAG_CHAR_HANGUL;
    UChar32 cp;
    U8_NEXT(s, pos, len, cp);
    return cp < 0 ? KTAG_CHAR_OTHER : s_classify(cp);
}

ktag_char_class_t ktag_class_before(const char *text, size_t pos)
{
    if (pos == 0)
        return KTAG_CHAR_OTHER;
    const uint8_t *s = (const uint8_t *) text;
    if (s[pos - 1] < 0x80)
        return s_ascii_class(s[pos - 1]);
    if (pos >= 3 && s_hangul_at(s, pos, pos - 3) >= 0)
        return KTAG_CHAR_HANGUL;
    UChar32 cp;
    int32_t i = (int32_t) pos;
    U8_PREV(s, 0, i, cp);
    return cp < 0 ? KTAG_CHAR_OTHER : s_classify(cp);
}

size_t ktag_count_codepoints(const char *text, size_t from, size_t to)
{
    size_t count = 0;
    for (size_t i = from; i < to; i++)
        count += ((uint8_t) text[i] & 0xC0) != 0x80;
    return count;
}
