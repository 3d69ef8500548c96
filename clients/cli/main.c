/*  main.c - `ktag`: tag files and streams of Korean financial news.

    Parses the command line, loads the lexicon (or connects to ktagd), and
    hands the inputs to the pipeline.  Exit status: 0 when every document
    was tagged, 1 when any failed (or the run could not complete), 2 for a
    usage error.
*/
#include "ktag_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktag_lexdir.h"

#define S_EXIT_USAGE 2

static const char s_usage[] =
    "Usage: ktag [OPTIONS] [FILE|DIR|-]...\n"
    "       ktag lexicon check [DIR]...\n"
    "       ktag lexicon update --krx-listing FILE [-L DIR]\n"
    "\n"
    "Tag Korean financial news with companies, orgs, chips, funding events and\n"
    "sentiment.  With no FILE, or with -, read standard input.  Directories are\n"
    "read recursively in name order (hidden entries skipped).\n"
    "\n"
    "Input:\n"
    "  -i, --input FORMAT      text (one document per file, the default),\n"
    "                          lines (one document per line), jsonl, msgpack\n"
    "      --text-field NAME   jsonl/msgpack key of the text (default: text)\n"
    "      --id-field NAME     jsonl/msgpack key of the id (default: id)\n"
    "      --title-field NAME  jsonl/msgpack key of the optional title (default: title)\n"
    "Output:\n"
    "  -f, --format FORMAT     jsonl (default), msgpack, tsv, pretty\n"
    "  -o, --output FILE       write to FILE instead of standard output\n"
    "Tagging:\n"
    "  -L, --lexicons DIR      lexicon directory; repeat to merge sets in order\n"
    "                          (default: $KTAG_LEXICONS, ':'-separated, else the\n"
    "                          bundled set; an empty entry is the bundled set)\n"
    "      --types LIST        only these types, comma-separated:\n"
    "                          company,org,chip,funding,events (events are\n"
    "                          on with a list only when it names them)\n"
    "      --offsets UNIT      codepoint (default), byte or utf16\n"
    "      --no-sentiment      skip sentiment\n"
    "      --no-events         skip events (funding, price moves, target\n"
    "                          prices, earnings, contracts)\n"
    "      --overlaps          report every match, not only leftmost-longest\n"
    "      --explain           add sentences, the terms behind the sentiment and\n"
    "                          the rule behind each event\n"
    "Running:\n"
    "  -j, --jobs N            worker threads (default 1; 0 = one per CPU);\n"
    "                          output stays in input order\n"
    "  -c, --connect ENDPOINT  tag through a running ktagd (e.g. tcp://127.0.0.1:5555)\n"
    "      --batch N           --connect: documents per request, 1-10000 (default 64;\n"
    "                          a batch also ends before 1 MiB); 1 sends no batches\n"
    "      --window N          --connect: documents in flight (default 16 batches,\n"
    "                          256 without batches; at most 500 without)\n"
    "      --timeout SECONDS   --connect: a request without a reply after this long\n"
    "                          is sent again on a new connection (default 10)\n"
    "      --retries N         --connect: times it is sent again before ktag gives\n"
    "                          up, naming the documents (default 3)\n"
    "      --progress, --no-progress\n"
    "                          progress bar on stderr (default: when stderr is a\n"
    "                          terminal)\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show versions and the lexicon directory\n"
    "\n"
    "Document ids: text input uses the file path; lines input the line number\n"
    "(\"FILE:N\" when several files are read); jsonl/msgpack echo the id field.\n"
    "Empty lines are skipped in lines input; an empty text (an empty file, \"text\": \"\")\n"
    "is an error (bad_request); whitespace-only text is a document.\n"
    "A document that cannot be tagged becomes an error object at its place in the\n"
    "output and a FILE:LINE message on stderr; the others are still tagged.\n"
    "Exit status: 0 all tagged, 1 some document failed or the run could not go on\n"
    "(lexicon, input, output or daemon: stderr says which), 2 usage error.\n";

static void
s_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
s_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ktag: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'ktag --help' for more information.\n");
    exit(S_EXIT_USAGE);
}

static long
s_parse_long(const char *arg, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max)
        s_usage_error("invalid %s '%s' (expected %ld..%ld)", what, arg, min, max);
    return v;
}

static unsigned
s_parse_types(const char *list, bool *events)
{
    unsigned mask = 0;
    *events = false;
    char *copy = strdup(list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        ktag_type_t type;
        if (strcmp(tok, "events") == 0) {
            *events = true;
            continue;
        }
        if (ktag_type_from_name(tok, &type) != 0)
            s_usage_error("unknown type '%s' (expected company, org, chip, funding or events)", tok);
        mask |= 1u << type;
    }
    free(copy);
    if (!mask && !*events)
        s_usage_error("--types needs at least one type");
    return mask;
}

