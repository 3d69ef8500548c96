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
    /* A header cell left empty (a trailing tab) gave its values the attribute "". */
    s_expect_error("type\tid\tname\taliases\tflags\t\ncompany\t000001\t가나\t\t\tKOSPI\n",
                   "bad.tsv:2: 'KOSPI' in column 6, which the header does not name");
    /* A row whose id or name swallowed a file: results carry 32-bit lengths. */
    char row[16384];
    char *long_cell = malloc(5000);
    memset(long_cell, 'x', 4999);
    long_cell[4999] = '\0';
    snprintf(row, sizeof row, HEADER "company\t%s\t가나\n", long_cell);
    s_expect_error(row, "bad.tsv:2: id of 4999 bytes (at most 4096)");
    snprintf(row, sizeof row, HEADER "company\t000001\t%s\n", long_cell);
    s_expect_error(row, "bad.tsv:2: name of 4999 bytes (at most 4096)");
    free(long_cell);
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

/*  Write `content` to dir/name. */
static void s_write(const char *dir, const char *name, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "w");
    fputs(content, file);
    fclose(file);
}

/*  @returns whether s is well-formed UTF-8 (no overlongs, surrogates or
    code points past U+10FFFF). */
static int s_utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        int n = *p < 0x80 ? 0 : *p >= 0xC2 && *p <= 0xDF ? 1 : *p >= 0xE0 && *p <= 0xEF ? 2
              : *p >= 0xF0 && *p <= 0xF4 ? 3 : -1;
        if (n < 0)
            return 0;
        unsigned cp = n == 0 ? *p : *p & (0x3F >> n);
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += n + 1;
    }
    return 1;
}

/*  The version is echoed in every reply and is a metrics label: it must be
    UTF-8 whatever the first line of VERSION holds, including a long line
    whose cut would fall inside a character. */
static void test_version_is_utf8_whatever_the_file_holds(void)
{
    char long_line[200];
    memset(long_line, 'a', 126);
    strcpy(long_line + 126, "한국 2026\n");
    const char *lines[] = { long_line, "caf\xe9 2026\n", "2026\xed\xa0\x80\n" };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        const char *dir = s_dir_with("companies.tsv", HEADER "company\t005930\t삼성전자\t\t\tKOSPI\n");
        s_write(dir, "VERSION", lines[i]);
        ktag_error_t err = { 0 };
        ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
        CHECK(lex != NULL);
        if (lex) {
            CHECK(s_utf8_ok(ktag_lexicon_version(lex)));
            CHECK(s_utf8_ok(ktag_lexicon_set_version(lex, 0)));
            if (!s_utf8_ok(ktag_lexicon_version(lex)))
                fprintf(stderr, "VERSION line %zu gave a version that is not UTF-8\n", i);
        }
        ktag_lexicon_destroy(&lex);
        s_remove_dir(dir);
    }
}

