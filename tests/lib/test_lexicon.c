/*  test_lexicon.c - the TSV lexicon loader on a good fixture and on broken
    files, each error naming file:line; and `lexicon check`'s findings. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ktag/ktag.h"

static char s_tmp[256];

/*  Make a fresh lexicon directory holding one file `name` with `content`
    plus a josa file.  @returns its path (static). */
static const char *s_dir_with(const char *name, const char *content)
{
    static int serial;
    snprintf(s_tmp, sizeof s_tmp, "%s/ktag-lexicon-test-%d-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int) getpid(), serial++);
    mkdir(s_tmp, 0700);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_tmp, name);
    FILE *file = fopen(path, "w");
    fputs(content, file);
    fclose(file);
    snprintf(path, sizeof path, "%s/josa.tsv", s_tmp);
    file = fopen(path, "w");
    fputs("josa\n가\n", file);
    fclose(file);
    return s_tmp;
}

static void s_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *ent; (ent = readdir(d));) {
        if (ent->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/*  Load `content` as a one-file lexicon; expect failure with a message
    containing `expected`. */
static void s_expect_error(const char *content, const char *expected)
{
    const char *dir = s_dir_with("bad.tsv", content);
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
    CHECK(lex == NULL);
    CHECK_INT(err.code, KTAG_ERR_LEXICON);
    if (!strstr(err.message, expected)) {
        check_failures++;
        fprintf(stderr, "expected an error containing \"%s\", got \"%s\"\n", expected, err.message);
    }
    ktag_lexicon_destroy(&lex);
    s_remove_dir(dir);
}

#define HEADER "type\tid\tname\taliases\tflags\tmarket\n"

static void test_good_fixture_loads_with_counts_and_version(void)
{
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(FIXTURES "/good", &err);
    CHECK(lex != NULL);
    if (!lex) {
        fprintf(stderr, "%s\n", err.message);
        return;
    }
    CHECK_INT(ktag_lexicon_entity_count(lex, KTAG_TYPE_COMPANY), 7);
    CHECK_INT(ktag_lexicon_entity_count(lex, KTAG_TYPE_CHIP), 4);
    CHECK_INT(ktag_lexicon_entity_count(lex, KTAG_TYPE_FUNDING), 2);
    CHECK_INT(ktag_lexicon_entity_count(lex, KTAG_TYPE_ORG), 0);
    /* HBM3E twice in one row is one form; NH is added to 005940 by a second row */
    CHECK_INT(ktag_lexicon_alias_count(lex, KTAG_TYPE_CHIP), 4);
    CHECK(strncmp(ktag_lexicon_version(lex), "2026.01.01-test+", 16) == 0);
    CHECK_STR(ktag_lexicon_dir(lex), FIXTURES "/good");
    CHECK(ktag_lexicon_load_ms(lex) >= 0);
    ktag_lexicon_t *second = ktag_lexicon_retain(lex);
    ktag_lexicon_destroy(&lex);
    CHECK(lex == NULL);
    CHECK_INT(ktag_lexicon_entity_count(second, KTAG_TYPE_COMPANY), 7);   /* still alive */
    ktag_lexicon_destroy(&second);
    ktag_lexicon_destroy(&second);   /* NULL is accepted */
}

static void test_broken_files_name_file_line_and_problem(void)
{
    s_expect_error(HEADER "company\t1\tA사\n# comment\n\nchp\th1\tH1\n", "bad.tsv:5: unknown type 'chp'");
    s_expect_error("id\tname\n1\tx\n", "bad.tsv:1: unknown header");
    s_expect_error(HEADER "company\t000001\t가나\ncompany\t000002\t다라\t가나\n",
                   "bad.tsv:3: alias '가나' names '000002' here and company '000001' at bad.tsv:2");
    s_expect_error(HEADER "company\t000001\t가나\ncompany\t000002\tＡＢ\ncompany\t000003\tab\n",
                   "bad.tsv:4: alias 'ab' names '000003'");   /* equal after NFKC + case folding */
    s_expect_error(HEADER "company\t000001\t가\n", "bad.tsv:2: alias '가' of '000001' is a single character");
    s_expect_error(HEADER "company\t000001\t가나\t\tfuzzy\n", "bad.tsv:2: unknown flag 'fuzzy'");
    s_expect_error(HEADER "company\t000001\t가나\t\t\tKOSPI\textra\n", "bad.tsv:2: 7 columns but the header has 6");
    s_expect_error(HEADER "company\t000001\n", "bad.tsv:2: 2 columns, at least 3 needed");
    s_expect_error(HEADER "company\t000001\t가나\t\t\tKOSPI\ncompany\t000001\t\t가나다\t\tKOSDAQ\n",
                   "bad.tsv:3: attribute market of '000001' is 'KOSDAQ' here but 'KOSPI' before");
    s_expect_error(HEADER "company\t000001\t가나\tAB||CD\n", "bad.tsv:2: empty alias");
    s_expect_error(HEADER "company\t000001\t\t가나\n", "bad.tsv:2: company '000001' has no name");
    s_expect_error("term\tclass\tweight\n상승\tpolarity\tlots\n", "bad.tsv:2:");
    s_expect_error("# only a comment\n", "bad.tsv:0: no header row");
}

static void test_a_stop_phrase_may_not_be_an_entity_form(void)
{
    const char *dir = s_dir_with("a.tsv", HEADER "company\t000001\t가나다\n");
    char path[512];
    snprintf(path, sizeof path, "%s/b.tsv", dir);
    FILE *file = fopen(path, "w");
    fputs("stop\n가나다라\n가나다\n", file);
    fclose(file);
    ktag_error_t err = { 0 };
    CHECK(ktag_lexicon_open(dir, &err) == NULL);
    CHECK(strstr(err.message, "b.tsv:3: stop phrase '가나다' is also a form of company '000001'") != NULL);
    s_remove_dir(dir);
}

static void test_one_alias_may_carry_a_flag_on_a_second_row(void)
{
    const char *dir = s_dir_with("c.tsv", HEADER "company\t001680\t대상\t대상㈜\t\tKOSPI\ncompany\t001680\t\t대상\tambiguous\n");
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
    CHECK(lex != NULL);
    CHECK_INT(ktag_lexicon_alias_count(lex, KTAG_TYPE_COMPANY), 2);
    ktag_lexicon_destroy(&lex);
    s_remove_dir(dir);
}

static void test_missing_and_empty_directories_fail_clearly(void)
{
    ktag_error_t err = { 0 };
    CHECK(ktag_lexicon_open("/nonexistent/ktag", &err) == NULL);
    CHECK_INT(err.code, KTAG_ERR_IO);
    CHECK(strstr(err.message, "/nonexistent/ktag") != NULL);
    const char *dir = s_dir_with("empty.tsv", HEADER);
    CHECK(ktag_lexicon_open(dir, &err) == NULL);
    CHECK(strstr(err.message, "no entities") != NULL);
    s_remove_dir(dir);
}

typedef struct {
    int count;
    char all[4096];
} s_problems_t;

static void s_collect(void *user, const char *file, int line, const char *message)
{
    s_problems_t *problems = user;
    problems->count++;
    size_t used = strlen(problems->all);
    snprintf(problems->all + used, sizeof problems->all - used, "%s:%d: %s\n", file ? file : "-", line, message);
}

static void test_check_reports_every_problem_and_goes_on(void)
{
    const char *dir = s_dir_with("c.tsv",
        "type\tid\tname\taliases\tflags\tisin\n"
        "company\t000001\t가나\t\t\tKR7000001\n"
        "company\t000002\t다라\t가나\n"             /* alias names two ids; 000002 has no isin */
        "company\t000003\t\xe1\x84\x86\xe1\x85\xa1\xe1\x84\x87\xe1\x85\xa1\t\t\tKR7000003\n" /* not NFC */
        "company\t000004\tX\t\t\tKR7000004\n"       /* single character */
        "company\tx:acme\tACME\n"                   /* not a KRX code: no listing needed */
        "company\t000005\t\tqq\t\tKR7000005\n");    /* no name */
    s_problems_t problems = { 0 };
    int found = ktag_lexicon_check(dir, s_collect, &problems);
    CHECK_INT(found, problems.count);
    CHECK_INT(found, 5);
    if (found != 5)
        fprintf(stderr, "%s", problems.all);
    CHECK(strstr(problems.all, "c.tsv:3: alias '가나' names '000002'") != NULL);
    CHECK(strstr(problems.all, "c.tsv:3: company '000002' is not in the KRX listing") != NULL);
    CHECK(strstr(problems.all, "c.tsv:4:") && strstr(problems.all, "not in NFC"));
    CHECK(strstr(problems.all, "c.tsv:5: alias 'X' of '000004' is a single character") != NULL);
    CHECK(strstr(problems.all, "c.tsv:7: company '000005' has no name") != NULL);
    CHECK(strstr(problems.all, "acme") == NULL);
    s_remove_dir(dir);

    s_problems_t clean = { 0 };
    CHECK_INT(ktag_lexicon_check(FIXTURES "/good", s_collect, &clean), 0);
    if (clean.count)
        fprintf(stderr, "%s", clean.all);
    CHECK(ktag_lexicon_check("/nonexistent/ktag", s_collect, &clean) < 0);
}

int main(void)
{
    test_good_fixture_loads_with_counts_and_version();
    test_broken_files_name_file_line_and_problem();
    test_one_alias_may_carry_a_flag_on_a_second_row();
    test_a_stop_phrase_may_not_be_an_entity_form();
    test_missing_and_empty_directories_fail_clearly();
    test_check_reports_every_problem_and_goes_on();
    return check_report("test_lexicon");
}
