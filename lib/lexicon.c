/*  lexicon.c - loads a directory of TSV lexicon files (docs/LEXICONS.md)
    into entities, patterns and one matcher; validates lexicons.

    Loading and checking are one code path: a problem either aborts the load
    with `file:line: what` in the error, or, when checking, is reported to
    the caller's callback and the walk goes on.
*/
#include "lexicon_internal.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unicode/utf8.h>

#include "events.h"
#include "guess.h"
#include "normalize.h"
#include "util.h"

/*  Entity files have these columns first; attribute columns follow. */
#define S_ENTITY_COLUMNS 5

typedef enum { S_FILE_ENTITY, S_FILE_JOSA, S_FILE_CUE, S_FILE_SENTIMENT, S_FILE_STOP } s_file_kind_t;

typedef struct {
    uint16_t file;
    uint32_t line;
} s_origin_t;

typedef struct {
    ktag_lexicon_t *lex;
    ktag_matcher_builder_t *builder;
    size_t pattern_cap, forms_cap;
    s_origin_t *origins;     /* where a pattern's entity form was first defined */
    size_t origins_cap;
    size_t entry_cap;
    s_origin_t *entry_origins;
    size_t entry_origins_cap;
    int32_t *id_table;       /* open addressing over (type, id) -> entry */
    size_t id_table_size;
    size_t josa_cap;
    char **files;            /* base names (one set) or paths (several), for messages */
    size_t file_count, files_cap;
    bool many;               /* several sets: files are named by path */
    uint16_t file;           /* file being read */
    uint32_t line;           /* line being read */
    /* reporting */
    bool checking;
    ktag_problem_fn *problem_fn;
    void *problem_user;
    int problems;
    ktag_error_t *err;
    bool failed;
    uint32_t hash;
} s_loader_t;

/*  Report a problem at the current file and line (line 0: set-wide).
    @returns -1 when loading must stop, 0 when checking goes on. */
static int s_problem(s_loader_t *loader, uint32_t line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int s_problem(s_loader_t *loader, uint32_t line, const char *format, ...)
{
    char message[400];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    const char *file = loader->file_count ? loader->files[loader->file] : NULL;
    loader->problems++;
    if (loader->checking) {
        if (loader->problem_fn)
            loader->problem_fn(loader->problem_user, file, (int) line, message);
        return 0;
    }
    if (!loader->failed) {
        if (file)
            ktag_error_set(loader->err, KTAG_ERR_LEXICON, "%s:%u: %s", file, line, message);
        else
            ktag_error_set(loader->err, KTAG_ERR_LEXICON, "%s", message);
    }
    loader->failed = true;
    return -1;
}

static int s_nomem(s_loader_t *loader)
{
    ktag_error_set(loader->err, KTAG_ERR_NOMEM, "out of memory while loading lexicons");
    loader->failed = true;
    return -1;
}

/*  Report a problem of the whole set, tied to no file.  @returns as s_problem. */
static int s_problem_setwide(s_loader_t *loader, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static int s_problem_setwide(s_loader_t *loader, const char *format, ...)
{
    char message[400];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    size_t files = loader->file_count;
    loader->file_count = 0;
    int rc = s_problem(loader, 0, "%s", message);
    loader->file_count = files;
    return rc;
}

/*  @returns a new "dir/name", or NULL when out of memory. */
static char *s_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s/%s", dir, name);
    return path;
}

/* ---------------------------------------------------------------- ids */

static size_t s_id_slot(const s_loader_t *loader, ktag_type_t type, const char *id)
{
    uint32_t hash = ktag_fnv1a(KTAG_FNV1A_START ^ (uint32_t) type, id, strlen(id));
    size_t mask = loader->id_table_size - 1;
    size_t slot = hash & mask;
    while (loader->id_table[slot] >= 0) {
        const ktag_entry_t *entry = &loader->lex->entries[loader->id_table[slot]];
        if (entry->type == type && strcmp(entry->id, id) == 0)
            break;
        slot = (slot + 1) & mask;
    }
    return slot;
}

static int s_id_table_grow(s_loader_t *loader)
{
    size_t size = loader->id_table_size ? loader->id_table_size * 2 : 4096;
    int32_t *table = malloc(size * sizeof *table);
    if (!table)
        return -1;
    for (size_t i = 0; i < size; i++)
        table[i] = -1;
    free(loader->id_table);
    loader->id_table = table;
    loader->id_table_size = size;
    for (size_t e = 0; e < loader->lex->entry_count; e++) {
        const ktag_entry_t *entry = &loader->lex->entries[e];
        loader->id_table[s_id_slot(loader, entry->type, entry->id)] = (int32_t) e;
    }
    return 0;
}

/*  An id or a name longer than this is a broken row (a lost tab, a file
    pasted into a cell); results carry their lengths in 32 bits. */
#define S_MAX_NAME_BYTES 4096

/*  @returns the entry of (type, id), created when new; -1 when out of memory. */
static int32_t s_entry(s_loader_t *loader, ktag_type_t type, const char *id)
{
    ktag_lexicon_t *lex = loader->lex;
    if ((lex->entry_count + 1) * 2 > loader->id_table_size && s_id_table_grow(loader))
        return -1;
    size_t slot = s_id_slot(loader, type, id);
    if (loader->id_table[slot] >= 0)
        return loader->id_table[slot];
    if (KTAG_RESERVE(lex->entries, loader->entry_cap, lex->entry_count + 1)
        || KTAG_RESERVE(loader->entry_origins, loader->entry_origins_cap, lex->entry_count + 1))
        return -1;
    ktag_entry_t *entry = &lex->entries[lex->entry_count];
    memset(entry, 0, sizeof *entry);
    entry->type = type;
    entry->id = strdup(id);
    if (!entry->id)
        return -1;
    entry->id_len = (uint32_t) strlen(id);   /* at most S_MAX_NAME_BYTES */
    loader->entry_origins[lex->entry_count] = (s_origin_t) { loader->file, loader->line };
    loader->id_table[slot] = (int32_t) lex->entry_count;
    lex->entity_counts[type]++;
    return (int32_t) lex->entry_count++;
}

/* ----------------------------------------------------------- patterns */

/*  True when the pattern is a sentiment term and nothing else. */
static bool s_sentiment_only(const ktag_pattern_t *pattern)
{
    return pattern->sentiment >= 0 && pattern->entry < 0 && !pattern->cue && !pattern->stop && !pattern->guess
           && pattern->event_word < 0;
}

/*  Add a normalized form to the matcher.  @returns its pattern index, or
    -1 when out of memory. */
static int32_t s_pattern(s_loader_t *loader, const char *norm)
{
    ktag_lexicon_t *lex = loader->lex;
    size_t len = strlen(norm);
    int32_t id = ktag_matcher_builder_add(loader->builder, norm, len);
    if (id < 0)
        return -1;
    if ((size_t) id == lex->pattern_count) {
        if (KTAG_RESERVE(lex->patterns, loader->pattern_cap, lex->pattern_count + 1)
            || KTAG_RESERVE(lex->forms, loader->forms_cap, lex->pattern_count + 1)
            || KTAG_RESERVE(loader->origins, loader->origins_cap, lex->pattern_count + 1))
            return -1;
        lex->forms[id] = strdup(norm);
        if (!lex->forms[id])
            return -1;
        lex->patterns[id] = (ktag_pattern_t) { -1, -1, (uint32_t) len, 0, 0, 0, 0, -1 };
        lex->pattern_count++;
    }
    return id;
}

static const char *s_attr_key(ktag_lexicon_t *lex, const char *key)
{
    for (size_t i = 0; i < lex->attr_key_count; i++)
        if (strcmp(lex->attr_keys[i], key) == 0)
            return lex->attr_keys[i];
    char **keys = realloc(lex->attr_keys, (lex->attr_key_count + 1) * sizeof *keys);
    if (!keys)
        return NULL;
    lex->attr_keys = keys;
    keys[lex->attr_key_count] = strdup(key);
    return keys[lex->attr_key_count] ? keys[lex->attr_key_count++] : NULL;
}

static char *s_trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t len = strlen(s);
    while (len && s[len - 1] == ' ')
        s[--len] = '\0';
    return s;
}

