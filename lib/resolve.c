/*  resolve.c - which candidates are mentions: boundaries, ambiguity, stop
    phrases, leftmost-longest. */
#include "resolve.h"

#include <unicode/utf8.h>

#include "normalize.h"

/*  True when text[pos, pos + len) equals the lexicon form `form`, ASCII
    capitals of the text matching its small letters (the view keeps them). */
static bool s_equal_folded(const char *text, size_t pos, const char *form, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = text[pos + i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != form[i])
            return false;
    }
    return true;
}

/*  True when a particle or ending of the josa lexicon starts at `pos` and
    is followed by a non-Hangul character or the end. */
static bool s_josa_at(const ktag_lexicon_t *lex, const char *text, size_t len, size_t pos)
{
    UChar32 first;
    size_t at = pos;
    U8_NEXT((const uint8_t *) text, at, len, first);
    if (first >= 'A' && first <= 'Z')
        first += 32;
    /*  Binary search for the first josa starting with `first`. */
    size_t lo = 0, hi = lex->josa_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lex->josa[mid].first < (uint32_t) first)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = lo; j < lex->josa_count && lex->josa[j].first == (uint32_t) first; j++) {
        const ktag_josa_t *josa = &lex->josa[j];
        if (pos + josa->len <= len && s_equal_folded(text, pos, josa->text, josa->len)
            && ktag_class_at(text, len, pos + josa->len) != KTAG_CHAR_HANGUL)
            return true;
    }
    return false;
}

/*  The Korean boundary rules of docs/LEXICONS.md for the form at
    normalized bytes [start, end). */
static bool s_edges_ok(const ktag_lexicon_t *lex, const char *text, size_t len,
                       size_t start, size_t end, uint8_t flags)
{
    ktag_char_class_t first = ktag_class_at(text, len, start);
    if (first != KTAG_CHAR_OTHER && ktag_class_before(text, start) == first)
        return false;
    ktag_char_class_t last = ktag_class_before(text, end);
    ktag_char_class_t next = ktag_class_at(text, len, end);
    if (last == KTAG_CHAR_ALNUM && next == KTAG_CHAR_ALNUM)
        return false;
    if (next == KTAG_CHAR_HANGUL && !(flags & KTAG_FLAG_GLUE))
        return s_josa_at(lex, text, len, end);
    return true;
}

/*  True when the normalized bytes [from, to) hold at most `window` code
    points.  A code point is 1 to 4 bytes, so most gaps are decided by their
    length alone, without counting. */
static bool s_within(const char *norm, size_t from, size_t to, size_t window)
{
    size_t bytes = to - from;
    if (bytes <= window)
        return true;
    if (bytes > 4 * window)
        return false;
    return ktag_count_codepoints(norm, from, to) <= window;
}

/*  True when `cue` counts as finance context for `candidate`: within
    KTAG_CONTEXT_WINDOW code points of it, not inside it. */
static bool s_cue_near(const char *norm, const ktag_span_t *cue, const ktag_candidate_t *candidate)
{
    if (cue->end <= candidate->start)
        return s_within(norm, cue->end, candidate->start, KTAG_CONTEXT_WINDOW);
    if (cue->start >= candidate->end)
        return s_within(norm, candidate->end, cue->start, KTAG_CONTEXT_WINDOW);
    return cue->start < candidate->start || cue->end > candidate->end;   /* overlaps, not inside */
}

/*  A cue can count only when it starts in [start - reach - cue_max,
    end + reach] (30 code points are at most `reach` bytes), and a stop
    phrase only when it starts in [start - stop_max, start]: since
    candidates come by start, the left edge of both windows only moves
    right, and one sweep over the three lists does. */
size_t ktag_resolve(ktag_scan_t *scan, const ktag_lexicon_t *lex, const char *norm, size_t len,
                    bool overlaps, size_t *work)
{
    const uint32_t reach = 4 * KTAG_CONTEXT_WINDOW;
    size_t cue_lo = 0, stop_lo = 0, kept = 0;
    uint32_t covered = 0;
    for (size_t c = 0; c < scan->candidate_count; c++) {
        const ktag_candidate_t *candidate = &scan->candidates[c];
        if (!overlaps && kept > 0 && candidate->start < covered)
            continue;   /* leftmost-longest: a kept form covers it */
        if (!s_edges_ok(lex, norm, len, candidate->start, candidate->end, candidate->flags))
            continue;
        if (candidate->flags & KTAG_FLAG_AMBIGUOUS) {
            uint32_t lo = candidate->start > reach + scan->cue_max ? candidate->start - reach - scan->cue_max : 0;
            while (cue_lo < scan->cue_count && scan->cues[cue_lo].start < lo)
                cue_lo++;
            bool near = false;
            for (size_t k = cue_lo; !near && k < scan->cue_count && scan->cues[k].start <= candidate->end + reach;
                 k++) {
                (*work)++;
                near = s_cue_near(norm, &scan->cues[k], candidate);
            }
            if (!near)
                continue;
        }
        uint32_t lo = candidate->start > scan->stop_max ? candidate->start - scan->stop_max : 0;
        while (stop_lo < scan->stop_count && scan->stops[stop_lo].start < lo)
            stop_lo++;
        bool inside = false;
        for (size_t k = stop_lo; !inside && k < scan->stop_count && scan->stops[k].start <= candidate->start; k++) {
            (*work)++;
            inside = scan->stops[k].end >= candidate->end;
        }
        if (inside)
            continue;
        if (candidate->end > covered)
            covered = candidate->end;
        scan->candidates[kept++] = *candidate;
    }
    return kept;
}
