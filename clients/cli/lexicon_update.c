/*  lexicon_update.c - `ktag lexicon update --krx-listing FILE [-L DIR]`:
    brings the generated company files of a lexicon set (companies_krx.tsv,
    companies_delisted.tsv; docs/LEXICONS.md) up to date with a current KRX
    listing, and installs them only when the set still checks and loads.

    The listing is a FinanceDataReader CSV (Code,ISU_CD,Name,Market,...) or
    the KRX data portal's 전종목 기본정보 CSV (표준코드,단축코드,한글 종목약명,
    영문 종목명,...,시장구분,...), UTF-8 or EUC-KR (CP949, what the portal
    writes): ICU converts.  libcsv parses it.

    What changes, entity by entity (rows of the files otherwise kept as they
    are, attributes the listing lacks - sector, English name - included):
      - a new code gets a row (name, market, ISIN);
      - a code whose name changed gets the new name, and its old name
        becomes an alias with the old row's flags (news keeps using it);
      - a code gone from the listing moves to companies_delisted.tsv as
        `delisted:<code>` with every form it had, the date and its market,
        as lexicons/tools/gen_krx.py does for common shares; other issues
        (preferred shares, SPACs) are removed;
      - a code back in the listing leaves the delisted set;
      - a form that now names two ids keeps the stronger owner (a curated
        file, then a current listing name, then the earlier generated
        form, then a delisted form); the other one is dropped and listed.
    The result is written next to the live files, checked as the whole set
    (through a staging directory of links), and only then renamed into
    place: the files a running ktagd may reload are never half-updated.
*/
#include "ktag_cli.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <unicode/ucnv.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "ktag_lexdir.h"

#define S_EXIT_USAGE 2

/* Grow an array geometrically; exits when out of memory (a one-shot tool). */
static void
s_reserve(void **array, size_t *cap, size_t needed, size_t size)
{
    if (needed <= *cap)
        return;
    size_t grown = *cap ? *cap * 2 : 64;
    while (grown < needed)
        grown *= 2;
    void *larger = realloc(*array, grown * size);
    if (!larger) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    *array = larger;
    *cap = grown;
}

#define S_RESERVE(array, cap, needed) s_reserve((void **) &(array), &(cap), (needed), sizeof *(array))

#define S_KRX_FILE "companies_krx.tsv"
#define S_DELISTED_FILE "companies_delisted.tsv"
#define S_UPDATED_MARK "# Updated by `ktag lexicon update`"

/* ------------------------------------------------------------ strings */

/* Every string of a run lives in one pool, freed at the end. */
typedef struct s_chunk {
    struct s_chunk *next;
    size_t used, size;
    char data[];
} s_chunk_t;

typedef struct {
    s_chunk_t *head;
} s_pool_t;

static void *
s_alloc(s_pool_t *pool, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    s_chunk_t *c = pool->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        c = malloc(sizeof *c + cap);
        if (!c) {
            fprintf(stderr, "ktag: out of memory\n");
            exit(1);
        }
        c->next = pool->head;
        c->used = 0;
        c->size = cap;
        pool->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

static char *
s_strndup(s_pool_t *pool, const char *s, size_t len)
{
    char *copy = s_alloc(pool, len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static char *
s_strdup(s_pool_t *pool, const char *s)
{
    return s_strndup(pool, s, strlen(s));
}

static char *
s_printf(s_pool_t *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
s_printf(s_pool_t *pool, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    char *s = s_alloc(pool, (size_t) n + 1);
    va_start(args, fmt);
    vsnprintf(s, (size_t) n + 1, fmt, args);
    va_end(args);
    return s;
}

static void
s_pool_free(s_pool_t *pool)
{
    while (pool->head) {
        s_chunk_t *next = pool->head->next;
        free(pool->head);
        pool->head = next;
    }
}

/* Trim spaces at both ends, in place. */
static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

/* -------------------------------------------------------- string map */

/* Open addressing, string keys -> string values, both pooled. */
typedef struct {
    const char **keys;
    const char **values;
    size_t size, count;
} s_map_t;

static uint32_t
s_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t) *s) * 16777619u;
    return h;
}

static size_t
s_map_slot(const s_map_t *map, const char *key)
{
    size_t mask = map->size - 1, slot = s_hash(key) & mask;
    while (map->keys[slot] && strcmp(map->keys[slot], key) != 0)
        slot = (slot + 1) & mask;
    return slot;
}

static const char *
s_map_get(const s_map_t *map, const char *key)
{
    return map->size ? map->values[s_map_slot(map, key)] : NULL;
}

static void
s_map_put(s_map_t *map, const char *key, const char *value)
{
    if ((map->count + 1) * 2 > map->size) {
        s_map_t grown = {NULL, NULL, map->size ? map->size * 2 : 1024, map->count};
        grown.keys = calloc(grown.size, sizeof *grown.keys);
        grown.values = calloc(grown.size, sizeof *grown.values);
        if (!grown.keys || !grown.values) {
            fprintf(stderr, "ktag: out of memory\n");
            exit(1);
        }
        for (size_t i = 0; i < map->size; i++)
            if (map->keys[i]) {
                size_t slot = s_map_slot(&grown, map->keys[i]);
                grown.keys[slot] = map->keys[i];
                grown.values[slot] = map->values[i];
            }
        free(map->keys);
        free(map->values);
        *map = grown;
    }
    size_t slot = s_map_slot(map, key);
    if (!map->keys[slot])
        map->count++;
    map->keys[slot] = key;
    map->values[slot] = value;
}

static void
s_map_free(s_map_t *map)
{
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}

/* ---------------------------------------------------------------- ICU */

/* `text` through an ICU normalizer (NFC for names, NFKC_Casefold for the
   matching view, as libktag).  @returns a pooled string; `text` itself when
   ICU fails (the final check has the last word). */
static char *
s_normalize(s_pool_t *pool, const UNormalizer2 *norm, const char *text)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = (int32_t) strlen(text), u16_len = 0, out_len = 0, bytes = 0;
    UChar *u16 = malloc(((size_t) len + 1) * sizeof *u16), *out = NULL;
    char *result = (char *) text;
    if (!u16)
        goto done;
    u_strFromUTF8(u16, len + 1, &u16_len, text, len, &st);
    out_len = unorm2_normalize(norm, u16, u16_len, NULL, 0, &st);   /* preflight */
    if (st == U_BUFFER_OVERFLOW_ERROR)
        st = U_ZERO_ERROR;
    if (U_FAILURE(st) || !(out = malloc(((size_t) out_len + 1) * sizeof *out)))
        goto done;
    unorm2_normalize(norm, u16, u16_len, out, out_len + 1, &st);
    u_strToUTF8(NULL, 0, &bytes, out, out_len, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR)
        st = U_ZERO_ERROR;
    if (U_FAILURE(st))
        goto done;
    result = s_alloc(pool, (size_t) bytes + 1);
    u_strToUTF8(result, bytes + 1, NULL, out, out_len, &st);
    if (U_FAILURE(st))
        result = (char *) text;
done:
    free(u16);
    free(out);
    return result;
}