static int s_parse_flags(s_loader_t *loader, char *text, uint8_t *flags)
{
    *flags = 0;
    for (char *save = NULL, *flag = strtok_r(text, ",", &save); flag; flag = strtok_r(NULL, ",", &save)) {
        flag = s_trim(flag);
        if (strcmp(flag, "ambiguous") == 0)
            *flags |= KTAG_FLAG_AMBIGUOUS;
        else if (strcmp(flag, "short") == 0)
            *flags |= KTAG_FLAG_SHORT;
        else if (strcmp(flag, "glue") == 0)
            *flags |= KTAG_FLAG_GLUE;
        else if (strcmp(flag, "case") == 0)
            *flags |= KTAG_FLAG_CASE;
        else if (*flag && s_problem(loader, loader->line,
                                    "unknown flag '%s' (expected ambiguous, short, glue or case)", flag))
            return -1;
    }
    return 0;
}

/*  The written form kept for `pattern`, or NULL: the list is short. */
static const ktag_case_form_t *s_case_form(const ktag_lexicon_t *lex, int32_t pattern)
{
    for (size_t i = 0; i < lex->case_form_count; i++)
        if (lex->case_forms[i].pattern == pattern)
            return &lex->case_forms[i];
    return NULL;
}

/*  Keep how a form with the `case` flag is written.  Only ASCII forms may
    carry it: their normalized form is the same bytes with small letters,
    so the scan compares the match with the written bytes. */
static int s_add_case_form(s_loader_t *loader, int32_t pattern, const char *form)
{
    ktag_lexicon_t *lex = loader->lex;
    for (const unsigned char *c = (const unsigned char *) form; *c; c++)
        if (*c >= 0x80)
            return s_problem(loader, loader->line, "flag 'case' on '%s': only ASCII forms may carry it", form);
    const ktag_case_form_t *kept = s_case_form(lex, pattern);
    if (kept)
        return strcmp(kept->written, form) == 0
                   ? 0
                   : s_problem(loader, loader->line, "flag 'case' on '%s' and on '%s': one way of writing it",
                               kept->written, form);
    ktag_case_form_t *grown = realloc(lex->case_forms, (lex->case_form_count + 1) * sizeof *grown);
    if (!grown)
        return s_nomem(loader);
    lex->case_forms = grown;
    char *written = strdup(form);
    if (!written)
        return s_nomem(loader);
    lex->case_forms[lex->case_form_count++] = (ktag_case_form_t) { pattern, written };
    return 0;
}

