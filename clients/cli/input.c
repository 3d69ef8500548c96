/*  input.c - the `ktag` readers: paths -> sources -> documents in slots.

    The reader runs on one thread and does as little as possible per
    document (find the line, copy it) so that parsing and tagging happen on
    the workers.  Streams are read in large chunks with read(2).
*/
#include "ktag_cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>

#include "ktag_json.h"
#include "ktag_msgpack.h"

#define S_CHUNK (1u << 20)

typedef struct {
    char *path;                 /* "-" for stdin */
    uint64_t size;              /* 0 when unknown */
    bool size_known;
} s_source_t;

struct ktag_cli_reader {
    const ktag_cli_config_t *config;
    s_source_t *sources;
    size_t nsources, cap;
    size_t index;               /* current source */
    int fd;                     /* open stream, or -1 */
    bool opened;                /* the current source has been opened */
    bool regular;               /* ...and is a regular file (reads never wait) */
    uint64_t line;              /* lines/jsonl: lines read; msgpack: records */
    uint64_t seq;
    size_t skipped_bytes;       /* blank lines not yet counted in any slot's nbytes */
    /* lines/jsonl chunk buffer: [pos, end) unread, `scan` where to look for '\n' */
    char *buf;
    size_t buf_cap, pos, end, scan;
    bool eof;
    /* msgpack */
    msgpack_unpacker unpacker;
    bool unpacker_ready;
    msgpack_unpacked unpacked;
    size_t parsed_before;
};

static void *
s_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    return p;
}

static void
s_add_source(ktag_cli_reader_t *self, const char *path, const struct stat *st)
{
    if (self->nsources == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->sources = s_xrealloc(self->sources, self->cap * sizeof *self->sources);
    }
    s_source_t *s = &self->sources[self->nsources++];
    s->path = strdup(path);
    if (!s->path) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    s->size_known = st && S_ISREG(st->st_mode);
    s->size = s->size_known ? (uint64_t) st->st_size : 0;
}

static int
s_name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Hidden entries (.git, editor swap files) are skipped inside directories,
 * as grep-like tools do; a hidden file named on the command line is read. */
static int
s_visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static void
s_expand(ktag_cli_reader_t *self, const char *path, int depth)
{
    struct stat st;
    if (strcmp(path, "-") == 0) {
        int ok = fstat(0, &st) == 0;
        s_add_source(self, "-", ok ? &st : NULL);
        return;
    }
    int found = stat(path, &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
        /* Missing files stay in the list: reading them reports the error at
         * their position in the output. */
        s_add_source(self, path, found ? &st : NULL);
        return;
    }
    if (depth > 64)
        return;                 /* a symlink loop; nothing sane lies deeper */
    struct dirent **names = NULL;
    int n = scandir(path, &names, s_visible, s_name_cmp);
    if (n < 0) {
        s_add_source(self, path, NULL);     /* reports "cannot read" later */
        return;
    }
    size_t plen = strlen(path);
    for (int i = 0; i < n; i++) {
        size_t nlen = strlen(names[i]->d_name);
        char *child = s_xrealloc(NULL, plen + nlen + 2);
        memcpy(child, path, plen);
        size_t k = plen;
        if (k == 0 || child[k - 1] != '/')
            child[k++] = '/';
        memcpy(child + k, names[i]->d_name, nlen + 1);
        struct stat cst;
        if (stat(child, &cst) == 0 && (S_ISDIR(cst.st_mode) || S_ISREG(cst.st_mode)))
            s_expand(self, child, depth + 1);
        free(child);
        free(names[i]);
    }
    free(names);
}

ktag_cli_reader_t *
ktag_cli_reader_new(const ktag_cli_config_t *config, char **paths, int npaths)
{
    ktag_cli_reader_t *self = s_xrealloc(NULL, sizeof *self);
    memset(self, 0, sizeof *self);
    self->config = config;
    self->fd = -1;
    if (npaths == 0)
        s_expand(self, "-", 0);
    for (int i = 0; i < npaths; i++)
        s_expand(self, paths[i], 0);
    msgpack_unpacked_init(&self->unpacked);
    return self;
}

static void
s_close_source(ktag_cli_reader_t *self)
{
    if (self->fd > 0)
        close(self->fd);
    self->fd = -1;
    self->opened = false;
    self->pos = self->end = self->scan = 0;
    self->eof = false;
    self->line = 0;
    if (self->unpacker_ready) {
        msgpack_unpacker_destroy(&self->unpacker);
        self->unpacker_ready = false;
    }
    self->index++;
}