typedef struct {
    s_pool_t pool;
    const UNormalizer2 *nfc, *fold;
} s_ctx_t;

static const char *
s_fold(s_ctx_t *ctx, const char *form)
{
    return s_normalize(&ctx->pool, ctx->fold, form);
}

/* ------------------------------------------------------------ listing */

typedef enum { S_FORMAT_FDR, S_FORMAT_KRX_PORTAL } s_format_t;

typedef struct {
    const char *code, *isin, *name, *market, *name_en;
} s_listed_t;

typedef struct {
    s_ctx_t *ctx;
    const char *path;
    /* the record being read */
    char **fields;
    size_t field_count, field_cap;
    size_t record;           /* 1-based; 1 = the header */
    /* the header's columns */
    s_format_t format;
    int col_code, col_isin, col_name, col_market, col_name_en;
    size_t columns;
    /* results */
    s_listed_t *rows;
    size_t count, cap;
    s_map_t codes;           /* code -> "" */
    char error[600];
} s_listing_t;

static void
s_listing_fail(s_listing_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_listing_fail(s_listing_t *l, const char *fmt, ...)
{
    if (l->error[0])
        return;
    int n = snprintf(l->error, sizeof l->error, "%s: record %zu: ", l->path, l->record);
    if (n < 0 || (size_t) n >= sizeof l->error)
        return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(l->error + n, sizeof l->error - (size_t) n, fmt, args);
    va_end(args);
}

static void
s_on_field(void *field, size_t len, void *user)
{
    s_listing_t *l = user;
    S_RESERVE(l->fields, l->field_cap, l->field_count + 1);
    l->fields[l->field_count++] = s_trim(s_strndup(&l->ctx->pool, field, len));
}

/* A header cell without spaces or a BOM, for comparison. */
static const char *
s_header_key(s_pool_t *pool, const char *cell)
{
    if (strncmp(cell, "\xef\xbb\xbf", 3) == 0)
        cell += 3;
    char *key = s_strdup(pool, cell), *w = key;
    for (const char *r = key; *r; r++)
        if (*r != ' ')
            *w++ = *r;
    *w = '\0';
    return key;
}

static int
s_find_column(s_listing_t *l, const char *name)
{
    for (size_t c = 0; c < l->field_count; c++)
        if (strcmp(s_header_key(&l->ctx->pool, l->fields[c]), name) == 0)
            return (int) c;
    return -1;
}

static void
s_read_header(s_listing_t *l)
{
    l->columns = l->field_count;
    if ((l->col_code = s_find_column(l, "Code")) >= 0) {
        l->format = S_FORMAT_FDR;
        l->col_isin = s_find_column(l, "ISU_CD");
        l->col_name = s_find_column(l, "Name");
        l->col_market = s_find_column(l, "Market");
        l->col_name_en = -1;
    } else if ((l->col_code = s_find_column(l, "단축코드")) >= 0) {
        l->format = S_FORMAT_KRX_PORTAL;
        l->col_isin = s_find_column(l, "표준코드");
        l->col_name = s_find_column(l, "한글종목약명");
        l->col_market = s_find_column(l, "시장구분");
        l->col_name_en = s_find_column(l, "영문종목명");
    }
    if (l->col_code < 0 || l->col_name < 0 || l->col_market < 0)
        s_listing_fail(l, "not a KRX listing: expected a FinanceDataReader CSV (Code,ISU_CD,Name,Market,...) "
                          "or the KRX data portal's 전종목 기본정보 (표준코드,단축코드,한글 종목약명,...,시장구분)");
}

/* English names as written in the portal ("Samsung Electronics Co., Ltd.")
   without the corporate suffix, as gen_krx.py keeps them. */
static const char *
s_clean_english(s_pool_t *pool, const char *name)
{
    static const char *const suffixes[] = {"co., ltd", "co.,ltd", "co. ltd", "co ltd",
                                           "company limited", "corporation", "incorporated", "limited",
                                           "corp", "inc", "ltd", "co", "plc"};
    char *s = s_strdup(pool, name);
    for (bool changed = true; changed;) {
        changed = false;
        size_t len = strlen(s);
        while (len && strchr(" ,.", s[len - 1]))
            s[--len] = '\0';
        for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
            size_t n = strlen(suffixes[i]);
            if (len > n && strcasecmp(s + len - n, suffixes[i]) == 0 && strchr(" ,", s[len - n - 1])) {
                s[len - n] = '\0';
                changed = true;
                break;
            }
        }
    }
    return s_trim(s);
}