bool ktag_lexicon_case_matches(const ktag_lexicon_t *lex, int32_t pattern, const char *text)
{
    const ktag_case_form_t *kept = s_case_form(lex, pattern);
    return !kept || memcmp(kept->written, text, lex->patterns[pattern].len) == 0;
}

/*  One surface form (a name or an alias) of entry `e`. */
static int s_add_form(s_loader_t *loader, int32_t e, const char *form, uint8_t flags)
{
    ktag_lexicon_t *lex = loader->lex;
    if (!*form)
        return s_problem(loader, loader->line, "empty alias in '%s'", lex->entries[e].id);
    if (loader->checking && !ktag_is_nfc(form)
        && s_problem(loader, loader->line, "'%s' is not in NFC", form))
        return -1;
    ktag_error_t norm_err = { 0 };
    char *norm = ktag_normalize_string(form, &norm_err);
    if (!norm)
        return norm_err.code == KTAG_ERR_NOMEM ? s_nomem(loader)
                                               : s_problem(loader, loader->line, "'%s': %s", form, norm_err.message);
    int rc = 0;
    if (!*norm) {
        rc = s_problem(loader, loader->line, "'%s' normalizes to nothing", form);
    } else if (ktag_count_codepoints(norm, 0, strlen(norm)) < 2 && !(flags & KTAG_FLAG_SHORT)) {
        rc = s_problem(loader, loader->line, "alias '%s' of '%s' is a single character: flag the row 'short'",
                       form, lex->entries[e].id);
    } else {
        int32_t p = s_pattern(loader, norm);
        if (p < 0) {
            rc = s_nomem(loader);
        } else {
            ktag_pattern_t *pattern = &lex->patterns[p];
            if (pattern->stop) {
                rc = s_problem(loader, loader->line, "'%s' of '%s' is also a stop phrase", form, lex->entries[e].id);
            } else if (pattern->entry < 0) {
                pattern->entry = e;
                pattern->flags = flags;
                loader->origins[p] = (s_origin_t) { loader->file, loader->line };
            } else if (pattern->entry == e) {
                pattern->flags |= flags;
            } else {
                const ktag_entry_t *other = &lex->entries[pattern->entry];
                s_origin_t origin = loader->origins[p];
                rc = s_problem(loader, loader->line, "alias '%s' names '%s' here and %s '%s' at %s:%u",
                               form, lex->entries[e].id, ktag_type_name(other->type), other->id,
                               loader->files[origin.file], origin.line);
            }
            if (!rc && (flags & KTAG_FLAG_CASE))
                rc = s_add_case_form(loader, p, form);
        }
    }
    free(norm);
    return rc;
}

static int s_set_attr(s_loader_t *loader, ktag_entry_t *entry, const char *key, const char *value)
{
    for (size_t i = 0; i < entry->attr_count; i++) {
        if (strcmp(entry->attrs[i].key, key) == 0) {
            if (strcmp(entry->attrs[i].value, value) == 0)
                return 0;
            return s_problem(loader, loader->line, "attribute %s of '%s' is '%s' here but '%s' before",
                             key, entry->id, value, entry->attrs[i].value);
        }
    }
    /*  One at a time: a grown array must be kept even when the key
        cannot be interned, or the entry points at the freed one. */
    const char *interned = s_attr_key(loader->lex, key);
    if (!interned)
        return s_nomem(loader);
    ktag_attr_t *attrs = realloc((void *) entry->attrs, (entry->attr_count + 1) * sizeof *attrs);
    if (!attrs)
        return s_nomem(loader);
    entry->attrs = attrs;
    char *copy = strdup(value);
    if (!copy)
        return s_nomem(loader);
    attrs[entry->attr_count] = (ktag_attr_t) { interned, copy, strlen(interned), strlen(copy) };
    entry->attr_count++;
    return 0;
}

static int s_entity_row(s_loader_t *loader, char **cols, size_t ncols, char **header)
{
    ktag_lexicon_t *lex = loader->lex;
    ktag_type_t type;
    if (ktag_type_from_name(cols[0], &type))
        return s_problem(loader, loader->line, "unknown type '%s' (expected company, org, chip or funding)",
                         cols[0]);
    char *id = s_trim(cols[1]);
    if (!*id)
        return s_problem(loader, loader->line, "empty id");
    char *name = s_trim(cols[2]);
    size_t id_len = strlen(id), name_len = strlen(name);
    if (id_len > S_MAX_NAME_BYTES)
        return s_problem(loader, loader->line, "id of %zu bytes (at most %d)", id_len, S_MAX_NAME_BYTES);
    if (name_len > S_MAX_NAME_BYTES)
        return s_problem(loader, loader->line, "name of %zu bytes (at most %d)", name_len, S_MAX_NAME_BYTES);
    uint8_t flags;
    if (s_parse_flags(loader, cols[4], &flags))
        return -1;
    int32_t e = s_entry(loader, type, id);
    if (e < 0)
        return s_nomem(loader);
    ktag_entry_t *entry = &lex->entries[e];
    if (*name && !entry->name) {
        if (!(entry->name = strdup(name)))
            return s_nomem(loader);
        entry->name_len = (uint32_t) name_len;
    }
    for (size_t c = S_ENTITY_COLUMNS; c < ncols; c++) {
        char *value = s_trim(cols[c]);
        /*  An unnamed header cell (a trailing tab) would report its
            values as the attribute "". */
        if (*value && !*header[c]) {
            if (s_problem(loader, loader->line, "'%s' in column %zu, which the header does not name", value, c + 1))
                return -1;
        } else if (*value && s_set_attr(loader, &lex->entries[e], header[c], value)) {
            return -1;
        }
    }
    if (*name && s_add_form(loader, e, name, flags))
        return -1;
    /*  strsep, unlike strtok, yields the empty alias of "a||b" to report. */
    char *aliases = cols[3];
    if (*aliases)
        for (char *alias; (alias = strsep(&aliases, "|"));)
            if (s_add_form(loader, e, s_trim(alias), flags))
                return -1;
    return 0;
}

