/*  test_util.c - the helpers every module leans on: UTF-8-safe cuts of
    explanation lines and messages, growth that cannot overflow, and a log
    hook that honours its level. */
#include <stdint.h>

#include "check.h"
#include "ktag/ktag.h"
#include "util.h"

static void test_truncation_never_cuts_inside_a_character(void)
{
    const char *text = "ab가나";   /* a b, then two 3-byte syllables at 2..5 and 5..8 */
    CHECK_INT(ktag_utf8_truncate(text, 8, 8), 8);
    CHECK_INT(ktag_utf8_truncate(text, 8, 100), 8);
    CHECK_INT(ktag_utf8_truncate(text, 8, 7), 5);    /* would cut 나 after its 2nd byte */
    CHECK_INT(ktag_utf8_truncate(text, 8, 6), 5);    /* ... after its 1st byte */
    CHECK_INT(ktag_utf8_truncate(text, 8, 5), 5);    /* at its start: fine */
    CHECK_INT(ktag_utf8_truncate(text, 8, 3), 2);
    CHECK_INT(ktag_utf8_truncate(text, 8, 2), 2);
    const char *emoji = "x\xf0\x9f\x99\x82y";   /* x 🙂 y */
    for (size_t max = 1; max < 5; max++)
        CHECK_INT(ktag_utf8_truncate(emoji, 6, max), 1);
    CHECK_INT(ktag_utf8_truncate(emoji, 6, 5), 5);
    CHECK_INT(ktag_utf8_truncate("\xff\xff\xff", 3, 2), 2);   /* ill-formed: cut at a byte */
}

static void test_error_messages_are_cut_at_a_character(void)
{
    /*  A message longer than the record: Hangul all the way, so any byte
        cut would leave a partial character. */
    char long_text[3 * 400 + 1] = "";
    for (int i = 0; i < 400; i++)
        strcat(long_text, "가");
    for (int shift = 0; shift < 3; shift++) {
        ktag_error_t err = { 0 };
        ktag_error_set(&err, KTAG_ERR_INVALID, "%.*s%s", shift, "xx", long_text);
        size_t len = strlen(err.message);
        CHECK(len < sizeof err.message);
        CHECK(len + 3 >= sizeof err.message - 1);
        CHECK_INT((len - (size_t) shift) % 3, 0);   /* whole syllables after the shift */
    }
}

static void test_reserve_refuses_sizes_that_overflow(void)
{
    char *array = NULL;
    size_t capacity = 0;
    CHECK_INT(KTAG_RESERVE(array, capacity, 10), 0);
    CHECK(capacity >= 10);
    CHECK_INT(KTAG_RESERVE(array, capacity, SIZE_MAX / 2 + 1), KTAG_ERR_NOMEM);   /* doubling would wrap */
    uint64_t *wide = NULL;
    size_t wide_cap = 0;
    CHECK_INT(KTAG_RESERVE(wide, wide_cap, SIZE_MAX / 8 + 2), KTAG_ERR_NOMEM);   /* n * 8 wraps */
    CHECK(capacity >= 10 && array != NULL);   /* untouched on failure */
    free(array);
    free(wide);
}

static int s_messages[4];

static void s_count(void *user, ktag_log_level_t level, const char *message)
{
    (void) user;
    (void) message;
    s_messages[level]++;
}

static void test_log_honours_its_level(void)
{
    CHECK(!ktag_log_enabled(KTAG_LOG_ERROR));   /* no handler */
    ktag_set_log_handler(s_count, NULL);
    CHECK(ktag_log_enabled(KTAG_LOG_DEBUG));    /* the default: everything */
    ktag_set_log_level(KTAG_LOG_WARNING);
    CHECK(ktag_log_enabled(KTAG_LOG_ERROR));
    CHECK(ktag_log_enabled(KTAG_LOG_WARNING));
    CHECK(!ktag_log_enabled(KTAG_LOG_INFO));
    KTAG_LOG(KTAG_LOG_INFO, "dropped %d", 1);
    KTAG_LOG(KTAG_LOG_WARNING, "kept %d", 2);
    ktag_log(KTAG_LOG_DEBUG, "dropped too");
    CHECK_INT(s_messages[KTAG_LOG_INFO] + s_messages[KTAG_LOG_DEBUG], 0);
    CHECK_INT(s_messages[KTAG_LOG_WARNING], 1);
    ktag_set_log_level(KTAG_LOG_DEBUG);
    ktag_set_log_handler(NULL, NULL);
}

int main(void)
{
    test_truncation_never_cuts_inside_a_character();
    test_error_messages_are_cut_at_a_character();
    test_reserve_refuses_sizes_that_overflow();
    test_log_honours_its_level();
    return check_report("test_util");
}