static bool
s_is_code(const char *code)
{
    return strlen(code) == 6 && strspn(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 6;
}

static void
s_on_record(int terminator, void *user)
{
    (void) terminator;
    s_listing_t *l = user;
    l->record++;
    if (l->error[0]) {
        l->field_count = 0;
        return;
    }
    if (l->record == 1) {
        s_read_header(l);
        l->field_count = 0;
        return;
    }
    if (l->field_count != l->columns) {
        s_listing_fail(l, "%zu fields, the header has %zu (a cut or mixed file?)", l->field_count, l->columns);
        l->field_count = 0;
        return;
    }
    char **f = l->fields;
    s_pool_t *pool = &l->ctx->pool;
    s_listed_t row = {
        .code = f[l->col_code],
        .isin = l->col_isin >= 0 ? f[l->col_isin] : "",
        .name = s_normalize(pool, l->ctx->nfc, f[l->col_name]),
        .market = f[l->col_market],
        .name_en = l->col_name_en >= 0 && *f[l->col_name_en] ? s_clean_english(pool, f[l->col_name_en]) : "",
    };
    l->field_count = 0;
    if (row.code[0] == 'A' && s_is_code(row.code + 1))
        row.code++;   /* "A005930", as some KRX downloads write the short code */
    if (!s_is_code(row.code)) {
        bool digits = *row.code && strspn(row.code, "0123456789") == strlen(row.code);
        s_listing_fail(l, "code '%s' is not 6 digits or capitals%s", row.code,
                       digits && strlen(row.code) < 6 ? " (leading zeros dropped by a spreadsheet?)" : "");
    } else if (!*row.name) {
        s_listing_fail(l, "code %s has no name", row.code);
    } else if (!*row.market) {
        s_listing_fail(l, "code %s has no market", row.code);
    } else if (*row.isin && (strlen(row.isin) != 12 || !isupper((unsigned char) row.isin[0]))) {
        s_listing_fail(l, "code %s: '%s' is not an ISIN", row.code, row.isin);
    } else if (strchr(row.name, '\t') || strchr(row.name, '|')) {
        s_listing_fail(l, "code %s: the name holds a tab or '|'", row.code);
    } else if (s_map_get(&l->codes, row.code)) {
        s_listing_fail(l, "code %s is listed twice", row.code);
    } else {
        S_RESERVE(l->rows, l->cap, l->count + 1);
        l->rows[l->count++] = row;
        s_map_put(&l->codes, row.code, "");
    }
}

/* The listing's bytes as UTF-8: as they are when they are UTF-8 (a BOM
   dropped), else converted from CP949 (EUC-KR and its Windows superset).
   @returns a pooled NUL-terminated string, or NULL with `error` filled. */
static char *
s_to_utf8(s_pool_t *pool, const char *path, const char *data, size_t len, const char **encoding,
          char *error, size_t error_size)
{
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (len > INT32_MAX / 4) {
        snprintf(error, error_size, "%s: too large", path);
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(NULL, 0, NULL, data, (int32_t) len, &st);
    if (st == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(st)) {
        *encoding = "UTF-8";
        return s_strndup(pool, data, len);
    }
    st = U_ZERO_ERROR;
    UConverter *conv = ucnv_open("windows-949", &st);
    if (U_SUCCESS(st))
        ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &st);
    UChar *u16 = malloc((len + 1) * sizeof *u16);
    int32_t u16_len = 0;
    if (U_SUCCESS(st) && u16)
        u16_len = ucnv_toUChars(conv, u16, (int32_t) len + 1, data, (int32_t) len, &st);
    ucnv_close(conv);
    char *out = NULL;
    if (U_SUCCESS(st) && u16) {
        out = s_alloc(pool, (size_t) u16_len * 3 + 1);
        u_strToUTF8(out, u16_len * 3 + 1, NULL, u16, u16_len, &st);
    }
    free(u16);
    if (!out || U_FAILURE(st)) {
        snprintf(error, error_size, "%s: neither UTF-8 nor EUC-KR/CP949 text (%s)", path, u_errorName(st));
        return NULL;
    }
    *encoding = "EUC-KR";
    return out;
}

static int
s_read_whole(const char *path, char **data, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    ktag_cli_buf_t buf = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        ktag_cli_buf_append(&buf, chunk, n);
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        ktag_cli_buf_free(&buf);
        errno = EIO;
        return -1;
    }
    ktag_cli_buf_append(&buf, "", 1);
    *data = buf.data;
    *len = buf.len - 1;
    return 0;
}

static int
s_read_listing(s_listing_t *l, const char **encoding)
{
    char *raw;
    size_t raw_len;
    if (s_read_whole(l->path, &raw, &raw_len) != 0) {
        snprintf(l->error, sizeof l->error, "cannot read %s: %s", l->path, strerror(errno));
        return -1;
    }
    /* The CSV parser reads up to the first NUL: the companies after one
       would be delisted as if gone from the listing. */
    const char *nul = memchr(raw, '\0', raw_len);
    if (nul) {
        snprintf(l->error, sizeof l->error, "%s: a NUL byte at byte %zu: not a CSV text file "
                 "(UTF-16, or a damaged download?)", l->path, (size_t) (nul - raw));
        free(raw);
        return -1;
    }
    char *text = s_to_utf8(&l->ctx->pool, l->path, raw, raw_len, encoding, l->error, sizeof l->error);
    free(raw);
    if (!text)
        return -1;
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        snprintf(l->error, sizeof l->error, "out of memory");
        return -1;
    }
    size_t len = strlen(text);
    if (csv_parse(&parser, text, len, s_on_field, s_on_record, l) != len
        || csv_fini(&parser, s_on_field, s_on_record, l) != 0) {
        l->record++;
        s_listing_fail(l, "malformed CSV (%s)", csv_strerror(csv_error(&parser)));
    }
    csv_free(&parser);
    free(l->fields);
    l->fields = NULL;
    if (!l->error[0] && l->count == 0)
        snprintf(l->error, sizeof l->error, "%s: no listed companies in it", l->path);
    return l->error[0] ? -1 : 0;
}

/* ------------------------------------------------------ lexicon tables */

typedef struct {
    char **cells;
    size_t count;
} s_row_t;

typedef struct {
    const char *id;
    s_row_t *rows;
    size_t row_count, row_cap;
    bool gone;
} s_entity_t;

typedef struct {
    char *path;              /* DIR/name */
    char **comments;
    size_t comment_count, comment_cap;
    char **header;
    size_t columns;
    s_entity_t *entities;
    size_t count, cap;
    s_map_t ids;             /* id -> index as text */
} s_table_t;

enum { S_TYPE, S_ID, S_NAME, S_ALIASES, S_FLAGS };

static int
s_column(const s_table_t *t, const char *name)
{
    for (size_t c = 0; c < t->columns; c++)
        if (strcmp(t->header[c], name) == 0)
            return (int) c;
    return -1;
}

/* The column `name`, appended to the header when missing. */
static int
s_need_column(s_ctx_t *ctx, s_table_t *t, const char *name)
{
    int c = s_column(t, name);
    if (c >= 0)
        return c;
    char **header = s_alloc(&ctx->pool, (t->columns + 1) * sizeof *header);
    memcpy(header, t->header, t->columns * sizeof *header);
    header[t->columns] = s_strdup(&ctx->pool, name);
    t->header = header;
    return (int) t->columns++;
}

static const char *
s_cell(const s_row_t *row, int col)
{
    return col >= 0 && (size_t) col < row->count ? row->cells[col] : "";
}

static void
s_set_cell(s_ctx_t *ctx, s_row_t *row, int col, const char *value)
{
    if ((size_t) col >= row->count) {
        char **cells = s_alloc(&ctx->pool, ((size_t) col + 1) * sizeof *cells);
        memcpy(cells, row->cells, row->count * sizeof *cells);
        for (size_t c = row->count; c <= (size_t) col; c++)
            cells[c] = "";
        row->cells = cells;
        row->count = (size_t) col + 1;
    }
    row->cells[col] = s_strdup(&ctx->pool, value);
}