/*  The first cell of a josa, cue, stop or sentiment row, normalized.
    @returns 0 with a new string in *norm (the caller frees it), or the
    outcome of reporting a bad or empty cell, with *norm NULL. */
static int s_normalized_cell(s_loader_t *loader, char **cols, const char *what, char **norm)
{
    ktag_error_t norm_err = { 0 };
    *norm = ktag_normalize_string(s_trim(cols[0]), &norm_err);
    if (!*norm)
        return norm_err.code == KTAG_ERR_NOMEM ? s_nomem(loader)
                                               : s_problem(loader, loader->line, "%s '%s': %s", what, cols[0],
                                                           norm_err.message);
    if (!**norm) {
        free(*norm);
        *norm = NULL;
        return s_problem(loader, loader->line, "empty %s", what);
    }
    return 0;
}

static int s_josa_row(s_loader_t *loader, char **cols)
{
    ktag_lexicon_t *lex = loader->lex;
    char *norm;
    int rc = s_normalized_cell(loader, cols, "josa", &norm);
    if (!norm)
        return rc;
    for (size_t i = 0; i < lex->josa_count; i++)
        if (strcmp(lex->josa[i].text, norm) == 0) {
            free(norm);
            return 0;
        }
    if (KTAG_RESERVE(lex->josa, loader->josa_cap, lex->josa_count + 1)) {
        free(norm);
        return s_nomem(loader);
    }
    UChar32 first;
    size_t at = 0;
    U8_NEXT((const uint8_t *) norm, at, strlen(norm), first);
    lex->josa[lex->josa_count++] = (ktag_josa_t) { norm, strlen(norm), (uint32_t) first };
    return 0;
}

static int s_cue_row(s_loader_t *loader, char **cols)
{
    char *norm;
    int rc = s_normalized_cell(loader, cols, "cue", &norm);
    if (!norm)
        return rc;
    int32_t p = s_pattern(loader, norm);
    if (p < 0)
        rc = s_nomem(loader);
    else
        loader->lex->patterns[p].cue = 1;
    free(norm);
    return rc;
}

static int s_stop_row(s_loader_t *loader, char **cols)
{
    char *norm;
    int rc = s_normalized_cell(loader, cols, "stop phrase", &norm);
    if (!norm)
        return rc;
    int32_t p = s_pattern(loader, norm);
    if (p < 0) {
        rc = s_nomem(loader);
    } else if (loader->lex->patterns[p].entry >= 0) {
        const ktag_entry_t *entry = &loader->lex->entries[loader->lex->patterns[p].entry];
        rc = s_problem(loader, loader->line, "stop phrase '%s' is also a form of %s '%s'", cols[0],
                       ktag_type_name(entry->type), entry->id);
    } else {
        loader->lex->patterns[p].stop = 1;
    }
    free(norm);
    return rc;
}

static int s_sentiment_row(s_loader_t *loader, char **cols, size_t ncols, char **header)
{
    char *norm;
    int rc = s_normalized_cell(loader, cols, "term", &norm);
    if (!norm)
        return rc;
    char message[300];
    int term = ktag_sentiment_lexicon_add(loader->lex->sentiment, norm, cols, ncols, header,
                                          message, sizeof message);
    if (term == -2) {
        rc = s_nomem(loader);
    } else if (term < 0) {
        rc = s_problem(loader, loader->line, "%s", message);
    } else {
        int32_t p = s_pattern(loader, norm);
        if (p < 0)
            rc = s_nomem(loader);
        else
            loader->lex->patterns[p].sentiment = term;
    }
    free(norm);
    return rc;
}

/*  Split `line` on tabs in place.  @returns the number of columns. */
static size_t s_split(char *line, char **cols, size_t max)
{
    size_t n = 0;
    cols[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == '\t') {
            *p = '\0';
            if (n == max)
                return max + 1;
            cols[n++] = p + 1;
        }
    }
    return n;
}

#define S_MAX_COLUMNS 64

static int s_read_file(const char *path, char **data, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return -1;
    char *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (KTAG_RESERVE(buf, cap, size + 65536)) {
            free(buf);
            fclose(file);
            errno = ENOMEM;
            return -1;
        }
        size_t got = fread(buf + size, 1, cap - size - 1, file);
        size += got;
        if (got == 0)
            break;
    }
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(buf);
        errno = EIO;
        return -1;
    }
    buf[size] = '\0';
    *data = buf;
    *len = size;
    return 0;
}

/*  Editors that save "UTF-8" often put a byte-order mark first, in a .tsv
    file or VERSION; it is no part of the line behind it.  @returns its
    length at the start of `text`, or 0. */
