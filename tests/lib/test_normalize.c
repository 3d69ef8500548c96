/*  test_normalize.c - the normalized view and its map back to the original:
    full-width Latin, case, 4-byte characters, combining marks, CRLF,
    compatibility expansions, invalid UTF-8. */
#include <stdlib.h>

#include "check.h"
#include "normalize.h"

static ktag_normbuf_t buf;

/*  @returns the normalized view of `text` as a string. */
static const char *s_norm(const char *text)
{
    static char view[4096];
    ktag_error_t err = { 0 };
    if (ktag_normalize(&buf, text, strlen(text), &err) || buf.len >= sizeof view)
        return NULL;
    memcpy(view, buf.view, buf.len);
    view[buf.len] = '\0';
    return view;
}

static void test_ascii_is_kept_as_written_and_mapped_one_to_one(void)
{
    /*  The matcher folds ASCII case: the view keeps the capitals, and is
        the text itself. */
    const char *text = "SK Hynix HBM3E";
    CHECK_STR(s_norm(text), "SK Hynix HBM3E");
    CHECK(buf.view == text);
    for (size_t i = 0; i <= buf.len; i++) {
        CHECK_INT(ktag_norm_orig_start(&buf, i), i);
        CHECK_INT(ktag_norm_orig_end(&buf, i), i);
    }
    CHECK_INT(buf.segment_count, 0);   /* nothing went through ICU */
}

static void test_lexicon_forms_are_fully_case_folded(void)
{
    ktag_error_t err = { 0 };
    char *form = ktag_normalize_string("SK하이닉스 ＨＢＭ É", &err);
    CHECK_STR(form, "sk하이닉스 hbm é");
    free(form);
}

static void test_fullwidth_latin_maps_to_its_original_bytes(void)
{
    /* Ｓ and Ｋ are 3 bytes each in UTF-8 and one byte each normalized. */
    CHECK_STR(s_norm("ＳＫ하이닉스"), "sk하이닉스");
    CHECK_INT(ktag_norm_orig_start(&buf, 0), 0);
    CHECK_INT(ktag_norm_orig_start(&buf, 1), 3);
    CHECK_INT(ktag_norm_orig_start(&buf, 2), 6);
    CHECK_INT(ktag_norm_orig_start(&buf, 5), 9);        /* 이 */
    CHECK_INT(ktag_norm_orig_end(&buf, 2), 6);
    CHECK_INT(ktag_norm_orig_end(&buf, buf.len), strlen("ＳＫ하이닉스"));
}

static void test_hangul_is_kept_as_is(void)
{
    CHECK_STR(s_norm("삼성전자가 상승"), "삼성전자가 상승");
}

static void test_text_that_needs_no_change_is_its_own_view(void)
{
    /*  Hangul, lowercase ASCII and stable punctuation: no copy, no segment. */
    const char *text = "삼성전자·sk하이닉스 “급등”… 證 3.5%";
    ktag_error_t err = { 0 };
    CHECK_INT(ktag_normalize(&buf, text, strlen(text) - strlen("… 證 3.5%"), &err), 0);
    CHECK(buf.view == text);
    CHECK_INT(buf.segment_count, 0);
    /*  … becomes "...": from there the view is a copy, and only … is a
        segment; 證 is stable. */
    CHECK_STR(s_norm(text), "삼성전자·sk하이닉스 “급등”... 證 3.5%");
    CHECK_INT(buf.segment_count, 1);
    /*  A stable character followed by a combining mark goes through ICU. */
    CHECK_STR(s_norm("·\xcc\x81"), "·\xcc\x81");
    CHECK_STR(s_norm("\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8"), "각");
    CHECK_STR(s_norm("가\xe1\x86\xa8"), "각");          /* LV + T composes */
}

