/*  jsonl.cpp - the fast path of `-i jsonl`: simdjson reads the line, and
    only the lines it cannot vouch for go to jansson.

    jansson costs about 2.5 us per headline (and 40 us per 3 KB article):
    it builds a tree of malloc'ed nodes and strings and reads byte by byte.
    simdjson's DOM parser, reused across lines, takes about 0.1 us (0.7 us)
    on the same lines.  jansson stays the reference: a line is taken from
    simdjson only when jansson would read it the same way, so every error
    (and its wording: "invalid JSON at column N: ...") is still jansson's.

    Where the two differ on what they accept (measured, simdjson 3.0.1 and
    jansson 2.14), simdjson is stricter everywhere except:
      - integers above INT64_MAX (simdjson: uint64; jansson: "too big
        integer"), anywhere in the line;
      - "\u0000" inside a key (jansson: "NUL byte in object key not
        supported"), in any object of the line;
      - a repeated key: jansson keeps the last value, so do we.
    Such lines, and every line whose id, text or title is not of the
    expected type, are left to jansson.
*/
#include "ktag_cli.h"

#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include <simdjson.h>

static_assert(KTAG_CLI_JSONL_PADDING >= simdjson::SIMDJSON_PADDING,
              "slots must carry simdjson's padding");

/* simdjson's parser holds about 10 bytes per byte of its longest line (an
 * 8-byte tape entry per byte, the unescaped strings, the structural
 * index), where jansson holds about the line's strings.  Lines above
 * S_MAX_LINE go to jansson, whose time on a line that long is small beside
 * tagging it; and a parser grown for a long line is shrunk back once short
 * lines follow, so that one big document does not pin its tape. */
#define S_MAX_LINE ((size_t) 4 << 20)
#define S_KEEP_CAPACITY ((size_t) 64 << 10)

struct ktag_cli_jsonl {
    simdjson::dom::parser parser{S_MAX_LINE};
    std::string padded;     /* a copy of lines given without the padding */
};

extern "C" ktag_cli_jsonl_t *
ktag_cli_jsonl_new(void)
{
    return new (std::nothrow) ktag_cli_jsonl_t();
}

extern "C" void
ktag_cli_jsonl_destroy(ktag_cli_jsonl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    delete *self_p;
    *self_p = NULL;
}

/* @returns true when jansson reads `v` (and everything in it) as simdjson
 * did: no integer above INT64_MAX, no NUL in a key.  Depth is bounded by
 * simdjson's own limit (1024, below jansson's 2048). */
static bool
s_jansson_agrees(simdjson::dom::element v)
{
    switch (v.type()) {
    case simdjson::dom::element_type::UINT64:
        return false;
    case simdjson::dom::element_type::ARRAY:
        for (simdjson::dom::element item : simdjson::dom::array(v))
            if (!s_jansson_agrees(item))
                return false;
        return true;
    case simdjson::dom::element_type::OBJECT:
        for (simdjson::dom::key_value_pair kv : simdjson::dom::object(v))
            if (kv.key.find('\0') != std::string_view::npos || !s_jansson_agrees(kv.value))
                return false;
        return true;
    default:
        return true;
    }
}

static int
s_parse(ktag_cli_jsonl_t *self, const char *line, size_t len, size_t readable,
        const ktag_cli_config_t *config, ktag_cli_jsonl_doc_t *doc)
{
    if (len > S_MAX_LINE)
        return -1;
    if (len <= S_KEEP_CAPACITY && self->parser.capacity() > S_KEEP_CAPACITY) {
        if (self->parser.allocate(S_KEEP_CAPACITY))
            return -1;
        std::string().swap(self->padded);
    }
    if (readable < len + simdjson::SIMDJSON_PADDING) {
        self->padded.assign(line, len);
        self->padded.append(simdjson::SIMDJSON_PADDING, '\0');
        line = self->padded.data();
    }
    simdjson::dom::element root;
    if (self->parser.parse(reinterpret_cast<const uint8_t *>(line), len, false).get(root))
        return -1;
    if (root.type() != simdjson::dom::element_type::OBJECT || !s_jansson_agrees(root))
        return -1;
    std::string_view id_key(config->id_field), text_key(config->text_field),
                     title_key(config->title_field);
    simdjson::dom::element id, text, title;
    bool has_id = false, has_text = false, has_title = false;
    /* Last one wins, as in jansson. */
    for (simdjson::dom::key_value_pair kv : simdjson::dom::object(root)) {
        if (kv.key == id_key) {
            id = kv.value;
            has_id = true;
        }
        if (kv.key == text_key) {
            text = kv.value;
            has_text = true;
        }
        if (kv.key == title_key) {
            title = kv.value;
            has_title = true;
        }
    }
    *doc = ktag_cli_jsonl_doc_t();
    if (has_id) {
        switch (id.type()) {
        case simdjson::dom::element_type::INT64:
            doc->id_kind = KTAG_CLI_JSONL_ID_INT;
            doc->id_int = int64_t(id);
            break;
        case simdjson::dom::element_type::STRING: {
            std::string_view s(id);
            doc->id_kind = KTAG_CLI_JSONL_ID_STR;
            doc->id_str = s.data();
            doc->id_len = s.size();
            break;
        }
        case simdjson::dom::element_type::NULL_VALUE:
            break;
        default:
            return -1;      /* a real or another type: jansson words the error */
        }
    }
    if (!has_text || text.type() != simdjson::dom::element_type::STRING)
        return -1;
    std::string_view t(text);
    doc->text = t.data();
    doc->text_len = t.size();
    if (has_title) {
        if (title.type() == simdjson::dom::element_type::STRING) {
            std::string_view s(title);
            doc->title = s.data();
            doc->title_len = s.size();
        } else if (title.type() != simdjson::dom::element_type::NULL_VALUE) {
            return -1;
        }
    }
    return 0;
}

extern "C" int
ktag_cli_jsonl_parse(ktag_cli_jsonl_t *self, const char *line, size_t len, size_t readable,
                     const ktag_cli_config_t *config, ktag_cli_jsonl_doc_t *doc)
{
    try {
        return s_parse(self, line, len, readable, config, doc);
    } catch (...) {
        return -1;          /* out of memory: jansson gets its chance */
    }
}