static s_entity_t *
s_entity(s_table_t *t, const char *id)
{
    const char *at = s_map_get(&t->ids, id);
    return at ? &t->entities[strtoul(at, NULL, 10)] : NULL;
}

static s_entity_t *
s_add_entity(s_ctx_t *ctx, s_table_t *t, const char *id)
{
    S_RESERVE(t->entities, t->cap, t->count + 1);
    s_entity_t *e = &t->entities[t->count];
    memset(e, 0, sizeof *e);
    e->id = s_strdup(&ctx->pool, id);
    s_map_put(&t->ids, e->id, s_printf(&ctx->pool, "%zu", t->count));
    t->count++;
    return e;
}

static s_row_t *
s_add_row(s_ctx_t *ctx, s_entity_t *e, const char *id, const char *name, const char *aliases,
          const char *flags)
{
    S_RESERVE(e->rows, e->row_cap, e->row_count + 1);
    s_row_t *row = &e->rows[e->row_count++];
    row->count = 5;
    row->cells = s_alloc(&ctx->pool, 5 * sizeof *row->cells);
    row->cells[S_TYPE] = "company";
    row->cells[S_ID] = s_strdup(&ctx->pool, id);
    row->cells[S_NAME] = s_strdup(&ctx->pool, name);
    row->cells[S_ALIASES] = s_strdup(&ctx->pool, aliases);
    row->cells[S_FLAGS] = s_strdup(&ctx->pool, flags);
    return row;
}

/* The row that names the entity (its first with a name), or NULL. */
static s_row_t *
s_main_row(s_entity_t *e)
{
    for (size_t r = 0; r < e->row_count; r++)
        if (*e->rows[r].cells[S_NAME])
            return &e->rows[r];
    return NULL;
}

static const char s_krx_header[] = "type\tid\tname\taliases\tflags\tmarket\tisin\tsector\tname_en";
static const char s_delisted_header[] = "type\tid\tname\taliases\tflags\tmarket\tdelisted\tsuccessor";

static char **
s_split_tabs(s_ctx_t *ctx, char *line, size_t *count)
{
    size_t n = 1;
    for (const char *p = line; *p; p++)
        n += *p == '\t';
    char **cells = s_alloc(&ctx->pool, n * sizeof *cells);
    n = 0;
    for (char *save = line, *cell; (cell = strsep(&save, "\t"));)
        cells[n++] = cell;
    *count = n;
    return cells;
}

/* Read a generated entity file (or start an empty one when absent).
   @returns 0, or -1 with a message on stderr. */
static int
s_read_table(s_ctx_t *ctx, s_table_t *t, const char *dir, const char *name, const char *default_header)
{
    t->path = s_printf(&ctx->pool, "%s/%s", dir, name);
    char *data;
    size_t len;
    if (s_read_whole(t->path, &data, &len) != 0) {
        if (errno != ENOENT) {
            fprintf(stderr, "ktag: cannot read %s: %s\n", t->path, strerror(errno));
            return -1;
        }
        data = strdup(default_header);
        if (!data)
            exit(1);
    }
    char *text = s_strdup(&ctx->pool, data);
    free(data);
    size_t lineno = 0;
    for (char *save = text, *line; (line = strsep(&save, "\n"));) {
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        const char *first = line + strspn(line, " ");
        if (*first == '#') {
            if (!t->header && strncmp(line, S_UPDATED_MARK, strlen(S_UPDATED_MARK)) != 0) {
                S_RESERVE(t->comments, t->comment_cap, t->comment_count + 1);
                t->comments[t->comment_count++] = line;
            }
            continue;
        }
        if (!*first)
            continue;
        size_t n;
        char **cells = s_split_tabs(ctx, line, &n);
        if (!t->header) {
            if (n < 5 || strcmp(cells[S_TYPE], "type") || strcmp(cells[S_ID], "id") || strcmp(cells[S_NAME], "name")
                || strcmp(cells[S_ALIASES], "aliases") || strcmp(cells[S_FLAGS], "flags")) {
                fprintf(stderr, "ktag: %s:%zu: not an entity file header (type id name aliases flags ...)\n",
                        t->path, lineno);
                return -1;
            }
            t->header = cells;
            t->columns = n;
            continue;
        }
        if (n < 3 || n > t->columns) {
            fprintf(stderr, "ktag: %s:%zu: %zu columns, the header has %zu\n", t->path, lineno, n, t->columns);
            return -1;
        }
        for (size_t c = 0; c < n; c++)
            cells[c] = s_trim(cells[c]);
        if (n < 5) {   /* trailing cells may be left out */
            char **full = s_alloc(&ctx->pool, 5 * sizeof *full);
            memcpy(full, cells, n * sizeof *full);
            for (; n < 5; n++)
                full[n] = "";
            cells = full;
        }
        s_entity_t *e = s_entity(t, cells[S_ID]);
        if (!e)
            e = s_add_entity(ctx, t, cells[S_ID]);
        S_RESERVE(e->rows, e->row_cap, e->row_count + 1);
        e->rows[e->row_count++] = (s_row_t) {cells, n};
    }
    if (!t->header) {
        fprintf(stderr, "ktag: %s: no header row\n", t->path);
        return -1;
    }
    return 0;
}

static int
s_compare_entities(const void *a, const void *b)
{
    return strcmp((*(s_entity_t *const *) a)->id, (*(s_entity_t *const *) b)->id);
}

/* Write table `t` to `path`: comments, the update mark, header, entities
   in id order.  @returns 0 or -1 (errno set). */