static size_t s_bom_len(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/*  @returns the byte offset of the first ill-formed UTF-8 sequence in
    `len` bytes of `text`, or -1 when there is none. */
static int32_t s_bad_utf8(const char *text, size_t len)
{
    int32_t at = 0, n = len > INT32_MAX ? INT32_MAX : (int32_t) len;
    while (at < n) {
        int32_t start = at;
        UChar32 c;
        U8_NEXT((const uint8_t *) text, at, n, c);
        if (c < 0)
            return start;
    }
    return -1;
}

static int s_load_file(s_loader_t *loader, const char *path)
{
    char *data;
    size_t len;
    if (s_read_file(path, &data, &len)) {
        int saved = errno;
        if (saved == ENOMEM)
            return s_nomem(loader);
        if (loader->checking)
            return s_problem(loader, 0, "cannot read: %s", strerror(saved));
        ktag_error_set(loader->err, KTAG_ERR_IO, "cannot read lexicon file '%s': %s", path, strerror(saved));
        loader->failed = true;
        return -1;
    }
    loader->hash = ktag_fnv1a(loader->hash, data, len);
    if (memchr(data, '\0', len)) {
        free(data);
        return s_problem(loader, 0, "contains a NUL byte; lexicon files are UTF-8 text");
    }

    char *header_store[S_MAX_COLUMNS];
    char *header[S_MAX_COLUMNS];
    size_t header_count = 0;
    s_file_kind_t kind = S_FILE_ENTITY;
    int rc = 0;
    char *line = data + s_bom_len(data, len);
    loader->line = 0;
    while (line && rc == 0) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        loader->line++;
        size_t line_len = strlen(line);
        if (line_len && line[line_len - 1] == '\r')
            line[--line_len] = '\0';
        char *next = end ? end + 1 : NULL;
        const char *first = line + strspn(line, " ");
        if (*first == '\0' || *first == '#') {
            line = next;
            continue;
        }
        /*  Ids, attributes and header keys go into results unnormalized:
            a byte that is not UTF-8 there would make replies no JSON or
            msgpack reader takes. */
        int32_t bad = s_bad_utf8(line, line_len);
        if (bad >= 0) {
            rc = s_problem(loader, loader->line, "invalid UTF-8 at byte offset %d of the line", (int) bad);
            line = next;
            continue;
        }
        size_t ncols;
        if (header_count == 0) {
            ncols = s_split(line, header_store, S_MAX_COLUMNS);
            if (ncols > S_MAX_COLUMNS) {
                rc = s_problem(loader, loader->line, "header has more than %d columns", S_MAX_COLUMNS);
                break;
            }
            for (size_t c = 0; c < ncols; c++)
                header[c] = s_trim(header_store[c]);
            header_count = ncols;
            if (ncols >= S_ENTITY_COLUMNS && strcmp(header[0], "type") == 0 && strcmp(header[1], "id") == 0
                && strcmp(header[2], "name") == 0 && strcmp(header[3], "aliases") == 0
                && strcmp(header[4], "flags") == 0) {
                kind = S_FILE_ENTITY;
            } else if (strcmp(header[0], "josa") == 0) {
                kind = S_FILE_JOSA;
            } else if (strcmp(header[0], "cue") == 0) {
                kind = S_FILE_CUE;
            } else if (strcmp(header[0], "stop") == 0) {
                kind = S_FILE_STOP;
            } else if (ncols >= 3 && strcmp(header[0], "term") == 0 && strcmp(header[1], "class") == 0
                       && strcmp(header[2], "weight") == 0) {
                kind = S_FILE_SENTIMENT;
            } else {
                rc = s_problem(loader, loader->line,
                               "unknown header: expected 'type id name aliases flags [attrs…]', "
                               "'josa', 'cue', 'stop' or 'term class weight'");
                break;
            }
            line = next;
            continue;
        }
        char *cols[S_MAX_COLUMNS];
        ncols = s_split(line, cols, S_MAX_COLUMNS);
        /*  Trailing empty cells may be left out: a row needs only its
            leading columns (type, id, name; term, class, weight). */
        size_t required = kind == S_FILE_ENTITY || kind == S_FILE_SENTIMENT ? 3 : 1;
        if (ncols > header_count) {
            rc = s_problem(loader, loader->line, "%zu columns but the header has %zu", ncols, header_count);
        } else if (ncols < required) {
            rc = s_problem(loader, loader->line, "%zu columns, at least %zu needed", ncols, required);
        } else {
            static char empty[] = "";
            for (; ncols < header_count; ncols++)
                cols[ncols] = empty;
            switch (kind) {
            case S_FILE_ENTITY: rc = s_entity_row(loader, cols, ncols, header); break;
            case S_FILE_JOSA: rc = s_josa_row(loader, cols); break;
            case S_FILE_CUE: rc = s_cue_row(loader, cols); break;
            case S_FILE_STOP: rc = s_stop_row(loader, cols); break;
            case S_FILE_SENTIMENT: rc = s_sentiment_row(loader, cols, ncols, header); break;
            }
        }
        line = next;
    }
    if (rc == 0 && header_count == 0)
        rc = s_problem(loader, 0, "no header row");
    free(data);
    return loader->failed ? -1 : 0;
}

static int s_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int s_compare_josa(const void *a, const void *b)
{
    const ktag_josa_t *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->len == y->len ? strcmp(x->text, y->text) : (x->len > y->len ? -1 : 1);
}