void
ktag_cli_reader_destroy(ktag_cli_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_cli_reader_t *self = *self_p;
    if (self->fd > 0)
        close(self->fd);
    if (self->unpacker_ready)
        msgpack_unpacker_destroy(&self->unpacker);
    msgpack_unpacked_destroy(&self->unpacked);
    for (size_t i = 0; i < self->nsources; i++)
        free(self->sources[i].path);
    free(self->sources);
    free(self->buf);
    free(self);
    *self_p = NULL;
}

uint64_t
ktag_cli_reader_total_bytes(const ktag_cli_reader_t *self)
{
    uint64_t total = 0;
    for (size_t i = 0; i < self->nsources; i++) {
        if (!self->sources[i].size_known)
            return 0;
        total += self->sources[i].size;
    }
    return total;
}

/* Start a slot for the current source. */
static void
s_begin(ktag_cli_reader_t *self, ktag_cli_slot_t *slot)
{
    ktag_cli_slot_reset(slot);
    slot->seq = self->seq++;
    slot->source = self->sources[self->index].path;
    slot->line = 0;
}

static void
s_read_failure(ktag_cli_slot_t *slot, bool emit, const char *code, const char *fmt, const char *what)
{
    size_t n = strlen(fmt) + strlen(what) + 1;
    slot->read_error = s_xrealloc(NULL, n);
    snprintf(slot->read_error, n, fmt, what);
    slot->read_code = code;
    slot->emit_read_error = emit;
}