static int
s_write_table(const s_table_t *t, const char *path, const char *mark)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    for (size_t i = 0; i < t->comment_count; i++)
        fprintf(fp, "%s\n", t->comments[i]);
    fprintf(fp, "%s\n", mark);
    for (size_t c = 0; c < t->columns; c++)
        fprintf(fp, "%s%s", c ? "\t" : "", t->header[c]);
    fputc('\n', fp);
    s_entity_t **order = malloc((t->count + 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; order && i < t->count; i++)
        if (!t->entities[i].gone)
            order[n++] = &t->entities[i];
    if (order)
        qsort(order, n, sizeof *order, s_compare_entities);
    for (size_t i = 0; order && i < n; i++)
        for (size_t r = 0; r < order[i]->row_count; r++) {
            const s_row_t *row = &order[i]->rows[r];
            for (size_t c = 0; c < row->count; c++)
                fprintf(fp, "%s%s", c ? "\t" : "", row->cells[c]);
            fputc('\n', fp);
        }
    free(order);
    int failed = !order || ferror(fp);
    if (fclose(fp) != 0 || failed) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- update */

typedef struct {
    s_ctx_t *ctx;
    const char *dir;
    const char *date;
    s_table_t krx, delisted;
    s_map_t owners;          /* folded form -> id that owns it */
    s_map_t curated_owner;   /* folded form -> "file:line" of a curated row */
    s_map_t curated_ids;     /* company id -> "file:line" of its first curated row */
    size_t added, renamed, delisted_count, removed, relisted, dropped, moved;
    size_t attributes;       /* rows whose market, ISIN or English name changed */
} s_update_t;

/* Two Hangul syllables or fewer: as likely an ordinary word (gen_krx.py). */
static bool
s_short_hangul(const char *name)
{
    size_t syllables = 0;
    for (const unsigned char *p = (const unsigned char *) name; *p; p += 3) {
        /* U+AC00..U+D7A3 is EA B0 80 .. ED 9E A3 in UTF-8 */
        if (p[0] < 0xEA || p[0] > 0xED || !p[1] || !p[2])
            return false;
        syllables++;
    }
    return syllables <= 2;
}

/* A curated row owns `form` (the first row that names it). */
static void
s_own_curated(s_update_t *u, const char *form, const char *id, const char *where)
{
    if (!*form)
        return;
    const char *folded = s_fold(u->ctx, form);
    if (!s_map_get(&u->owners, folded)) {
        s_map_put(&u->owners, folded, id);
        s_map_put(&u->curated_owner, folded, where);
    }
}

/* Read every curated entity file of the set: the forms they own. */
static void
s_read_curated(s_update_t *u)
{
    DIR *d = opendir(u->dir);
    if (!d)
        return;
    struct dirent *ent;
    char **names = NULL;
    size_t count = 0, cap = 0;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (ent->d_name[0] == '.' || len <= 4 || strcmp(ent->d_name + len - 4, ".tsv") != 0
            || strcmp(ent->d_name, S_KRX_FILE) == 0 || strcmp(ent->d_name, S_DELISTED_FILE) == 0)
            continue;
        S_RESERVE(names, cap, count + 1);
        names[count++] = s_strdup(&u->ctx->pool, ent->d_name);
    }
    closedir(d);
    for (size_t f = 0; f < count; f++) {
        char *data;
        size_t len;
        if (s_read_whole(s_printf(&u->ctx->pool, "%s/%s", u->dir, names[f]), &data, &len) != 0)
            continue;   /* the check reports it */
        char *text = s_strdup(&u->ctx->pool, data);
        free(data);
        bool entity_file = false, header = false;
        size_t lineno = 0;
        for (char *save = text, *line; (line = strsep(&save, "\n"));) {
            lineno++;
            const char *first = line + strspn(line, " ");
            if (!*first || *first == '#' || *first == '\r')
                continue;
            size_t n;
            char **cells = s_split_tabs(u->ctx, line, &n);
            if (!header) {
                header = true;
                entity_file = n >= 5 && strcmp(s_trim(cells[0]), "type") == 0;
                continue;
            }
            if (!entity_file || n < 3)
                continue;
            const char *id = s_trim(cells[S_ID]);
            const char *where = s_printf(&u->ctx->pool, "%s:%zu", names[f], lineno);
            if (strcmp(s_trim(cells[S_TYPE]), "company") == 0 && !s_map_get(&u->curated_ids, id))
                s_map_put(&u->curated_ids, id, where);
            s_own_curated(u, s_trim(cells[S_NAME]), id, where);
            if (n > 3)
                for (char *rest = cells[S_ALIASES], *form; (form = strsep(&rest, "|"));)
                    s_own_curated(u, s_trim(form), id, where);
        }
    }
    free(names);
}

/* Claim `form` for `id`.  @returns true when it is free or already `id`'s. */
static bool
s_claim(s_update_t *u, const char *form, const char *id, const char **owner)
{
    const char *folded = s_fold(u->ctx, form);
    *owner = s_map_get(&u->owners, folded);
    if (*owner)
        return strcmp(*owner, id) == 0;
    s_map_put(&u->owners, folded, id);
    return true;
}

/* Claim every alias of every row of `e`; drop those another id owns. */
static void
s_claim_aliases(s_update_t *u, s_entity_t *e)
{
    for (size_t r = 0; r < e->row_count; r++) {
        s_row_t *row = &e->rows[r];
        if (!*row->cells[S_ALIASES])
            continue;
        ktag_cli_buf_t kept = {0};
        char *list = s_strdup(&u->ctx->pool, row->cells[S_ALIASES]);
        for (char *save = list, *form; (form = strsep(&save, "|"));) {
            const char *owner;
            if (!*form || s_claim(u, form, e->id, &owner)) {
                ktag_cli_buf_printf(&kept, "%s%s", kept.len ? "|" : "", form);
            } else {
                printf("dropped   %-8s alias '%s': now a form of %s\n", e->id, form, owner);
                u->dropped++;
            }
        }
        ktag_cli_buf_append(&kept, "", 1);
        row->cells[S_ALIASES] = s_strdup(&u->ctx->pool, kept.data);
        ktag_cli_buf_free(&kept);
    }
    /* A continuation row left with nothing goes. */
    size_t w = 0;
    for (size_t r = 0; r < e->row_count; r++)
        if (*e->rows[r].cells[S_NAME] || *e->rows[r].cells[S_ALIASES])
            e->rows[w++] = e->rows[r];
    e->row_count = w;
}