/*  Checks on the whole set, after every file is read. */
static int s_check_set(s_loader_t *loader)
{
    ktag_lexicon_t *lex = loader->lex;
    for (size_t e = 0; e < lex->entry_count; e++) {
        const ktag_entry_t *entry = &lex->entries[e];
        loader->file = loader->entry_origins[e].file;
        uint32_t line = loader->entry_origins[e].line;
        if (!entry->name && s_problem(loader, line, "%s '%s' has no name", ktag_type_name(entry->type), entry->id))
            return -1;
        if (!loader->checking || entry->type != KTAG_TYPE_COMPANY)
            continue;
        bool code_like = strlen(entry->id) == 6 && strspn(entry->id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 6;
        bool listed = false;
        for (size_t a = 0; a < entry->attr_count; a++)
            listed |= strcmp(entry->attrs[a].key, "isin") == 0;
        if (code_like && !listed)
            s_problem(loader, line, "company '%s' is not in the KRX listing (no row with an isin)", entry->id);
    }
    return 0;
}

static void s_loader_release(s_loader_t *loader)
{
    free(loader->origins);
    free(loader->entry_origins);
    free(loader->id_table);
    for (size_t f = 0; f < loader->file_count; f++)
        free(loader->files[f]);
    free(loader->files);
    ktag_matcher_builder_destroy(&loader->builder);
}

static void s_lexicon_free(ktag_lexicon_t *lex)
{
    if (!lex)
        return;
    for (size_t e = 0; e < lex->entry_count; e++) {
        ktag_entry_t *entry = &lex->entries[e];
        free(entry->id);
        free(entry->name);
        for (size_t a = 0; a < entry->attr_count; a++)
            free((char *) entry->attrs[a].value);
        free((void *) entry->attrs);
    }
    free(lex->entries);
    free(lex->patterns);
    for (size_t i = 0; i < lex->case_form_count; i++)
        free(lex->case_forms[i].written);
    free(lex->case_forms);
    if (lex->forms)
        for (size_t p = 0; p < lex->pattern_count; p++)
            free(lex->forms[p]);
    free(lex->forms);
    for (size_t j = 0; j < lex->josa_count; j++)
        free(lex->josa[j].text);
    free(lex->josa);
    for (size_t k = 0; k < lex->attr_key_count; k++)
        free(lex->attr_keys[k]);
    free(lex->attr_keys);
    ktag_matcher_destroy(&lex->matcher);
    ktag_matcher_destroy(&lex->entity_matcher);
    free(lex->entity_patterns);
    ktag_sentiment_lexicon_destroy(&lex->sentiment);
    for (size_t i = 0; i < lex->set_count; i++) {
        free(lex->set_dirs[i]);
        free(lex->set_versions[i]);
    }
    free(lex->set_dirs);
    free(lex->set_versions);
    free(lex->dir);
    free(lex->version);
    free(lex);
}

static char *s_version(const char *dir, uint32_t hash)
{
    char path[4096], first[128] = "unversioned";
    snprintf(path, sizeof path, "%s/VERSION", dir);
    FILE *file = fopen(path, "r");
    if (file) {
        if (fgets(first, sizeof first, file))
            first[strcspn(first, "\r\n")] = '\0';
        size_t bom = s_bom_len(first, strlen(first));
        memmove(first, first + bom, strlen(first + bom) + 1);
        fclose(file);
        /* The version is in every reply and a metrics label, which must be
           UTF-8: keep the line up to its first ill-formed byte (or the
           character fgets cut at the end of the buffer). */
        int32_t bad = s_bad_utf8(first, strlen(first));
        if (bad >= 0)
            first[bad] = '\0';
        if (!*first)
            snprintf(first, sizeof first, "unversioned");
    }
    char version[160];
    snprintf(version, sizeof version, "%s+%08x", first, hash);
    return strdup(version);
}

/*  Read every *.tsv of `dir` into loader->lex, after the sets read before.
    @returns 0 with the hash of the files' bytes in *hash, or -1 when the
    load must stop (the error is filled). */
static int s_load_dir(s_loader_t *loader, const char *dir, uint32_t *hash)
{
    DIR *d = opendir(dir);
    if (!d) {
        int saved = errno;
        ktag_error_set(loader->err, KTAG_ERR_IO, "cannot open lexicon directory '%s': %s", dir, strerror(saved));
        loader->failed = true;
        return -1;
    }
    size_t first = loader->file_count;
    for (struct dirent *ent; (ent = readdir(d));) {
        size_t len = strlen(ent->d_name);
        if (len <= 4 || strcmp(ent->d_name + len - 4, ".tsv") != 0 || ent->d_name[0] == '.')
            continue;
        char *name = loader->many ? s_path(dir, ent->d_name) : strdup(ent->d_name);
        if (!name || KTAG_RESERVE(loader->files, loader->files_cap, loader->file_count + 1)) {
            free(name);
            closedir(d);
            return s_nomem(loader);
        }
        loader->files[loader->file_count++] = name;
    }
    closedir(d);
    if (loader->file_count - first > 1)
        qsort(loader->files + first, loader->file_count - first, sizeof *loader->files, s_compare_names);
    loader->hash = KTAG_FNV1A_START;
    for (size_t f = first; f < loader->file_count; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, loader->files[f]);
        loader->file = (uint16_t) f;
        if (s_load_file(loader, loader->many ? loader->files[f] : path) && !loader->checking)
            return -1;
    }
    *hash = loader->hash;
    return 0;
}