enum {
    OPT_TEXT_FIELD = 256,
    OPT_ID_FIELD,
    OPT_TITLE_FIELD,
    OPT_NO_SENTIMENT,
    OPT_NO_EVENTS,
    OPT_TYPES,
    OPT_OFFSETS,
    OPT_OVERLAPS,
    OPT_EXPLAIN,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_WINDOW,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_BATCH,
};

static const struct option s_options[] = {
    {"input", required_argument, NULL, 'i'},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"title-field", required_argument, NULL, OPT_TITLE_FIELD},
    {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"jobs", required_argument, NULL, 'j'},
    {"connect", required_argument, NULL, 'c'},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"lexicons", required_argument, NULL, 'L'},
    {"no-sentiment", no_argument, NULL, OPT_NO_SENTIMENT},
    {"no-events", no_argument, NULL, OPT_NO_EVENTS},
    {"types", required_argument, NULL, OPT_TYPES},
    {"offsets", required_argument, NULL, OPT_OFFSETS},
    {"overlaps", no_argument, NULL, OPT_OVERLAPS},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "lexicon") == 0)
        return ktag_cli_lexicon_main(argc, argv);

    ktag_cli_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.text_field = "text";
    cfg.id_field = "id";
    cfg.title_field = "title";
    cfg.jobs = 1;
    cfg.window = 0;             /* after the options: it depends on --batch */
    cfg.batch = 64;
    cfg.timeout = 10.0;
    cfg.retries = 3;
    cfg.progress = -1;
    ktag_options_init(&cfg.options);
    const char *lexicon_flags[KTAG_LEXDIR_MAX];
    size_t lexicon_flag_count = 0;
    bool show_version = false;
    bool types_given = false, types_events = false, no_events = false;

    int c;
    while ((c = getopt_long(argc, argv, "i:f:o:j:c:L:hV", s_options, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (strcmp(optarg, "text") == 0)
                cfg.input = KTAG_CLI_IN_TEXT;
            else if (strcmp(optarg, "lines") == 0)
                cfg.input = KTAG_CLI_IN_LINES;
            else if (strcmp(optarg, "jsonl") == 0)
                cfg.input = KTAG_CLI_IN_JSONL;
            else if (strcmp(optarg, "msgpack") == 0)
                cfg.input = KTAG_CLI_IN_MSGPACK;
            else
                s_usage_error("unknown input format '%s' (expected text, lines, jsonl or msgpack)", optarg);
            break;
        case 'f':
            if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "json") == 0)
                cfg.output = KTAG_CLI_OUT_JSONL;
            else if (strcmp(optarg, "msgpack") == 0)
                cfg.output = KTAG_CLI_OUT_MSGPACK;
            else if (strcmp(optarg, "tsv") == 0)
                cfg.output = KTAG_CLI_OUT_TSV;
            else if (strcmp(optarg, "pretty") == 0)
                cfg.output = KTAG_CLI_OUT_PRETTY;
            else
                s_usage_error("unknown output format '%s' (expected jsonl, msgpack, tsv or pretty)", optarg);
            break;
        case 'o':
            cfg.output_path = optarg;
            break;
        case 'j':
            cfg.jobs = (int) s_parse_long(optarg, "number of jobs", 0, 1024);
            if (cfg.jobs == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                cfg.jobs = n > 0 ? (int) n : 1;
            }
            break;
        case 'c':
            cfg.connect = optarg;
            break;
        case OPT_WINDOW:
            cfg.window = (int) s_parse_long(optarg, "window", 1, 1 << 20);
            break;
        case OPT_BATCH:
            cfg.batch = (int) s_parse_long(optarg, "batch", 1, 10000);
            break;
        case OPT_TIMEOUT: {
            char *end;
            cfg.timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(cfg.timeout > 0))
                s_usage_error("invalid timeout '%s' (expected seconds > 0)", optarg);
            break;
        }
        case OPT_RETRIES:
            cfg.retries = (int) s_parse_long(optarg, "retries", 0, 1000);
            break;
        case 'L':
            if (lexicon_flag_count == KTAG_LEXDIR_MAX)
                s_usage_error("too many lexicon sets (at most %d): %s", KTAG_LEXDIR_MAX, optarg);
            lexicon_flags[lexicon_flag_count++] = optarg;
            break;
        case OPT_TEXT_FIELD:
            cfg.text_field = optarg;
            break;
        case OPT_ID_FIELD:
            cfg.id_field = optarg;
            break;
        case OPT_TITLE_FIELD:
            cfg.title_field = optarg;
            break;
        case OPT_NO_SENTIMENT:
            cfg.options.sentiment = false;
            break;
        case OPT_TYPES:
            cfg.options.types = s_parse_types(optarg, &types_events);
            types_given = true;
            break;
        case OPT_NO_EVENTS:
            no_events = true;
            break;
        case OPT_OFFSETS:
            if (ktag_offset_unit_from_name(optarg, &cfg.options.offsets) != 0)
                s_usage_error("unknown offset unit '%s' (expected codepoint, byte or utf16)", optarg);
            break;
        case OPT_OVERLAPS:
            cfg.options.overlaps = true;
            break;
        case OPT_EXPLAIN:
            cfg.options.explain = true;
            break;
        case OPT_PROGRESS:
            cfg.progress = 1;
            break;
        case OPT_NO_PROGRESS:
            cfg.progress = 0;
            break;
        case 'h':
            fputs(s_usage, stdout);
            return 0;
        case 'V':
            show_version = true;
            break;
        default:
            fprintf(stderr, "Try 'ktag --help' for more information.\n");
            return S_EXIT_USAGE;
        }
    }
    /*  Events are on by default; a --types list turns them on only when it
        names them; --no-events always wins. */
    if (types_given)
        cfg.options.events = types_events;
    if (no_events)
        cfg.options.events = false;
    /* Without batches a window is as many messages: against ktagd's
     * default queues, windows of 900 and more lose replies now and then
     * (ZeroMQ high-water marks drop rather than block); 500 never did. */
    if (cfg.batch == 1 && cfg.window > 500)
        s_usage_error("%s: at most 500 documents in flight without batches", "--window");
    if (cfg.window == 0)
        cfg.window = cfg.batch == 1 ? 256 : cfg.batch < 1024 ? cfg.batch * 16 : 16384;
    const char *lexicon_dirs[KTAG_LEXDIR_MAX];
    size_t lexicon_count = ktag_lexdir_resolve_many(lexicon_flags, lexicon_flag_count, lexicon_dirs);
    if (lexicon_count == 0)
        s_usage_error("too many lexicon sets in $KTAG_LEXICONS (at most %d)", KTAG_LEXDIR_MAX);
    char *lexicon_list = ktag_cli_join(lexicon_dirs, lexicon_count, ":");
    cfg.lexicon_dir = lexicon_list;
    if (show_version) {
        printf("ktag %s (libktag %s)\nlexicons: %s (%s)\n", KTAG_CLI_VERSION, ktag_version(),
               cfg.lexicon_dir, ktag_lexdir_origin(lexicon_flag_count ? lexicon_flags[0] : NULL));
        free(lexicon_list);
        return 0;
    }

    /* jansson seeds its hash function on first use; do it before threads. */
    json_object_seed(0);
    ktag_set_log_handler(ktag_cli_log, NULL);

    ktag_lexicon_t *lexicon = NULL;
    if (!cfg.connect) {
        ktag_error_t err;
        lexicon = ktag_lexicon_open_many(lexicon_dirs, lexicon_count, &err);
        if (!lexicon) {
            fprintf(stderr, "ktag: cannot load lexicons from %s: %s\n", cfg.lexicon_dir, err.message);
            free(lexicon_list);
            return 1;
        }
    }

    ktag_cli_sink_t sink;
    memset(&sink, 0, sizeof sink);
    sink.out = stdout;
    if (cfg.output_path && strcmp(cfg.output_path, "-") != 0) {
        sink.out = fopen(cfg.output_path, "w");
        if (!sink.out) {
            fprintf(stderr, "ktag: cannot write %s: %s\n", cfg.output_path, strerror(errno));
            ktag_lexicon_destroy(&lexicon);
            free(lexicon_list);
            return 1;
        }
    }
    /* Large writes: output is a stream of small objects.  A person watching
     * a terminal gets each document as soon as it is done instead. */
    sink.out_is_tty = isatty(fileno(sink.out));
    /* glibc ignores the size when setvbuf() gets no buffer: give it one,
     * static so that it outlives every write, stdout's last flush included. */
    static char outbuf[1 << 20];
    if (!sink.out_is_tty)
        setvbuf(sink.out, outbuf, _IOFBF, sizeof outbuf);

    ktag_cli_reader_t *reader = ktag_cli_reader_new(&cfg, argv + optind, argc - optind);
    sink.progress = ktag_cli_progress_new(cfg.progress, ktag_cli_reader_total_bytes(reader));
    const char *header = ktag_cli_format_header(&cfg);
    if (header)
        fputs(header, sink.out);

    int rc = cfg.connect ? ktag_cli_run_remote(&cfg, reader, &sink)
                         : ktag_cli_run_local(&cfg, lexicon, reader, &sink);

    ktag_cli_progress_destroy(&sink.progress);
    int status = rc == 0 && sink.failed == 0 && sink.input_errors == 0 ? 0 : 1;
    if (fflush(sink.out) != 0 || ferror(sink.out)) {
        fprintf(stderr, "ktag: write error: %s\n", strerror(errno));
        status = 1;
    }
    if (sink.out != stdout)
        fclose(sink.out);
    if (sink.failed)
        fprintf(stderr, "ktag: %llu of %llu documents failed\n",
                (unsigned long long) sink.failed, (unsigned long long) sink.documents);
    if (sink.input_errors)
        fprintf(stderr, "ktag: %llu input%s could not be read\n", (unsigned long long) sink.input_errors,
                sink.input_errors == 1 ? "" : "s");
    ktag_cli_reader_destroy(&reader);
    ktag_lexicon_destroy(&lexicon);
    free(lexicon_list);
    return status;
}