/* Apply the listing to the tables. */
static void
s_apply(s_update_t *u, const s_listing_t *l)
{
    s_ctx_t *ctx = u->ctx;
    s_table_t *krx = &u->krx, *del = &u->delisted;
    int k_market = s_need_column(ctx, krx, "market"), k_isin = s_need_column(ctx, krx, "isin");
    int k_name_en = s_need_column(ctx, krx, "name_en");
    int d_market = s_need_column(ctx, del, "market"), d_date = s_need_column(ctx, del, "delisted");

    /* Listed codes: new, renamed, or attributes refreshed. */
    for (size_t i = 0; i < l->count; i++) {
        const s_listed_t *row = &l->rows[i];
        s_entity_t *e = s_entity(krx, row->code);
        s_row_t *main = e ? s_main_row(e) : NULL;
        if (!e || !main) {
            const char *delisted_id = s_printf(&ctx->pool, "delisted:%s", row->code);
            s_entity_t *gone = s_entity(del, delisted_id);
            if (!e)
                e = s_add_entity(ctx, krx, row->code);
            if (gone && !gone->gone) {
                /* Back with the forms it had. */
                gone->gone = true;
                for (size_t r = 0; r < gone->row_count; r++)
                    if (*gone->rows[r].cells[S_ALIASES])
                        s_add_row(ctx, e, row->code, "", gone->rows[r].cells[S_ALIASES], gone->rows[r].cells[S_FLAGS]);
                printf("relisted  %-8s %s (%s): leaves the delisted set\n", row->code, row->name, row->market);
                u->relisted++;
            } else {
                printf("added     %-8s %s (%s)%s\n", row->code, row->name, row->market,
                       s_short_hangul(row->name) ? ", flagged ambiguous (two syllables)" : "");
                u->added++;
            }
            /* The main row goes first. */
            s_row_t first = *s_add_row(ctx, e, row->code, row->name, "", s_short_hangul(row->name) ? "ambiguous" : "");
            memmove(e->rows + 1, e->rows, (e->row_count - 1) * sizeof *e->rows);
            e->rows[0] = first;
            main = &e->rows[0];
        } else if (strcmp(s_fold(ctx, main->cells[S_NAME]), s_fold(ctx, row->name)) != 0) {
            const char *old = main->cells[S_NAME];
            const char *old_flags = main->cells[S_FLAGS];
            printf("renamed   %-8s %s -> %s (the old name stays an alias)%s\n", row->code, old, row->name,
                   s_short_hangul(row->name) ? ", flagged ambiguous (two syllables)" : "");
            u->renamed++;
            main->cells[S_NAME] = s_strdup(&ctx->pool, row->name);
            main->cells[S_FLAGS] = s_short_hangul(row->name) ? "ambiguous" : "";
            /* The old name, with the flags it had, right after the main row. */
            size_t at = (size_t) (main - e->rows) + 1;
            s_add_row(ctx, e, row->code, "", old, old_flags);
            s_row_t added = e->rows[e->row_count - 1];
            memmove(e->rows + at + 1, e->rows + at, (e->row_count - 1 - at) * sizeof *e->rows);
            e->rows[at] = added;
            main = &e->rows[at - 1];
        }
        const char *market = s_cell(main, k_market);
        if (*market && strcmp(market, row->market) != 0) {
            printf("market    %-8s %s: %s -> %s\n", row->code, row->name, market, row->market);
            u->moved++;
        }
        if (strcmp(market, row->market) != 0 || (*row->isin && strcmp(s_cell(main, k_isin), row->isin) != 0)
            || (*row->name_en && !*s_cell(main, k_name_en)))
            u->attributes++;
        s_set_cell(ctx, main, k_market, row->market);
        if (*row->isin)
            s_set_cell(ctx, main, k_isin, row->isin);
        if (*row->name_en && !*s_cell(main, k_name_en))
            s_set_cell(ctx, main, k_name_en, row->name_en);
    }

    /* Codes gone from the listing: common shares to the delisted set. */
    for (size_t i = 0; i < krx->count; i++) {
        s_entity_t *e = &krx->entities[i];
        if (s_map_get(&l->codes, e->id) || !s_main_row(e))
            continue;
        e->gone = true;
        s_row_t *main = s_main_row(e);
        const char *name = main->cells[S_NAME];
        const char *where = s_map_get(&u->curated_ids, e->id);
        bool common = e->id[5] == '0' && !strstr(name, "스팩") && !strstr(name, "기업인수목적");
        if (!common) {
            printf("removed   %-8s %s (not a common share: not kept as delisted)\n", e->id, name);
            u->removed++;
        } else {
            const char *id = s_printf(&ctx->pool, "delisted:%s", e->id);
            s_entity_t *d = s_entity(del, id);
            if (d)   /* an older delisting of the same code: the new one replaces it */
                d->row_count = 0;
            else
                d = s_add_entity(ctx, del, id);
            d->gone = false;
            s_row_t *row = s_add_row(ctx, d, id, name, "", s_short_hangul(name) ? "ambiguous" : main->cells[S_FLAGS]);
            s_set_cell(ctx, row, d_market, s_cell(main, s_column(krx, "market")));
            s_set_cell(ctx, row, d_date, u->date);
            for (size_t r = 0; r < e->row_count; r++)
                if (*e->rows[r].cells[S_ALIASES])
                    s_add_row(ctx, d, id, "", e->rows[r].cells[S_ALIASES], e->rows[r].cells[S_FLAGS]);
            printf("delisted  %-8s %s -> %s (%s)\n", e->id, name, id, u->date);
            u->delisted_count++;
        }
        if (where)
            printf("note      %-8s %s/%s still names it: move that row to companies_delisted_aliases.tsv "
                   "as delisted:%s, or the set will not load\n", e->id, u->dir, where, e->id);
    }

    /* Who owns which form: curated files (read before), current names,
       then generated aliases, then the delisted set. */
    for (size_t i = 0; i < krx->count; i++) {
        s_entity_t *e = &krx->entities[i];
        const char *owner;
        s_row_t *main = s_main_row(e);
        if (!e->gone && main && !s_claim(u, main->cells[S_NAME], e->id, &owner)) {
            const char *folded = s_fold(ctx, main->cells[S_NAME]);
            const char *where = s_map_get(&u->curated_owner, folded);
            if (where)
                printf("conflict  %-8s name '%s' is also a form of %s (%s/%s): curate that file\n", e->id,
                       main->cells[S_NAME], owner, u->dir, where);
            else
                printf("conflict  %-8s name '%s' is also the name of %s\n", e->id, main->cells[S_NAME], owner);
        }
    }
    for (size_t i = 0; i < krx->count; i++)
        if (!krx->entities[i].gone)
            s_claim_aliases(u, &krx->entities[i]);
    for (size_t i = 0; i < del->count; i++) {
        s_entity_t *e = &del->entities[i];
        s_row_t *main = s_main_row(e);
        const char *owner;
        if (e->gone || !main)
            continue;
        if (!s_claim(u, main->cells[S_NAME], e->id, &owner)) {
            printf("dropped   %s '%s': the name is now a form of %s\n", e->id, main->cells[S_NAME], owner);
            e->gone = true;
            u->dropped++;
            continue;
        }
        s_claim_aliases(u, e);
    }
}

/* ------------------------------------------------------ staging, check */

/* A date YYYY-MM-DD or YYYYMMDD at `s`.  @returns true and writes
   "YYYY-MM-DD" to out[11]. */