/*  Read the sets `dirs` in order into loader->lex, then check the merged
    whole.  Fills the lexicon's per-set directories and versions.
    @returns 0, or -1 when the load must stop (the error is filled). */
static int s_load_sets(s_loader_t *loader, const char *const *dirs, size_t count)
{
    ktag_lexicon_t *lex = loader->lex;
    lex->set_dirs = calloc(count, sizeof *lex->set_dirs);
    lex->set_versions = calloc(count, sizeof *lex->set_versions);
    if (!lex->set_dirs || !lex->set_versions)
        return s_nomem(loader);
    loader->many = count > 1;
    for (size_t i = 0; i < count; i++) {
        uint32_t hash;
        if (s_load_dir(loader, dirs[i], &hash))
            return -1;
        lex->set_dirs[i] = strdup(dirs[i]);
        lex->set_versions[i] = s_version(dirs[i], hash);
        lex->set_count++;
        if (!lex->set_dirs[i] || !lex->set_versions[i])
            return s_nomem(loader);
    }
    if (s_check_set(loader))
        return -1;
    loader->file = 0;
    if (lex->entry_count == 0) {
        s_problem_setwide(loader, "no entities in lexicon director%s '%s' (%zu .tsv files)",
                          count > 1 ? "ies" : "y", lex->dir, loader->file_count);
        if (!loader->checking)
            return -1;
    }
    return 0;
}

/*  `parts` joined with `sep`.  @returns a new string, or NULL. */
static char *s_join(char *const *parts, size_t count, char sep)
{
    size_t len = 1;
    for (size_t i = 0; i < count; i++)
        len += strlen(parts[i]) + 1;
    char *joined = malloc(len), *p = joined;
    if (!joined)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        if (i)
            *p++ = sep;
        size_t n = strlen(parts[i]);
        memcpy(p, parts[i], n);
        p += n;
    }
    *p = '\0';
    return joined;
}

static ktag_lexicon_t *s_lexicon_new(const char *const *dirs, size_t count)
{
    ktag_lexicon_t *lex = calloc(1, sizeof *lex);
    if (!lex)
        return NULL;
    atomic_init(&lex->refs, 1);
    lex->dir = s_join((char *const *) dirs, count, ':');
    lex->sentiment = ktag_sentiment_lexicon_new();
    if (!lex->dir || !lex->sentiment) {
        s_lexicon_free(lex);
        return NULL;
    }
    return lex;
}

/*  Compile lex->entity_matcher: every pattern that stands for something
    besides a sentiment term.  Without sentiment the terms are dropped
    after the scan anyway, and they are short, frequent words (상승, 급락):
    not scanning for them at all is what makes entity-only tagging faster.
    @returns 0 or KTAG_ERR_NOMEM. */
static int s_entity_matcher(ktag_lexicon_t *lex)
{
    size_t kept = 0;
    for (size_t p = 0; p < lex->pattern_count; p++)
        kept += !s_sentiment_only(&lex->patterns[p]);
    if (kept == lex->pattern_count)
        return 0;
    ktag_matcher_builder_t *builder = ktag_matcher_builder_new();
    lex->entity_patterns = malloc((kept ? kept : 1) * sizeof *lex->entity_patterns);
    if (!builder || !lex->entity_patterns) {
        ktag_matcher_builder_destroy(&builder);
        return KTAG_ERR_NOMEM;
    }
    for (size_t p = 0; p < lex->pattern_count; p++) {
        if (s_sentiment_only(&lex->patterns[p]))
            continue;
        /*  The forms are distinct in the full matcher, so each gets the
            next id here. */
        int32_t id = ktag_matcher_builder_add(builder, lex->forms[p], lex->patterns[p].len);
        if (id < 0) {
            ktag_matcher_builder_destroy(&builder);
            return KTAG_ERR_NOMEM;
        }
        lex->entity_patterns[id] = (uint32_t) p;
    }
    lex->entity_matcher = ktag_matcher_compile(&builder);
    return lex->entity_matcher ? 0 : KTAG_ERR_NOMEM;
}