/*  A fresh empty directory.  @returns its path in `buf`. */
static const char *s_empty_dir(char *buf, size_t size)
{
    static int serial;
    snprintf(buf, size, "%s/ktag-overlay-test-%d-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int) getpid(), serial++);
    mkdir(buf, 0700);
    return buf;
}

typedef struct {
    const char *surface;
    const char *id;   /* found */
} s_find_t;

static void s_find_surface(void *user, const char *surface, size_t len, ktag_type_t type, const char *id)
{
    (void) len;
    (void) type;
    s_find_t *find = user;
    if (strcmp(surface, find->surface) == 0)
        find->id = id;
}

/*  @returns the id the normalized `surface` names in `lex`, or NULL. */
static const char *s_id_of(const ktag_lexicon_t *lex, const char *surface)
{
    s_find_t find = { surface, NULL };
    ktag_lexicon_surfaces(lex, s_find_surface, &find);
    return find.id;
}

static void test_an_overlay_adds_aliases_entities_and_stop_phrases_to_earlier_ids(void)
{
    char overlay[256];
    s_empty_dir(overlay, sizeof overlay);
    s_write(overlay, "VERSION", "watchlist-1\n");
    s_write(overlay, "watch.tsv", HEADER
            "company\t000660\t\t하닉\n"                       /* alias of an id of the first set */
            "company\tx:acme\t에이크미\tACME Corp\t\tNASDAQ\n"); /* a new entity */
    s_write(overlay, "house_stop.tsv", "stop\n삼전 떡밥\n");
    s_write(overlay, "house_josa.tsv", "josa\n께서\n");

    const char *dirs[] = { FIXTURES "/good", overlay };
    ktag_error_t err = { 0 };
    ktag_lexicon_t *base = ktag_lexicon_open(FIXTURES "/good", &err);
    ktag_lexicon_t *lex = ktag_lexicon_open_many(dirs, 2, &err);
    CHECK(base != NULL && lex != NULL);
    if (!base || !lex) {
        fprintf(stderr, "%s\n", err.message);
        ktag_lexicon_destroy(&base);
        s_remove_dir(overlay);
        return;
    }
    CHECK_INT(ktag_lexicon_entity_count(lex, KTAG_TYPE_COMPANY), ktag_lexicon_entity_count(base, KTAG_TYPE_COMPANY) + 1);
    CHECK_INT(ktag_lexicon_alias_count(lex, KTAG_TYPE_COMPANY), ktag_lexicon_alias_count(base, KTAG_TYPE_COMPANY) + 3);
    CHECK_STR(s_id_of(lex, "하닉"), "000660");
    CHECK_STR(s_id_of(lex, "acme corp"), "x:acme");
    CHECK(s_id_of(base, "하닉") == NULL);

    /* Each set keeps its own version; the lexicon's lists them in order. */
    CHECK_INT(ktag_lexicon_set_count(lex), 2);
    CHECK_INT(ktag_lexicon_set_count(base), 1);
    CHECK_STR(ktag_lexicon_set_dir(lex, 0), FIXTURES "/good");
    CHECK_STR(ktag_lexicon_set_dir(lex, 1), overlay);
    CHECK(ktag_lexicon_set_dir(lex, 2) == NULL);
    CHECK_STR(ktag_lexicon_set_version(lex, 0), ktag_lexicon_version(base));
    CHECK(strncmp(ktag_lexicon_set_version(lex, 1), "watchlist-1+", 12) == 0);
    CHECK(ktag_lexicon_set_version(lex, 2) == NULL);
    char expected[512];
    snprintf(expected, sizeof expected, "%s,%s", ktag_lexicon_version(base), ktag_lexicon_set_version(lex, 1));
    CHECK_STR(ktag_lexicon_version(lex), expected);
    snprintf(expected, sizeof expected, "%s:%s", FIXTURES "/good", overlay);
    CHECK_STR(ktag_lexicon_dir(lex), expected);
    CHECK_STR(ktag_lexicon_set_version(base, 0), ktag_lexicon_version(base));
    ktag_lexicon_destroy(&lex);

    /* The overlay's bytes are in its hash: an edit changes its version only. */
    s_write(overlay, "watch.tsv", HEADER "company\t000660\t\t하닉스\n");
    lex = ktag_lexicon_open_many(dirs, 2, &err);
    CHECK(lex != NULL);
    if (lex) {
        CHECK_STR(ktag_lexicon_set_version(lex, 0), ktag_lexicon_version(base));
        CHECK(strcmp(ktag_lexicon_version(lex), expected) != 0);
        CHECK_STR(s_id_of(lex, "하닉스"), "000660");
    }
    ktag_lexicon_destroy(&lex);
    ktag_lexicon_destroy(&base);
    s_remove_dir(overlay);
}

static void test_a_surface_naming_two_ids_across_sets_names_both_files_and_lines(void)
{
    char overlay[256];
    s_empty_dir(overlay, sizeof overlay);
    s_write(overlay, "mine.tsv", HEADER "# my companies\ncompany\tx:hynix-fan\t하이닉스 팬\tSK hynix\n");
    const char *dirs[] = { FIXTURES "/good", overlay };
    ktag_error_t err = { 0 };
    CHECK(ktag_lexicon_open_many(dirs, 2, &err) == NULL);
    CHECK_INT(err.code, KTAG_ERR_LEXICON);
    char expected[768];
    snprintf(expected, sizeof expected,
             "%s/mine.tsv:3: alias 'SK hynix' names 'x:hynix-fan' here and company '000660' at %s/companies.tsv:3",
             overlay, FIXTURES "/good");
    if (!strstr(err.message, expected)) {
        check_failures++;
        fprintf(stderr, "expected an error containing \"%s\", got \"%s\"\n", expected, err.message);
    }

    /* The checker finds the same, naming the files by path. */
    s_problems_t problems = { 0 };
    CHECK_INT(ktag_lexicon_check_many(dirs, 2, s_collect, &problems), 1);
    CHECK(strstr(problems.all, overlay) && strstr(problems.all, "/mine.tsv:3: alias 'SK hynix' names"));

    /* A stop phrase of a later set may not be an entity form of an earlier one. */
    s_write(overlay, "mine.tsv", "stop\n삼전\n");
    CHECK(ktag_lexicon_open_many(dirs, 2, &err) == NULL);
    snprintf(expected, sizeof expected, "%s/mine.tsv:2: stop phrase '삼전' is also a form of company '005930'", overlay);
    CHECK(strstr(err.message, expected) != NULL);

    /* The same set twice gives every form twice, for the same id: fine. */
    const char *twice[] = { FIXTURES "/good", FIXTURES "/good" };
    ktag_lexicon_t *lex = ktag_lexicon_open_many(twice, 2, &err);
    CHECK(lex != NULL);
    ktag_lexicon_destroy(&lex);

    /* A missing overlay is an I/O error naming it, for open and check alike. */
    const char *missing[] = { FIXTURES "/good", "/nonexistent/overlay" };
    CHECK(ktag_lexicon_open_many(missing, 2, &err) == NULL);
    CHECK_INT(err.code, KTAG_ERR_IO);
    CHECK(strstr(err.message, "/nonexistent/overlay") != NULL);
    s_problems_t none = { 0 };
    CHECK(ktag_lexicon_check_many(missing, 2, s_collect, &none) < 0);
    CHECK(strstr(none.all, "/nonexistent/overlay") != NULL);

    /* An overlay without entities is fine; a merged set without any is not. */
    s_write(overlay, "mine.tsv", "cue\n공시\n");
    const char *cues_only[] = { overlay, overlay };
    CHECK(ktag_lexicon_open_many(cues_only, 2, &err) == NULL);
    CHECK(strstr(err.message, "no entities in lexicon directories") != NULL);
    s_remove_dir(overlay);
}

/*  `case`: an acronym that is also an English word (WHO, NEW) is a
    mention only in the capitals the lexicon wrote. */
static void test_case_flag_binds_the_form_as_written(void)
{
    const char *dir = s_dir_with("orgs.tsv", HEADER "org\tx:who\t세계보건기구\norg\tx:who\t\tWHO\tcase\n");
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
    CHECK(lex != NULL);
    ktag_result_t *res = ktag_result_new();
    const char *texts[] = { "WHO 발표", "employees who work", "Who knows", "세계보건기구 발표", "(WHO)" };
    const size_t found[] = { 1, 0, 0, 1, 1 };
    for (size_t i = 0; lex && i < sizeof texts / sizeof *texts; i++) {
        CHECK_INT(ktag_tag(res, lex, texts[i], strlen(texts[i]), NULL, 0, NULL, &err), 0);
        if (ktag_result_entity_count(res) != found[i]) {
            check_failures++;
            fprintf(stderr, "'%s': %zu mentions, expected %zu\n", texts[i], ktag_result_entity_count(res), found[i]);
        }
    }
    ktag_result_destroy(&res);
    ktag_lexicon_destroy(&lex);
    s_remove_dir(dir);

    s_expect_error(HEADER "org\tx:a\t가나\t\tcase\n", "bad.tsv:2: flag 'case' on '가나': only ASCII forms may carry it");
    s_expect_error(HEADER "org\tx:who\tWHO\t\tcase\norg\tx:who\t\tWho\tcase\n",
                   "bad.tsv:3: flag 'case' on 'WHO' and on 'Who': one way of writing it");
}

/*  Ids and attributes go into every result as they are written, and a
    Latin-1 byte there made output that no JSON or msgpack reader takes:
    a cell that is not UTF-8 is a broken row, wherever it is. */
static void test_a_cell_that_is_not_utf8_is_a_broken_row(void)
{
    s_expect_error(HEADER "company\tx:caf\xe9\t카페\n", "bad.tsv:2: invalid UTF-8 at byte offset 13 of the line");
    s_expect_error(HEADER "company\tx:cafe\t카페\t\t\tKOSP\xc9\n", "bad.tsv:2: invalid UTF-8 at byte offset 28 of the line");
    s_expect_error("type\tid\tname\taliases\tflags\tsoci\xe9t\xe9\ncompany\tx:cafe\t카페\n",
                   "bad.tsv:1: invalid UTF-8 at byte offset 31 of the line");
}

/*  Notepad and spreadsheets save "UTF-8" with a byte-order mark: the
    header `type id name ...` was then reported as an unknown header, and
    a BOM before a comment made the comment the header. */
static void test_a_byte_order_mark_at_the_top_of_a_file_is_ignored(void)
{
    const char *dir = s_dir_with("companies.tsv", "\xEF\xBB\xBF" HEADER "company\t005930\t삼성전자\t삼전\t\tKOSPI\n");
    s_write(dir, "stop.tsv", "\xEF\xBB\xBF# house stop phrases\nstop\n(상보)\n");
    s_write(dir, "VERSION", "\xEF\xBB\xBF" "2026.12.01\n");
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
    CHECK(lex != NULL);
    if (!lex)
        fprintf(stderr, "%s\n", err.message);
    if (lex) {
        CHECK_INT(ktag_lexicon_alias_count(lex, KTAG_TYPE_COMPANY), 2);
        CHECK(strncmp(ktag_lexicon_version(lex), "2026.12.01+", 11) == 0);
    }
    ktag_lexicon_destroy(&lex);
    s_remove_dir(dir);
}

int main(void)
{
    test_a_byte_order_mark_at_the_top_of_a_file_is_ignored();
    test_a_cell_that_is_not_utf8_is_a_broken_row();
    test_an_overlay_adds_aliases_entities_and_stop_phrases_to_earlier_ids();
    test_a_surface_naming_two_ids_across_sets_names_both_files_and_lines();
    test_good_fixture_loads_with_counts_and_version();
    test_broken_files_name_file_line_and_problem();
    test_one_alias_may_carry_a_flag_on_a_second_row();
    test_case_flag_binds_the_form_as_written();
    test_a_stop_phrase_may_not_be_an_entity_form();
    test_missing_and_empty_directories_fail_clearly();
    test_check_reports_every_problem_and_goes_on();
    test_version_is_utf8_whatever_the_file_holds();
    return check_report("test_lexicon");
}