static void test_normalized_growth_beyond_the_limit_is_too_large(void)
{
    /*  U+FDFA is 3 bytes and becomes 33 under NFKC: the input fits the
        limit, its normalized form does not. */
    char text[3 * 100 + 1] = "";
    for (int i = 0; i < 100; i++)
        strcat(text, "\xef\xb7\xba");
    ktag_error_t err = { 0 };
    buf.max_len = 1000;
    CHECK_INT(ktag_normalize(&buf, text, 30, &err), 0);             /* 10 of them: 330 bytes */
    CHECK_INT(buf.len, 330);
    CHECK_INT(ktag_normalize(&buf, text, strlen(text), &err), KTAG_ERR_TOO_LARGE);
    CHECK(strstr(err.message, "normalized") != NULL);
    CHECK_INT(ktag_normalize(&buf, "0123456789", 10, &err), 0);
    buf.max_len = 9;
    CHECK_INT(ktag_normalize(&buf, "0123456789", 10, &err), KTAG_ERR_TOO_LARGE);
    buf.max_len = 0;
}

static void test_emoji_and_4_byte_characters_keep_offsets(void)
{
    const char *text = "🙂A𝐁";    /* U+1D401 MATHEMATICAL BOLD CAPITAL B -> b */
    CHECK_STR(s_norm(text), "🙂Ab");
    CHECK_INT(ktag_norm_orig_start(&buf, 4), 4);   /* 'a' comes from byte 4 */
    CHECK_INT(ktag_norm_orig_start(&buf, 5), 5);   /* 'b' comes from the 4-byte 𝐁 at 5 */
    CHECK_INT(ktag_norm_orig_end(&buf, 6), 9);
}

static void test_combining_marks_compose_and_map_to_the_whole_segment(void)
{
    /* e + COMBINING ACUTE -> é (2 bytes), both from original bytes 0..3 */
    CHECK_STR(s_norm("e\xcc\x81x"), "\xc3\xa9x");
    CHECK_INT(ktag_norm_orig_start(&buf, 0), 0);
    CHECK_INT(ktag_norm_orig_start(&buf, 1), 0);
    CHECK_INT(ktag_norm_orig_start(&buf, 2), 3);
    CHECK_INT(ktag_norm_orig_end(&buf, 2), 3);
    /* A conjoining-jamo sequence composes into one syllable. */
    CHECK_STR(s_norm("\xe1\x84\x80\xe1\x85\xa1"), "가");
    CHECK_INT(ktag_norm_orig_end(&buf, 3), 6);
}

static void test_crlf_and_compatibility_characters(void)
{
    CHECK_STR(s_norm("a\r\nb"), "a\r\nb");
    CHECK_STR(s_norm("㈜"), "(주)");
    CHECK_INT(ktag_norm_orig_end(&buf, 1), 3);   /* mid-expansion end -> the whole ㈜ */
    CHECK_STR(s_norm("①"), "1");
}

static void test_invalid_utf8_names_the_byte_offset(void)
{
    ktag_error_t err = { 0 };
    CHECK_INT(ktag_normalize(&buf, "ab\xff", 3, &err), KTAG_ERR_BAD_UTF8);
    CHECK_INT(err.offset, 2);
    CHECK(strstr(err.message, "offset 2") != NULL);
    CHECK_INT(ktag_normalize(&buf, "가\xed\xa0\x80", 6, &err), KTAG_ERR_BAD_UTF8);   /* a surrogate */
    CHECK_INT(err.offset, 3);
    CHECK_INT(ktag_normalize(&buf, "\xc0\xaf", 2, &err), KTAG_ERR_BAD_UTF8);         /* overlong '/' */
    CHECK_INT(err.offset, 0);
    CHECK_INT(ktag_normalize(&buf, "\xea\xb0", 2, &err), KTAG_ERR_BAD_UTF8);         /* truncated */
}

