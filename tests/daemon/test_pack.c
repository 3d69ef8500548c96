/*  test_pack.c - ktagd's own msgpack writer (daemon/ktagd_pack.c) writes
    the very bytes msgpack-c's packer writes through common/ktag_msgpack:
    every value at the edges of its encodings, and whole replies for real
    documents under every option.

    usage: test_pack LEXICON_DIR...   (the fixture and the bundled lexicons)
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ktagd_pack.h"

#include "../lib/check.h"

/* The same value written by both writers, then compared. */
typedef struct {
    msgpack_sbuffer want, got;
    msgpack_packer pk;
    ktag_msgpack_emitter_t ref;
    ktagd_pack_emitter_t ours;
} s_pair_t;

static void
s_pair_init(s_pair_t *p)
{
    msgpack_sbuffer_init(&p->want);
    msgpack_sbuffer_init(&p->got);
    msgpack_packer_init(&p->pk, &p->want, msgpack_sbuffer_write);
    p->ref = ktag_msgpack_emitter(&p->pk);
    p->ours = ktagd_pack_emitter(&p->got);
}

static void
s_pair_destroy(s_pair_t *p)
{
    msgpack_sbuffer_destroy(&p->want);
    msgpack_sbuffer_destroy(&p->got);
}

static int
s_same(s_pair_t *p)
{
    int same = p->want.size == p->got.size && memcmp(p->want.data, p->got.data, p->got.size) == 0;
    msgpack_sbuffer_clear(&p->want);
    msgpack_sbuffer_clear(&p->got);
    return same;
}

static void
test_values_at_every_encoding_edge(void)
{
    s_pair_t p;
    s_pair_init(&p);
    static const uint64_t u[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295ULL,
                                  4294967296ULL, UINT64_MAX };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        CHECK(p.ref.base.u64(&p.ref.base, u[i]) == 0 && p.ours.base.u64(&p.ours.base, u[i]) == 0);
        CHECK(s_same(&p));
        if (u[i] <= INT64_MAX) {
            p.ref.base.i64(&p.ref.base, (int64_t) u[i]);
            p.ours.base.i64(&p.ours.base, (int64_t) u[i]);
            CHECK(s_same(&p));
        }
    }
    static const int64_t s[] = { -1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769,
                                 INT32_MIN + 1LL, INT32_MIN, INT32_MIN - 1LL, INT64_MIN };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        p.ref.base.i64(&p.ref.base, s[i]);
        p.ours.base.i64(&p.ours.base, s[i]);
        CHECK(s_same(&p));
    }
    static const size_t n[] = { 0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536, 70000 };
    char *text = malloc(70000);
    for (size_t i = 0; i < 70000; i++)
        text[i] = (char) ('a' + i % 26);
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        p.ref.base.str(&p.ref.base, text, n[i]);
        p.ours.base.str(&p.ours.base, text, n[i]);
        CHECK(s_same(&p));
        p.ref.base.map(&p.ref.base, n[i]);
        p.ours.base.map(&p.ours.base, n[i]);
        CHECK(s_same(&p));
        p.ref.base.array(&p.ref.base, n[i]);
        p.ours.base.array(&p.ours.base, n[i]);
        CHECK(s_same(&p));
    }
    free(text);
    static const double d[] = { 0.0, -0.0, 0.5, -1.25, 1e300, 3.14159 };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        p.ref.base.real(&p.ref.base, d[i]);
        p.ours.base.real(&p.ours.base, d[i]);
        CHECK(s_same(&p));
    }
    p.ref.base.boolean(&p.ref.base, true);
    p.ref.base.boolean(&p.ref.base, false);
    p.ref.base.nil(&p.ref.base);
    p.ours.base.boolean(&p.ours.base, true);
    p.ours.base.boolean(&p.ours.base, false);
    p.ours.base.nil(&p.ours.base);
    CHECK(s_same(&p));
    s_pair_destroy(&p);
}

/* Pieces written one after another into a buffer that has to grow: short
   strings and fixed-size items take the path for "room left", the others
   (and those arriving as the room runs out) the growing one.  Filler of
   each length shifts where the boundaries fall, so that every room size a
   piece can meet at the end of the buffer is met. */
static void
test_pieces_across_the_growing_buffer(void)
{
    char text[64];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char) ('A' + i % 26);
    for (size_t filler = 0; filler < 48; filler++) {
        s_pair_t p;
        s_pair_init(&p);
        p.ref.base.str(&p.ref.base, text, filler);
        p.ours.base.str(&p.ours.base, text, filler);
        for (uint64_t i = 0; i < 3000; i++) {
            size_t len = (size_t) (i * 7 % 41);
            uint64_t v = i * 2654435761u % ((uint64_t) 1 << (i % 40));
            p.ref.base.str(&p.ref.base, text, len);
            p.ours.base.str(&p.ours.base, text, len);
            p.ref.base.u64(&p.ref.base, v);
            p.ours.base.u64(&p.ours.base, v);
            p.ref.base.real(&p.ref.base, (double) v / 3);
            p.ours.base.real(&p.ours.base, (double) v / 3);
            p.ref.base.map(&p.ref.base, i % 20);
            p.ours.base.map(&p.ours.base, i % 20);
        }
        CHECK(s_same(&p));
        s_pair_destroy(&p);
    }
}