/* Open the current source.  @returns 0, or -1 with the failure in `slot`. */
static int
s_open(ktag_cli_reader_t *self, ktag_cli_slot_t *slot, bool emit)
{
    const char *path = self->sources[self->index].path;
    self->opened = true;
    struct stat st;
    if (strcmp(path, "-") == 0) {
        self->fd = 0;
        self->regular = fstat(0, &st) == 0 && S_ISREG(st.st_mode);
        return 0;
    }
    self->fd = open(path, O_RDONLY | O_CLOEXEC);
    self->regular = self->fd >= 0 && fstat(self->fd, &st) == 0 && S_ISREG(st.st_mode);
    if (self->fd >= 0 && fstat(self->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(self->fd);
        self->fd = -1;
        errno = EISDIR;
    }
    if (self->fd < 0) {
        s_begin(self, slot);
        s_read_failure(slot, emit, "bad_request", "cannot open: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Text mode: the whole file is one document. */
static int
s_next_text(ktag_cli_reader_t *self, ktag_cli_slot_t *slot)
{
    const char *path = self->sources[self->index].path;
    if (s_open(self, slot, true) != 0) {
        slot->id = json_string(path);
        s_close_source(self);
        return 1;
    }
    s_begin(self, slot);
    slot->id = json_string(path);
    if (!slot->id)                      /* a file name that is not UTF-8 */
        slot->id = json_stringn_nocheck(path, strlen(path));
    struct stat st;
    if (fstat(self->fd, &st) == 0 && S_ISREG(st.st_mode))
        ktag_cli_buf_reserve(&slot->raw, (size_t) st.st_size + 1);
    for (;;) {
        ktag_cli_buf_reserve(&slot->raw, S_CHUNK);
        ssize_t n = read(self->fd, slot->raw.data + slot->raw.len, slot->raw.cap - slot->raw.len);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            s_read_failure(slot, true, "bad_request", "cannot read: %s", strerror(errno));
            break;
        }
        slot->raw.len += (size_t) n;
    }
    slot->nbytes = slot->raw.len;
    s_close_source(self);
    return 1;
}

/* Lines and JSONL: the next line of the current source, without its '\n'
 * (and '\r').  @returns 1 with *line and *len set, 0 at the end of the source,
 * -1 on a read error (errno set). */
static int
s_next_line(ktag_cli_reader_t *self, const char **line, size_t *len, size_t *consumed)
{
    for (;;) {
        char *nl = self->scan < self->end
                       ? memchr(self->buf + self->scan, '\n', self->end - self->scan)
                       : NULL;
        if (nl || (self->eof && self->pos < self->end)) {
            size_t stop = nl ? (size_t) (nl - self->buf) : self->end;
            *line = self->buf + self->pos;
            *len = stop - self->pos;
            *consumed = *len + (nl ? 1 : 0);
            if (*len > 0 && (*line)[*len - 1] == '\r')
                (*len)--;
            self->pos = self->scan = nl ? stop + 1 : stop;
            return 1;
        }
        if (self->eof)
            return 0;
        self->scan = self->end;
        /* Keep the partial line and make room behind it. */
        if (self->pos > 0) {
            memmove(self->buf, self->buf + self->pos, self->end - self->pos);
            self->end -= self->pos;
            self->scan -= self->pos;
            self->pos = 0;
        }
        if (self->buf_cap - self->end < S_CHUNK / 2) {
            self->buf_cap = self->buf_cap ? self->buf_cap * 2 : S_CHUNK;
            self->buf = s_xrealloc(self->buf, self->buf_cap);
        }
        ssize_t n = read(self->fd, self->buf + self->end, self->buf_cap - self->end);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            self->eof = true;
        self->end += (size_t) n;
    }
}

static bool
s_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static int
s_next_lines(ktag_cli_reader_t *self, ktag_cli_slot_t *slot)
{
    bool jsonl = self->config->input == KTAG_CLI_IN_JSONL;
    if (!self->opened && s_open(self, slot, false) != 0) {
        s_close_source(self);
        return 1;
    }
    for (;;) {
        const char *line;
        size_t len, consumed;
        int rc = s_next_line(self, &line, &len, &consumed);
        if (rc == 0) {
            s_close_source(self);
            return 0;
        }
        if (rc < 0) {
            s_begin(self, slot);
            slot->line = self->line + 1;
            s_read_failure(slot, false, "bad_request", "cannot read: %s", strerror(errno));
            s_close_source(self);
            return 1;
        }
        self->line++;
        /* A byte-order mark some editors put at the top of a JSONL file is
         * not part of the first object. */
        if (jsonl && self->line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
        /* JSONL blank lines separate nothing and are not documents; in lines
         * mode an empty line is not one either (whitespace is), and the other
         * lines keep their numbers as ids. */
        if (jsonl ? s_blank(line, len) : len == 0) {
            self->skipped_bytes += consumed;    /* counted with the next document */
            continue;
        }
        s_begin(self, slot);
        slot->line = self->line;
        slot->nbytes = consumed + self->skipped_bytes;
        self->skipped_bytes = 0;
        ktag_cli_buf_append(&slot->raw, line, len);
        if (jsonl) {
            ktag_cli_buf_reserve(&slot->raw, KTAG_CLI_JSONL_PADDING);
            memset(slot->raw.data + slot->raw.len, 0, KTAG_CLI_JSONL_PADDING);
        } else {
            if (self->nsources == 1) {
                slot->id = json_integer((json_int_t) self->line);
            } else {
                /* Several files: a bare line number would repeat, so the id
                 * says which file too. */
                char tmp[64];
                snprintf(tmp, sizeof tmp, ":%llu", (unsigned long long) self->line);
                ktag_cli_buf_t id = {0};
                ktag_cli_buf_append(&id, slot->source, strlen(slot->source));
                ktag_cli_buf_append(&id, tmp, strlen(tmp));
                slot->id = json_stringn_nocheck(id.data, id.len);
                ktag_cli_buf_free(&id);
            }
        }
        return 1;
    }
}

static void
s_fill_msgpack(ktag_cli_reader_t *self, ktag_cli_slot_t *slot, const msgpack_object *obj)
{
    const ktag_cli_config_t *cfg = self->config;
    if (obj->type != MSGPACK_OBJECT_MAP) {
        s_read_failure(slot, true, "bad_request", "record is not a map%s", "");
        return;
    }
    const msgpack_object *id = ktag_msgpack_map_get(obj, cfg->id_field);
    if (id && (id->type == MSGPACK_OBJECT_STR || id->type == MSGPACK_OBJECT_POSITIVE_INTEGER
               || id->type == MSGPACK_OBJECT_NEGATIVE_INTEGER))
        slot->id = ktag_json_from_msgpack(id, false, NULL);
    else if (id && id->type != MSGPACK_OBJECT_NIL) {
        s_read_failure(slot, true, "bad_request", "field '%s' must be a string or an integer", cfg->id_field);
        return;
    }
    const msgpack_object *text = ktag_msgpack_map_get(obj, cfg->text_field);
    if (!text) {
        s_read_failure(slot, true, "bad_request", "missing text field '%s'", cfg->text_field);
        return;
    }
    if (text->type != MSGPACK_OBJECT_STR) {
        s_read_failure(slot, true, "bad_request", "field '%s' must be a string", cfg->text_field);
        return;
    }
    ktag_cli_buf_append(&slot->raw, text->via.str.ptr, text->via.str.size);
    const msgpack_object *title = ktag_msgpack_map_get(obj, cfg->title_field);
    if (title && title->type == MSGPACK_OBJECT_STR) {
        slot->has_title = true;
        slot->title_off = slot->raw.len;
        slot->title_len = title->via.str.size;
        ktag_cli_buf_append(&slot->raw, title->via.str.ptr, title->via.str.size);
    } else if (title && title->type != MSGPACK_OBJECT_NIL) {
        s_read_failure(slot, true, "bad_request", "field '%s' must be a string", cfg->title_field);
    }
}

static int
s_next_msgpack(ktag_cli_reader_t *self, ktag_cli_slot_t *slot)
{
    if (!self->opened) {
        if (s_open(self, slot, false) != 0) {
            s_close_source(self);
            return 1;
        }
        if (!msgpack_unpacker_init(&self->unpacker, S_CHUNK)) {
            fprintf(stderr, "ktag: out of memory\n");
            exit(1);
        }
        self->unpacker_ready = true;
        self->parsed_before = 0;
    }
    for (;;) {
        msgpack_unpack_return ret = msgpack_unpacker_next(&self->unpacker, &self->unpacked);
        if (ret == MSGPACK_UNPACK_SUCCESS) {
            self->line++;
            s_begin(self, slot);
            slot->line = self->line;
            size_t parsed = msgpack_unpacker_parsed_size(&self->unpacker);
            slot->nbytes = parsed - self->parsed_before;
            self->parsed_before = parsed;
            s_fill_msgpack(self, slot, &self->unpacked.data);
            return 1;
        }
        if (ret != MSGPACK_UNPACK_CONTINUE) {
            /* A corrupt stream has no next record boundary to resume at. */
            s_begin(self, slot);
            slot->line = self->line + 1;
            s_read_failure(slot, false, "bad_request", "%s", ret == MSGPACK_UNPACK_NOMEM_ERROR
                               ? "msgpack record too large for memory (corrupt input?); rest of input skipped"
                               : "malformed msgpack; rest of input skipped");
            s_close_source(self);
            return 1;
        }
        if (self->eof) {
            /* parsed_size stops at the end of the last complete record, so
             * anything beyond it is the start of one that never ended. */
            bool partial = msgpack_unpacker_message_size(&self->unpacker) > self->parsed_before;
            if (partial) {
                s_begin(self, slot);
                slot->line = self->line + 1;
                s_read_failure(slot, false, "bad_request", "%s", "truncated msgpack record at end of input");
                s_close_source(self);
                return 1;
            }
            s_close_source(self);
            return 0;
        }
        if (!msgpack_unpacker_reserve_buffer(&self->unpacker, S_CHUNK)) {
            fprintf(stderr, "ktag: out of memory\n");
            exit(1);
        }
        ssize_t n = read(self->fd, msgpack_unpacker_buffer(&self->unpacker),
                         msgpack_unpacker_buffer_capacity(&self->unpacker));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            s_begin(self, slot);
            slot->line = self->line + 1;
            s_read_failure(slot, false, "bad_request", "cannot read: %s", strerror(errno));
            s_close_source(self);
            return 1;
        }
        if (n == 0)
            self->eof = true;
        msgpack_unpacker_buffer_consumed(&self->unpacker, (size_t) n);
    }
}

bool
ktag_cli_reader_may_wait(const ktag_cli_reader_t *self)
{
    if (self->index >= self->nsources || !self->opened || self->regular)
        return false;
    if (self->config->input == KTAG_CLI_IN_LINES || self->config->input == KTAG_CLI_IN_JSONL)
        return !(self->scan < self->end && memchr(self->buf + self->scan, '\n', self->end - self->scan));
    return true;
}

int
ktag_cli_reader_next(ktag_cli_reader_t *self, ktag_cli_slot_t *slot)
{
    while (self->index < self->nsources) {
        int rc;
        switch (self->config->input) {
        case KTAG_CLI_IN_TEXT:
            return s_next_text(self, slot);
        case KTAG_CLI_IN_MSGPACK:
            rc = s_next_msgpack(self, slot);
            break;
        default:
            rc = s_next_lines(self, slot);
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}