static void test_long_texts_check_every_byte(void)
{
    /*  Long runs of Hangul and ASCII are checked 16 bytes at a time: a bad
        byte, a surrogate, a non-syllable, a missing continuation byte or a
        trailing conjoining jamo at any position must still be seen. */
    static const char *const bad[] = { "\xff", "\xed\xa0\x80", "\xea\xb0", "\x80" };
    for (size_t pos = 0; pos < 40; pos++)
        for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
            char text[128] = "";
            const char *units[] = { "가", "a", "힣", " " };
            size_t len = 0;
            while (len < pos) {
                const char *u = units[len % 4];
                memcpy(text + len, u, strlen(u));
                len += strlen(u);
            }
            size_t at = len;
            strcpy(text + len, bad[b]);
            strcat(text, "삼성전자 SK하이닉스 반도체 업황");
            ktag_error_t err = { 0 };
            CHECK_INT(ktag_normalize(&buf, text, strlen(text), &err), KTAG_ERR_BAD_UTF8);
            CHECK_INT(err.offset, at);
        }
    /*  Valid characters next to syllables that are no syllables (U+A000,
        U+D7A4, U+D7B0) or combine with them (a trailing jamo). */
    CHECK_STR(s_norm("가나다라마바사아자차카타파하\xea\x80\x80가"), "가나다라마바사아자차카타파하\xea\x80\x80가");
    CHECK_STR(s_norm("가나다라마바사아자차카타파하\xed\x9e\xa3\xed\x9e\xa4"), "가나다라마바사아자차카타파하힣\xed\x9e\xa4");
    CHECK_STR(s_norm("가나다라마바사아자차카타파하가\xe1\x86\xa8 abc"), "가나다라마바사아자차카타파하각 abc");
    CHECK_INT(ktag_norm_orig_end(&buf, strlen("가나다라마바사아자차카타파하각")),
              strlen("가나다라마바사아자차카타파하가\xe1\x86\xa8"));
}

static void test_removed_characters_and_runs_between_segments(void)
{
    /* a soft hyphen normalizes to nothing; 가 after it is 2 bytes further */
    CHECK_STR(s_norm("a\xc2\xad가Ａb"), "a가ab");
    CHECK_INT(ktag_norm_orig_start(&buf, 1), 3);          /* 가 */
    CHECK_INT(ktag_norm_orig_end(&buf, 4), 6);
    CHECK_INT(ktag_norm_orig_start(&buf, 4), 6);          /* Ａ */
    CHECK_INT(ktag_norm_orig_end(&buf, 5), 9);
    CHECK_INT(ktag_norm_orig_start(&buf, 5), 9);          /* b */
    CHECK_INT(ktag_norm_orig_end(&buf, 6), 10);
}

static void test_empty_text(void)
{
    CHECK_STR(s_norm(""), "");
    CHECK_INT(buf.len, 0);
}

static void test_character_classes(void)
{
    const char *t = "a가,1";
    CHECK_INT(ktag_class_at(t, strlen(t), 0), KTAG_CHAR_ALNUM);
    CHECK_INT(ktag_class_at(t, strlen(t), 1), KTAG_CHAR_HANGUL);
    CHECK_INT(ktag_class_before(t, 4), KTAG_CHAR_HANGUL);
    CHECK_INT(ktag_class_at(t, strlen(t), 4), KTAG_CHAR_OTHER);
    CHECK_INT(ktag_class_at(t, strlen(t), 5), KTAG_CHAR_ALNUM);
    CHECK_INT(ktag_class_at("證", 3, 0), KTAG_CHAR_OTHER);
    CHECK_INT(ktag_class_before(t, 0), KTAG_CHAR_OTHER);
    CHECK(ktag_is_nfc("가"));
    CHECK(!ktag_is_nfc("\xe1\x84\x80\xe1\x85\xa1"));
}

int main(void)
{
    test_ascii_is_kept_as_written_and_mapped_one_to_one();
    test_lexicon_forms_are_fully_case_folded();
    test_fullwidth_latin_maps_to_its_original_bytes();
    test_hangul_is_kept_as_is();
    test_text_that_needs_no_change_is_its_own_view();
    test_normalized_growth_beyond_the_limit_is_too_large();
    test_emoji_and_4_byte_characters_keep_offsets();
    test_combining_marks_compose_and_map_to_the_whole_segment();
    test_crlf_and_compatibility_characters();
    test_invalid_utf8_names_the_byte_offset();
    test_long_texts_check_every_byte();
    test_removed_characters_and_runs_between_segments();
    test_empty_text();
    test_character_classes();
    ktag_normbuf_release(&buf);
    return check_report("test_normalize");
}