static bool
s_parse_date(const char *s, char out[11], bool whole)
{
    int y, m, d, n = 0;
    if (strlen(s) >= 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10) {
    } else if (strlen(s) >= 8 && strspn(s, "0123456789") >= 8 && sscanf(s, "%4d%2d%2d%n", &y, &m, &d, &n) == 3
               && n == 8) {
    } else {
        return false;
    }
    if ((whole && s[n]) || y < 1956 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return true;
}

/* The listing's date from its file name (krx_listing_2026-03-22.csv, the
   portal's data_1234_20260322.csv).  @returns true when found. */
static bool
s_date_from_name(const char *path, char out[11])
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    for (const char *p = base; *p; p++)
        if ((p == base || !isdigit((unsigned char) p[-1])) && s_parse_date(p, out, false)) {
            size_t len = p[4] == '-' ? 10 : 8;
            if (!isdigit((unsigned char) p[len]))
                return true;
        }
    return false;
}

static void
s_count_problem(void *user, const char *file, int line, const char *message)
{
    (void) file;
    (void) line;
    (void) message;
    (*(int *) user)++;
}

/* A directory of links to every file of `dir`, the generated files
   replaced by the new ones: the set as it will be.  @returns its path
   (pooled) or NULL with errno set. */
static char *
s_stage(s_ctx_t *ctx, const char *dir, const char *const *generated, const char *const *fresh, size_t count)
{
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *stage = s_printf(&ctx->pool, "%s/ktag-update-XXXXXX", tmp);
    char real[PATH_MAX];
    if (!mkdtemp(stage) || !realpath(dir, real))
        return NULL;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    int rc = 0;
    for (struct dirent *ent; rc == 0 && (ent = readdir(d));) {
        size_t len = strlen(ent->d_name);
        bool wanted = ent->d_name[0] != '.' && ((len > 4 && strcmp(ent->d_name + len - 4, ".tsv") == 0)
                                                || strcmp(ent->d_name, "VERSION") == 0);
        for (size_t i = 0; i < count; i++)
            wanted &= strcmp(ent->d_name, generated[i]) != 0;
        if (wanted)
            rc = symlink(s_printf(&ctx->pool, "%s/%s", real, ent->d_name),
                         s_printf(&ctx->pool, "%s/%s", stage, ent->d_name));
    }
    closedir(d);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char fresh_real[PATH_MAX];
        rc = realpath(fresh[i], fresh_real) ? symlink(fresh_real, s_printf(&ctx->pool, "%s/%s", stage, generated[i]))
                                            : -1;
    }
    return rc == 0 ? stage : NULL;
}

static void
s_unstage(s_ctx_t *ctx, const char *stage)
{
    DIR *d = opendir(stage);
    if (!d)
        return;
    for (struct dirent *ent; (ent = readdir(d));)
        if (ent->d_name[0] != '.')
            unlink(s_printf(&ctx->pool, "%s/%s", stage, ent->d_name));
    closedir(d);
    rmdir(stage);
}

/* Rename the fresh files over the live ones; on a failure half-way, put
   back the ones already replaced.  @returns 0 or -1 (message printed). */
static int
s_install(s_ctx_t *ctx, const char *const *live, const char *const *fresh, size_t count)
{
    const char *backup[2];
    bool had[2];
    for (size_t i = 0; i < count; i++) {
        const char *slash = strrchr(live[i], '/');
        backup[i] = s_printf(&ctx->pool, "%.*s/.%s.old", (int) (slash - live[i]), live[i], slash + 1);
        unlink(backup[i]);
        had[i] = link(live[i], backup[i]) == 0;
    }
    size_t done = 0;
    for (; done < count; done++)
        if (rename(fresh[done], live[done]) != 0)
            break;
    int rc = 0;
    if (done < count) {
        fprintf(stderr, "ktag: cannot install %s: %s; the previous files are restored\n", live[done],
                strerror(errno));
        for (size_t i = 0; i < done; i++)
            if (had[i] ? rename(backup[i], live[i]) != 0 : unlink(live[i]) != 0)
                fprintf(stderr, "ktag: cannot restore %s: %s\n", live[i], strerror(errno));
        rc = -1;
    }
    for (size_t i = 0; i < count; i++) {
        unlink(backup[i]);
        unlink(fresh[i]);
    }
    return rc;
}

/* ------------------------------------------------------------ command */

static const char s_usage[] =
    "Usage: ktag lexicon update --krx-listing FILE [-L DIR] [--date YYYY-MM-DD] [--dry-run] [--force]\n"
    "\n"
    "Bring the generated company files of the lexicon set DIR (companies_krx.tsv,\n"
    "companies_delisted.tsv) up to date with a current KRX listing: new codes are\n"
    "added, a renamed company keeps its old name as an alias, codes gone from the\n"
    "listing move to the delisted set dated DATE.  Curated files are not touched.\n"
    "The new files are installed only when the whole set checks and loads.\n"
    "\n"
    "  --krx-listing FILE   a FinanceDataReader CSV (Code,ISU_CD,Name,Market,...) or\n"
    "                       the KRX data portal's 전종목 기본정보 CSV, UTF-8 or EUC-KR\n"
    "  -L, --lexicons DIR   the set to update (default: $KTAG_LEXICONS, else the\n"
    "                       bundled set)\n"
    "  --date YYYY-MM-DD    the listing's date (default: the date in FILE's name)\n"
    "  --dry-run            show and check the changes, install nothing\n"
    "  --force              accept a listing that drops more than 5% of the codes\n"
    "                       (normally a listing of one market only, or a cut file)\n"
    "\n"
    "Then reload: `systemctl reload ktagd` or `kill -HUP $(pidof ktagd)`.\n"
    "Exit status: 0 installed (or checked, with --dry-run), 1 failed (nothing\n"
    "installed), 2 usage error.\n";

enum { OPT_KRX_LISTING = 256, OPT_DATE, OPT_DRY_RUN, OPT_FORCE };

