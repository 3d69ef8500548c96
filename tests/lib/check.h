/*  check.h - the smallest test harness: CHECK records a failure with its
    line and goes on, so one run shows every broken expectation. */
#ifndef KTAG_TEST_CHECK_H_INCLUDED
#define KTAG_TEST_CHECK_H_INCLUDED

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                          \
    do {                                                                     \
        check_count++;                                                       \
        if (!(cond)) {                                                       \
            check_failures++;                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                    \
    } while (0)

#define CHECK_STR(actual, expected)                                          \
    do {                                                                     \
        const char *a_ = (actual), *e_ = (expected);                         \
        check_count++;                                                       \
        if (!a_ || strcmp(a_, e_) != 0) {                                    \
            check_failures++;                                                \
            fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, e_, \
                    a_ ? a_ : "(null)");                                     \
        }                                                                    \
    } while (0)

#define CHECK_INT(actual, expected)                                          \
    do {                                                                     \
        long long a_ = (long long) (actual), e_ = (long long) (expected);    \
        check_count++;                                                       \
        if (a_ != e_) {                                                      \
            check_failures++;                                                \
            fprintf(stderr, "%s:%d: %s: expected %lld, got %lld\n", __FILE__, __LINE__, #actual, e_, a_); \
        }                                                                    \
    } while (0)

static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
