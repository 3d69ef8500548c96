/*  lexicon.c - `ktag lexicon check` and the dispatch of `ktag lexicon ...`.

    `check` validates one set or several merged in order (-L DIR or DIR
    arguments, else $KTAG_LEXICONS, else the bundled set) and then loads
    them, since loading is what users will hit.  Exit 0 clean, 1 problems,
    2 usage.
*/
#include "ktag_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ktag_lexdir.h"

#define S_EXIT_USAGE 2

char *
ktag_cli_join(const char *const *parts, size_t count, const char *sep)
{
    ktag_cli_buf_t buf = {0};
    for (size_t i = 0; i < count; i++)
        ktag_cli_buf_printf(&buf, "%s%s", i ? sep : "", parts[i]);
    ktag_cli_buf_append(&buf, "", 1);
    return buf.data;
}

typedef struct {
    const char *dir;    /* the one set's directory, or NULL when several (files are paths) */
    int problems;
} s_check_t;

static void
s_problem(void *user, const char *file, int line, const char *message)
{
    s_check_t *c = user;
    c->problems++;
    const char *dir = c->dir ? c->dir : "";
    const char *slash = c->dir ? "/" : "";
    if (file && line > 0)
        printf("%s%s%s:%d: %s\n", dir, slash, file, line, message);
    else if (file)
        printf("%s%s%s: %s\n", dir, slash, file, message);
    else if (c->dir)
        printf("%s: %s\n", c->dir, message);
    else
        printf("%s\n", message);
}

void
ktag_cli_log(void *user, ktag_log_level_t level, const char *message)
{
    (void) user;
    if (level <= KTAG_LOG_WARNING)
        fprintf(stderr, "ktag: %s: %s\n", level == KTAG_LOG_ERROR ? "error" : "warning", message);
}

int
ktag_cli_lexicon_verify(const char *const *dirs, size_t count, const char *label, int allowed)
{
    char *list = ktag_cli_join(dirs, count, ":");
    s_check_t c = {count == 1 ? label : NULL, 0};
    ktag_set_log_handler(ktag_cli_log, NULL);
    int n = ktag_lexicon_check_many(dirs, count, s_problem, &c);
    int rc = 1;
    if (n < 0) {
        if (c.problems == 0)    /* the checker usually says why itself */
            printf("%s: cannot read lexicon directory: %s\n", list, ktag_strerror(n));
    } else if (n <= allowed && c.problems <= allowed) {
        /* The checker and the loader should agree; if they do not, loading
         * is what users will hit, so it has the last word. */
        ktag_error_t err;
        ktag_lexicon_t *lex = ktag_lexicon_open_many(dirs, count, &err);
        if (!lex) {
            printf("%s: %s\n", list, err.message);
        } else {
            fprintf(stderr, "%s: ok, %zu companies, %zu orgs, %zu chips, %zu funding ids, "
                            "%zu surface forms, loaded in %.0f ms (%s)\n",
                    count == 1 ? label : list, ktag_lexicon_entity_count(lex, KTAG_TYPE_COMPANY),
                    ktag_lexicon_entity_count(lex, KTAG_TYPE_ORG),
                    ktag_lexicon_entity_count(lex, KTAG_TYPE_CHIP),
                    ktag_lexicon_entity_count(lex, KTAG_TYPE_FUNDING),
                    ktag_lexicon_alias_count(lex, KTAG_TYPE_COMPANY)
                        + ktag_lexicon_alias_count(lex, KTAG_TYPE_ORG)
                        + ktag_lexicon_alias_count(lex, KTAG_TYPE_CHIP)
                        + ktag_lexicon_alias_count(lex, KTAG_TYPE_FUNDING),
                    ktag_lexicon_load_ms(lex), ktag_lexicon_version(lex));
            ktag_lexicon_destroy(&lex);
            rc = 0;
        }
    } else {
        int total = c.problems > n ? c.problems : n;
        fprintf(stderr, "ktag: %s: %d problem%s\n", count == 1 ? label : list, total,
                total == 1 ? "" : "s");
    }
    free(list);
    return rc;
}

static const char s_check_usage[] =
    "Usage: ktag lexicon check [-L DIR]... [DIR]...\n"
    "       ktag lexicon update --krx-listing FILE [-L DIR] [--date YYYY-MM-DD] [--dry-run] [--force]\n";

/* `ktag lexicon check [DIR]...`: every problem as file:line: message. */
static int
s_check(int argc, char **argv)
{
    static const struct option options[] = {
        {"lexicons", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *flags[KTAG_LEXDIR_MAX];
    size_t nflags = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "L:h", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(s_check_usage, stdout);
            return 0;
        }
        if (c != 'L' || nflags == KTAG_LEXDIR_MAX) {
            fputs(s_check_usage, stderr);
            return S_EXIT_USAGE;
        }
        flags[nflags++] = optarg;
    }
    for (; optind < argc; optind++) {
        if (nflags == KTAG_LEXDIR_MAX) {
            fputs(s_check_usage, stderr);
            return S_EXIT_USAGE;
        }
        flags[nflags++] = argv[optind];
    }
    const char *dirs[KTAG_LEXDIR_MAX];
    size_t count = ktag_lexdir_resolve_many(flags, nflags, dirs);
    if (count == 0) {
        fprintf(stderr, "ktag: too many lexicon sets (at most %d)\n", KTAG_LEXDIR_MAX);
        return S_EXIT_USAGE;
    }
    return ktag_cli_lexicon_verify(dirs, count, dirs[0], 0);
}

int
ktag_cli_lexicon_main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[2], "check") == 0)
        return s_check(argc - 2, argv + 2);
    if (argc >= 3 && strcmp(argv[2], "update") == 0)
        return ktag_cli_lexicon_update(argc - 2, argv + 2);
    fputs(s_check_usage, stderr);
    return S_EXIT_USAGE;
}