int
ktag_cli_lexicon_update(int argc, char **argv)
{
    static const struct option options[] = {
        {"krx-listing", required_argument, NULL, OPT_KRX_LISTING},
        {"lexicons", required_argument, NULL, 'L'},
        {"date", required_argument, NULL, OPT_DATE},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listing_path = NULL, *flag_dir = NULL, *date_flag = NULL;
    bool dry_run = false, force = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "L:h", options, NULL)) != -1) {
        switch (c) {
        case OPT_KRX_LISTING: listing_path = optarg; break;
        case OPT_DATE: date_flag = optarg; break;
        case OPT_DRY_RUN: dry_run = true; break;
        case OPT_FORCE: force = true; break;
        case 'h': fputs(s_usage, stdout); return 0;
        case 'L':
            if (flag_dir) {
                fprintf(stderr, "ktag: lexicon update works on one set: -L once\n");
                return S_EXIT_USAGE;
            }
            flag_dir = optarg;
            break;
        default: fputs(s_usage, stderr); return S_EXIT_USAGE;
        }
    }
    if (!listing_path || optind < argc) {
        fputs(s_usage, stderr);
        return S_EXIT_USAGE;
    }
    char date[11];
    if (date_flag ? !s_parse_date(date_flag, date, true) : !s_date_from_name(listing_path, date)) {
        fprintf(stderr, date_flag ? "ktag: --date '%s' is not a date (YYYY-MM-DD)\n"
                                  : "ktag: no date in the name of %s: give the listing's date with --date YYYY-MM-DD\n",
                date_flag ? date_flag : listing_path);
        return S_EXIT_USAGE;
    }
    const char *dirs[KTAG_LEXDIR_MAX];
    size_t ndirs = ktag_lexdir_resolve_many(flag_dir ? &flag_dir : NULL, flag_dir ? 1 : 0, dirs);
    if (ndirs != 1) {
        fprintf(stderr, "ktag: $KTAG_LEXICONS names several sets: say which to update with -L DIR\n");
        return S_EXIT_USAGE;
    }

    s_ctx_t ctx = {0};
    UErrorCode st = U_ZERO_ERROR;
    ctx.nfc = unorm2_getNFCInstance(&st);
    ctx.fold = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "ktag: ICU normalizers unavailable: %s\n", u_errorName(st));
        return 1;
    }
    s_listing_t listing = {.ctx = &ctx, .path = listing_path};
    s_update_t u = {.ctx = &ctx, .dir = dirs[0], .date = date};
    int rc = 1;
    const char *encoding = "";
    char *stage = NULL;
    const char *live[2] = {NULL, NULL}, *fresh[2] = {NULL, NULL};
    const char *generated[2] = {S_KRX_FILE, S_DELISTED_FILE};
    bool written[2] = {false, false};

    if (s_read_listing(&listing, &encoding) != 0) {
        fprintf(stderr, "ktag: %s\n", listing.error);
        goto done;
    }
    printf("listing   %s: %zu codes (%s, %s), dated %s\n", listing_path, listing.count,
           listing.format == S_FORMAT_FDR ? "FinanceDataReader CSV" : "KRX data portal CSV", encoding, date);
    if (s_read_table(&ctx, &u.krx, u.dir, S_KRX_FILE, s_krx_header) != 0
        || s_read_table(&ctx, &u.delisted, u.dir, S_DELISTED_FILE, s_delisted_header) != 0)
        goto done;
    s_read_curated(&u);

    size_t listed_before = 0, vanishing = 0;
    for (size_t i = 0; i < u.krx.count; i++)
        if (s_main_row(&u.krx.entities[i])) {
            listed_before++;
            vanishing += s_map_get(&listing.codes, u.krx.entities[i].id) == NULL;
        }
    size_t limit = listed_before / 20 > 20 ? listed_before / 20 : 20;
    if (vanishing > limit && !force) {
        fprintf(stderr, "ktag: the listing would delist %zu of %zu codes: is it the whole market (KOSPI, "
                        "KOSDAQ and KONEX)? --force to accept\n", vanishing, listed_before);
        goto done;
    }
    s_apply(&u, &listing);
    if (u.added + u.renamed + u.delisted_count + u.removed + u.relisted + u.dropped + u.attributes == 0) {
        printf("unchanged %s is up to date with the listing; nothing written\n", u.dir);
        rc = 0;
        goto done;
    }

    char mark[600];
    const char *base = strrchr(listing_path, '/') ? strrchr(listing_path, '/') + 1 : listing_path;
    snprintf(mark, sizeof mark, "%s from %s (listing of %s): %zu added, %zu renamed, %zu delisted.",
             S_UPDATED_MARK, base, date, u.added, u.renamed, u.delisted_count);
    s_table_t *tables[2] = {&u.krx, &u.delisted};
    for (int i = 0; i < 2; i++) {
        live[i] = tables[i]->path;
        fresh[i] = s_printf(&ctx.pool, "%s/.%s.new", u.dir, generated[i]);
        if (s_write_table(tables[i], fresh[i], mark) != 0) {
            fprintf(stderr, "ktag: cannot write %s: %s\n", fresh[i], strerror(errno));
            goto done;
        }
        written[i] = true;
    }

    /* Check the set as it will be; a set that had problems before may keep
       them, but not gain any. */
    int before = 0;
    if (ktag_lexicon_check(u.dir, s_count_problem, &before) < 0)
        before = 0;
    stage = s_stage(&ctx, u.dir, generated, fresh, 2);
    if (!stage) {
        fprintf(stderr, "ktag: cannot stage the new set for checking: %s\n", strerror(errno));
        goto done;
    }
    const char *staged[1] = {stage};
    if (ktag_cli_lexicon_verify(staged, 1, u.dir, before) != 0) {
        fprintf(stderr, "ktag: the updated set does not check; nothing installed, %s is as it was\n", u.dir);
        goto done;
    }
    if (dry_run) {
        printf("dry run   nothing installed\n");
        rc = 0;
        goto done;
    }
    if (s_install(&ctx, live, fresh, 2) != 0)
        goto done;
    written[0] = written[1] = false;
    printf("updated   %s: %zu added, %zu renamed, %zu delisted, %zu removed, %zu relisted, %zu changed "
           "market, %zu forms dropped\n", u.dir, u.added, u.renamed, u.delisted_count, u.removed, u.relisted,
           u.moved, u.dropped);
    printf("reload ktagd to serve it: systemctl reload ktagd (or kill -HUP its pid)\n");
    rc = 0;

done:
    for (int i = 0; i < 2; i++)
        if (written[i])
            unlink(fresh[i]);
    if (stage)
        s_unstage(&ctx, stage);
    s_map_free(&listing.codes);
    free(listing.rows);
    s_table_t *all[2] = {&u.krx, &u.delisted};
    for (int i = 0; i < 2; i++) {
        for (size_t e = 0; e < all[i]->count; e++)
            free(all[i]->entities[e].rows);
        free(all[i]->entities);
        free(all[i]->comments);
        s_map_free(&all[i]->ids);
    }
    s_map_free(&u.owners);
    s_map_free(&u.curated_owner);
    s_map_free(&u.curated_ids);
    s_pool_free(&ctx.pool);
    return rc;
}