ktag_lexicon_t *ktag_lexicon_open_many(const char *const *dirs, size_t count, ktag_error_t *err)
{
    assert(dirs && count > 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s_loader_t loader = { .err = err };
    loader.lex = s_lexicon_new(dirs, count);
    loader.builder = ktag_matcher_builder_new();
    if (!loader.lex || !loader.builder) {
        ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (s_load_sets(&loader, dirs, count))
        goto fail;
    ktag_lexicon_t *lex = loader.lex;
    /*  The events analyzer's cue words ride the same matcher pass. */
    for (size_t w = 0; w < ktag_events_word_count(); w++) {
        int32_t p = s_pattern(&loader, ktag_events_word(w));
        if (p < 0) {
            ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
            goto fail;
        }
        lex->patterns[p].event_word = (int32_t) w;
    }
    /*  So do the guess stage's anchor words. */
    for (size_t w = 0, count = ktag_guess_word_count(); w < count; w++) {
        unsigned kinds;
        int32_t p = s_pattern(&loader, ktag_guess_word(w, &kinds));
        if (p < 0) {
            ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory");
            goto fail;
        }
        lex->patterns[p].guess |= (uint8_t) kinds;
    }
    if (lex->josa_count > 1)
        qsort(lex->josa, lex->josa_count, sizeof *lex->josa, s_compare_josa);
    for (size_t p = 0; p < lex->pattern_count; p++)
        if (lex->patterns[p].entry >= 0)
            lex->alias_counts[lex->entries[lex->patterns[p].entry].type]++;
    lex->version = s_join(lex->set_versions, lex->set_count, ',');
    lex->matcher = ktag_matcher_compile(&loader.builder);
    if (!lex->version || !lex->matcher || s_entity_matcher(lex)) {
        ktag_error_set(err, KTAG_ERR_NOMEM, "out of memory while compiling lexicons");
        goto fail;
    }
    s_loader_release(&loader);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    lex->load_ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
    KTAG_LOG(KTAG_LOG_INFO,
             "loaded lexicon %s from %s: %zu entities, %zu patterns, %s matcher of %zu KB (%zu KB without the "
             "sentiment terms), %.1f ms",
             lex->version, lex->dir, lex->entry_count, lex->pattern_count, ktag_matcher_impl(lex->matcher),
             ktag_matcher_memory(lex->matcher) / 1024,
             lex->entity_matcher ? ktag_matcher_memory(lex->entity_matcher) / 1024 : 0, lex->load_ms);
    return lex;

fail:
    s_loader_release(&loader);
    s_lexicon_free(loader.lex);
    return NULL;
}

ktag_lexicon_t *ktag_lexicon_open(const char *dir, ktag_error_t *err)
{
    return ktag_lexicon_open_many(&dir, 1, err);
}

int ktag_lexicon_check_many(const char *const *dirs, size_t count, ktag_problem_fn *fn, void *user)
{
    assert(dirs && count > 0);
    ktag_error_t err = { 0 };
    s_loader_t loader = { .err = &err, .checking = true, .problem_fn = fn, .problem_user = user };
    loader.lex = s_lexicon_new(dirs, count);
    loader.builder = ktag_matcher_builder_new();
    int rc;
    if (!loader.lex || !loader.builder)
        rc = KTAG_ERR_NOMEM;
    else if (s_load_sets(&loader, dirs, count) && err.code)
        rc = err.code;   /* a directory that cannot be read, or out of memory */
    else
        rc = loader.problems;
    if (rc < 0 && fn)
        fn(user, NULL, 0, err.message[0] ? err.message : "out of memory");
    s_loader_release(&loader);
    s_lexicon_free(loader.lex);
    return rc;
}

int ktag_lexicon_check(const char *dir, ktag_problem_fn *fn, void *user)
{
    return ktag_lexicon_check_many(&dir, 1, fn, user);
}

ktag_lexicon_t *ktag_lexicon_retain(ktag_lexicon_t *self)
{
    atomic_fetch_add(&self->refs, 1);
    return self;
}

void ktag_lexicon_destroy(ktag_lexicon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_lexicon_t *self = *self_p;
    *self_p = NULL;
    if (atomic_fetch_sub(&self->refs, 1) == 1)
        s_lexicon_free(self);
}

const char *ktag_lexicon_version(const ktag_lexicon_t *self)
{
    return self->version;
}

const char *ktag_lexicon_dir(const ktag_lexicon_t *self)
{
    return self->dir;
}

size_t ktag_lexicon_entity_count(const ktag_lexicon_t *self, ktag_type_t type)
{
    return type < KTAG_TYPE_COUNT ? self->entity_counts[type] : 0;
}

size_t ktag_lexicon_alias_count(const ktag_lexicon_t *self, ktag_type_t type)
{
    return type < KTAG_TYPE_COUNT ? self->alias_counts[type] : 0;
}

void ktag_lexicon_surfaces(const ktag_lexicon_t *self, ktag_surface_fn *fn, void *user)
{
    for (size_t p = 0; p < self->pattern_count; p++) {
        const ktag_pattern_t *pattern = &self->patterns[p];
        if (pattern->entry >= 0) {
            const ktag_entry_t *entry = &self->entries[pattern->entry];
            fn(user, self->forms[p], pattern->len, entry->type, entry->id);
        }
    }
}

size_t ktag_lexicon_set_count(const ktag_lexicon_t *self)
{
    return self->set_count;
}

const char *ktag_lexicon_set_dir(const ktag_lexicon_t *self, size_t index)
{
    return index < self->set_count ? self->set_dirs[index] : NULL;
}

const char *ktag_lexicon_set_version(const ktag_lexicon_t *self, size_t index)
{
    return index < self->set_count ? self->set_versions[index] : NULL;
}

double ktag_lexicon_load_ms(const ktag_lexicon_t *self)
{
    return self->load_ms;
}

static const char *const s_type_names[KTAG_TYPE_COUNT] = { "company", "org", "chip", "funding" };

const char *ktag_type_name(ktag_type_t type)
{
    return (unsigned) type < KTAG_TYPE_COUNT ? s_type_names[type] : NULL;
}

int ktag_type_from_name(const char *name, ktag_type_t *type)
{
    for (int t = 0; t < KTAG_TYPE_COUNT; t++)
        if (strcmp(name, s_type_names[t]) == 0) {
            *type = (ktag_type_t) t;
            return 0;
        }
    return KTAG_ERR_INVALID;
}