/* The packer's write callback: what msgpack_sbuffer_write appends. */
static void
test_write_callback_appends_like_sbuffer_write(void)
{
    msgpack_sbuffer want, got;
    msgpack_sbuffer_init(&want);
    msgpack_sbuffer_init(&got);
    char piece[40000];
    for (size_t i = 0; i < sizeof piece; i++)
        piece[i] = (char) (i * 7);
    /* An empty write into an empty buffer: ours must leave it empty.  (Not
       asked of msgpack_sbuffer_write, which then copies into a NULL buffer:
       undefined behaviour that UBSan stops.) */
    CHECK(ktagd_pack_write(&got, piece, 0) == 0 && got.size == 0);
    for (size_t len = 1; len <= 40; len++) {
        msgpack_sbuffer_write(&want, piece + len, len);
        CHECK(ktagd_pack_write(&got, piece + len, len) == 0);
    }
    msgpack_sbuffer_write(&want, piece, 0);                /* empty, into a grown buffer */
    CHECK(ktagd_pack_write(&got, piece, 0) == 0);
    msgpack_sbuffer_write(&want, piece, sizeof piece);     /* grows the buffer */
    CHECK(ktagd_pack_write(&got, piece, sizeof piece) == 0);
    CHECK(want.size == got.size && memcmp(want.data, got.data, got.size) == 0);
    msgpack_sbuffer_destroy(&want);
    msgpack_sbuffer_destroy(&got);
}

static const char *s_docs[] = {
    "SK하이닉스 주가가 하락했다",
    "엔비디아는 H800으로 강세",
    "삼성전자 CB를 발행, 금감원 조사",
    "CBS 뉴스에는 아무것도 없다",
    "HBM 유상증자결정",
    "삼성전자, 3분기 영업이익 10조원…전년比 274% 증가. SK하이닉스 목표주가 25만원으로 상향",
    "LG에너지솔루션 1조2천억원 규모 공급계약 체결. 현대차 주가 5.3% 급등, 기아는 약세",
    "",
};

/* Whole replies: the fixture's and the bundled lexicons, every option. */
static void
test_results_are_byte_identical(const char *dir)
{
    ktag_error_t err = { 0 };
    ktag_lexicon_t *lex = ktag_lexicon_open(dir, &err);
    CHECK(lex != NULL);
    if (!lex) {
        fprintf(stderr, "%s: %s\n", dir, err.message);
        return;
    }
    ktag_result_t *result = ktag_result_new();
    s_pair_t p;
    s_pair_init(&p);
    ktag_wire_id_t ids[] = { { .kind = KTAG_ID_NONE }, { .kind = KTAG_ID_UINT, .unum = 70000 },
                             { .kind = KTAG_ID_INT, .num = -5 },
                             { .kind = KTAG_ID_STR, .str = "문서-1", .str_len = 8 } };
    size_t compared = 0;
    for (int variant = 0; variant < 7; variant++) {
        ktag_options_t options;
        ktag_options_init(&options);
        switch (variant) {
        case 1: options.sentiment = false; break;
        case 2: options.overlaps = true; break;
        case 3: options.explain = true; break;
        case 4: options.offsets = KTAG_OFFSETS_UTF16; break;
        case 5: options.events = false; options.offsets = KTAG_OFFSETS_BYTE; break;
        case 6: options.types = 1u << 0; break;
        }
        for (size_t d = 0; d < sizeof s_docs / sizeof s_docs[0]; d++) {
            const char *text = s_docs[d];
            /* A long document too: more than 15 entities and sentences. */
            char *joined = NULL;
            if (d == 0) {
                size_t len = 0;
                for (size_t k = 0; k < sizeof s_docs / sizeof s_docs[0]; k++)
                    len += strlen(s_docs[k]) + 2;
                joined = calloc(4 * len + 1, 1);
                for (int r = 0; r < 4; r++)
                    for (size_t k = 0; k < sizeof s_docs / sizeof s_docs[0]; k++) {
                        strcat(joined, s_docs[k]);
                        strcat(joined, ". ");
                    }
                text = joined;
            }
            if (ktag_tag(result, lex, text, strlen(text), d == 2 ? "삼성전자 공시" : NULL,
                         d == 2 ? strlen("삼성전자 공시") : 0, &options, &err) == 0) {
                const ktag_wire_id_t *id = &ids[d % 4];
                uint64_t elapsed = d * 1000 + 7;
                CHECK(ktag_msgpack_pack_result(&p.pk, id, result, &options, elapsed) == 0);
                CHECK(ktagd_pack_result(&p.got, id, result, &options, elapsed) == 0);
                CHECK(p.got.size > 0);
                int same = s_same(&p);
                CHECK(same);
                if (!same)
                    fprintf(stderr, "%s: variant %d, document %zu differs\n", dir, variant, d);
                compared++;
            }
            free(joined);
        }
    }
    CHECK(compared >= 7 * 7);
    s_pair_destroy(&p);
    ktag_result_destroy(&result);
    ktag_lexicon_destroy(&lex);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_pack LEXICON_DIR...\n");
        return 2;
    }
    test_values_at_every_encoding_edge();
    test_pieces_across_the_growing_buffer();
    test_write_callback_appends_like_sbuffer_write();
    for (int i = 1; i < argc; i++)
        test_results_are_byte_identical(argv[i]);
    printf("%d checks, %d failed\n", check_count, check_failures);
    return check_failures ? 1 : 0;
}
