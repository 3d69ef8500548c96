/*  automaton.c - Aho-Corasick over code points, in a double array.

    Korean text is three UTF-8 bytes per syllable, so a byte automaton takes
    three steps, and three cache misses, per character.  This one steps once
    per code point: every code point that occurs in some pattern gets a
    dense symbol (1, 2, …) and the trie is labelled with symbols.  A code
    point that occurs in no pattern (most spaces, punctuation, rare
    characters) cannot be inside a match, so it sends the scan straight back
    to the root without touching the automaton.  ASCII capitals share the
    symbol of their small letter, so ASCII letters match case-insensitively
    at no cost per byte.

    The builder grows a plain trie (children in sibling lists, a table at the
    root).  Compilation computes failure and dictionary-suffix links breadth
    first, then packs the goto function into base/check arrays: the child of
    state s on symbol c is t = base[s] + c when check[t] == s.
*/
#include "automaton.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "ktag/ktag_error.h"
#include "util.h"

#define S_MAX_SYMBOLS 65535

typedef struct {
    uint32_t first_child;   /* 0 = none (the root is never a child) */
    uint32_t next_sibling;  /* 0 = none */
    int32_t pattern;        /* pattern ending here, or -1 */
    uint32_t label;         /* symbol */
} s_node_t;

typedef struct {
    uint32_t cp;
    uint16_t symbol;
} s_astral_t;

/*  Code point -> symbol: a flat table for the BMP, a sorted array beyond. */
typedef struct {
    uint16_t *bmp;          /* 65,536 entries; 0 = in no pattern */
    s_astral_t *astral;
    size_t astral_count, astral_cap;
    uint32_t count;         /* symbols assigned */
} s_symbols_t;

struct ktag_automaton_builder {
    s_node_t *nodes;
    size_t node_count, node_cap;
    uint32_t *root_children;    /* indexed by symbol */
    size_t root_cap;
    s_symbols_t symbols;
    size_t pattern_count;
};

/*  Everything the scan loop reads for a state, in one 16-byte cell. */
typedef struct {
    int32_t base;
    int32_t check;  /* parent state, -1 free; the root's cell holds -2 */
    int32_t fail;   /* failure link */
    int32_t emit;   /* first state with output on the suffix chain, or -1 */
} s_cell_t;

struct ktag_automaton {
    s_cell_t *cells;
    int32_t *next;     /* next state with output after this one, or -1 */
    int32_t *pattern;  /* pattern ending at this state, or -1 */
    size_t size;       /* cells */
    size_t states;
    s_symbols_t symbols;
};

static int s_compare_astral(const void *a, const void *b)
{
    const s_astral_t *x = a, *y = b;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

/*  @returns the symbol of `cp`, 0 when it occurs in no pattern.  The astral
    array must be sorted (it is, once compiled). */
static inline uint32_t s_symbol_of(const s_symbols_t *symbols, uint32_t cp)
{
    if (cp < 0x10000)
        return symbols->bmp[cp];
    if (symbols->astral_count == 0)
        return 0;
    s_astral_t key = { cp, 0 };
    const s_astral_t *found = bsearch(&key, symbols->astral, symbols->astral_count, sizeof key, s_compare_astral);
    return found ? found->symbol : 0;
}

/*  @returns the symbol of `cp`, assigning the next one when new; 0 when out
    of memory or symbols. */
static uint32_t s_symbol_assign(s_symbols_t *symbols, uint32_t cp)
{
    if (cp < 0x10000 && symbols->bmp[cp])
        return symbols->bmp[cp];
    for (size_t i = 0; cp >= 0x10000 && i < symbols->astral_count; i++)
        if (symbols->astral[i].cp == cp)
            return symbols->astral[i].symbol;
    if (symbols->count == S_MAX_SYMBOLS)
        return 0;
    uint16_t symbol = (uint16_t) ++symbols->count;
    if (cp < 0x10000) {
        symbols->bmp[cp] = symbol;
    } else {
        if (KTAG_RESERVE(symbols->astral, symbols->astral_cap, symbols->astral_count + 1))
            return 0;
        symbols->astral[symbols->astral_count++] = (s_astral_t) { cp, symbol };
    }
    return symbol;
}

ktag_automaton_builder_t *ktag_automaton_builder_new(void)
{
    ktag_automaton_builder_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->symbols.bmp = calloc(0x10000, sizeof(uint16_t));
    if (!self->symbols.bmp || KTAG_RESERVE(self->nodes, self->node_cap, 1024)) {
        ktag_automaton_builder_destroy(&self);
        return NULL;
    }
    self->nodes[0] = (s_node_t) { 0, 0, -1, 0 };
    self->node_count = 1;
    return self;
}

void ktag_automaton_builder_destroy(ktag_automaton_builder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_automaton_builder_t *self = *self_p;
    free(self->nodes);
    free(self->root_children);
    free(self->symbols.bmp);
    free(self->symbols.astral);
    free(self);
    *self_p = NULL;
}

static uint32_t s_child(const ktag_automaton_builder_t *self, uint32_t node, uint32_t label)
{
    if (node == 0)
        return label < self->root_cap ? self->root_children[label] : 0;
    for (uint32_t c = self->nodes[node].first_child; c; c = self->nodes[c].next_sibling)
        if (self->nodes[c].label == label)
            return c;
    return 0;
}

int32_t ktag_automaton_builder_add(ktag_automaton_builder_t *self, const char *bytes, size_t len)
{
    const uint8_t *s = (const uint8_t *) bytes;
    uint32_t node = 0;
    for (size_t i = 0; i < len;) {
        UChar32 cp;
        U8_NEXT(s, i, len, cp);
        if (cp <= 0)
            return -1;   /* invalid UTF-8 or NUL: not a pattern */
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';   /* ASCII letters match case-insensitively */
        uint32_t label = s_symbol_assign(&self->symbols, (uint32_t) cp);
        if (!label)
            return -1;
        uint32_t child = s_child(self, node, label);
        if (!child) {
            if (KTAG_RESERVE(self->nodes, self->node_cap, self->node_count + 1))
                return -1;
            if (node == 0 && label >= self->root_cap) {
                size_t old = self->root_cap;
                if (KTAG_RESERVE(self->root_children, self->root_cap, (size_t) label + 1))
                    return -1;
                memset(self->root_children + old, 0, (self->root_cap - old) * sizeof(uint32_t));
            }
            child = (uint32_t) self->node_count++;
            self->nodes[child] = (s_node_t) { 0, 0, -1, label };
            if (node == 0) {
                self->root_children[label] = child;
            } else {
                self->nodes[child].next_sibling = self->nodes[node].first_child;
                self->nodes[node].first_child = child;
            }
        }
        node = child;
    }
    if (node == 0)
        return -1;       /* the empty pattern */
    if (self->nodes[node].pattern < 0)
        self->nodes[node].pattern = (int32_t) self->pattern_count++;
    return self->nodes[node].pattern;
}

size_t ktag_automaton_builder_count(const ktag_automaton_builder_t *self)
{
    return self->pattern_count;
}

typedef struct {
    uint32_t label;
    uint32_t node;
} s_edge_t;

static int s_compare_edges(const void *a, const void *b)
{
    const s_edge_t *x = a, *y = b;
    return x->label < y->label ? -1 : x->label > y->label;
}

/*  The children of `node`, sorted by label, into `edges` (room for every
    symbol).  @returns their number. */
static size_t s_children(const ktag_automaton_builder_t *self, uint32_t node, s_edge_t *edges)
{
    size_t count = 0;
    if (node == 0) {
        for (uint32_t c = 0; c < self->root_cap; c++)
            if (self->root_children[c])
                edges[count++] = (s_edge_t) { c, self->root_children[c] };
        return count;
    }
    for (uint32_t c = self->nodes[node].first_child; c; c = self->nodes[c].next_sibling)
        edges[count++] = (s_edge_t) { self->nodes[c].label, c };
    if (count > 1)
        qsort(edges, count, sizeof *edges, s_compare_edges);
    return count;
}

/*  Free cells form a list in index order, so that placing a state's
    children skips the occupied cells instead of testing them one by one. */
typedef struct {
    int32_t *next, *prev;   /* -1 ends the list */
    int32_t head, tail;
} s_free_list_t;

static int s_grow_cells(ktag_automaton_t *self, s_free_list_t *free_list, size_t needed)
{
    if (needed <= self->size)
        return 0;
    size_t size = self->size ? self->size : 1024;
    while (size < needed)
        size *= 2;
    s_cell_t *cells = realloc(self->cells, size * sizeof *cells);
    if (!cells)
        return -1;
    self->cells = cells;
    int32_t *next = realloc(free_list->next, size * sizeof *next);
    if (!next)
        return -1;
    free_list->next = next;
    int32_t *prev = realloc(free_list->prev, size * sizeof *prev);
    if (!prev)
        return -1;
    free_list->prev = prev;
    for (size_t i = self->size; i < size; i++) {
        cells[i] = (s_cell_t) { 0, -1, 0, -1 };
        prev[i] = free_list->tail;
        next[i] = -1;
        if (free_list->tail >= 0)
            next[free_list->tail] = (int32_t) i;
        else
            free_list->head = (int32_t) i;
        free_list->tail = (int32_t) i;
    }
    self->size = size;
    return 0;
}

static void s_claim(ktag_automaton_t *self, s_free_list_t *free_list, int32_t cell, int32_t parent)
{
    self->cells[cell].check = parent;
    int32_t prev = free_list->prev[cell], next = free_list->next[cell];
    if (prev >= 0)
        free_list->next[prev] = next;
    else
        free_list->head = next;
    if (next >= 0)
        free_list->prev[next] = prev;
    else
        free_list->tail = prev;
}

ktag_automaton_t *ktag_automaton_compile(ktag_automaton_builder_t **builder_p)
{
    ktag_automaton_builder_t *b = *builder_p;
    size_t n = b->node_count;
    /*  Any base plus any symbol stays inside the cells: the scan needs no
        bounds check. */
    size_t reach = (size_t) b->symbols.count + 1;
    ktag_automaton_t *self = calloc(1, sizeof *self);
    uint32_t *order = malloc(n * sizeof *order);      /* nodes breadth first */
    uint32_t *trie_fail = calloc(n, sizeof *trie_fail);
    int32_t *slot = malloc(n * sizeof *slot);         /* node -> cell */
    s_edge_t *edges = malloc(reach * sizeof *edges);
    s_free_list_t free_list = { NULL, NULL, -1, -1 };
    if (!self || !order || !trie_fail || !slot || !edges || s_grow_cells(self, &free_list, reach + 1024))
        goto fail;

    /*  Breadth-first order and failure links on the trie. */
    size_t head = 0, tail = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t node = order[head++];
        size_t count = s_children(b, node, edges);
        for (size_t k = 0; k < count; k++) {
            uint32_t child = edges[k].node;
            uint32_t f = 0;
            if (node != 0) {
                f = trie_fail[node];
                while (f && !s_child(b, f, edges[k].label))
                    f = trie_fail[f];
                f = s_child(b, f, edges[k].label);
                if (f == child)
                    f = 0;
            }
            trie_fail[child] = f;
            order[tail++] = child;
        }
    }

    /*  Pack the goto function: each state's children go to the first base
        whose cells for all their labels are free. */
    slot[0] = 0;
    s_claim(self, &free_list, 0, -2);
    for (size_t q = 0; q < n; q++) {
        uint32_t node = order[q];
        int32_t s = slot[node];
        size_t count = s_children(b, node, edges);
        if (count == 0) {
            self->cells[s].base = 0;
            continue;
        }
        int32_t base = 0;
        for (int32_t t = free_list.head;; t = free_list.next[t]) {
            if (t < 0) {
                /* every free cell was tried: grow, and go on from the new ones */
                int32_t last = free_list.tail;
                if (s_grow_cells(self, &free_list, self->size * 2))
                    goto fail;
                t = last >= 0 ? free_list.next[last] : free_list.head;
            }
            if ((uint32_t) t < edges[0].label + 1)
                continue;
            base = t - (int32_t) edges[0].label;
            if ((size_t) base + reach >= self->size && s_grow_cells(self, &free_list, (size_t) base + reach + 1))
                goto fail;
            bool fits = true;
            for (size_t k = 1; k < count && fits; k++)
                fits = self->cells[base + edges[k].label].check == -1;
            if (fits)
                break;
        }
        self->cells[s].base = base;
        for (size_t k = 0; k < count; k++) {
            s_claim(self, &free_list, base + (int32_t) edges[k].label, s);
            slot[edges[k].node] = base + (int32_t) edges[k].label;
        }
    }

    self->next = malloc(self->size * sizeof(int32_t));
    self->pattern = malloc(self->size * sizeof(int32_t));
    if (!self->next || !self->pattern)
        goto fail;
    for (size_t i = 0; i < self->size; i++)
        self->next[i] = self->pattern[i] = -1;
    /*  Output links in breadth-first order, so a state's failure target is
        complete before the state itself. */
    for (size_t q = 0; q < n; q++) {
        uint32_t node = order[q];
        int32_t s = slot[node];
        int32_t f = slot[trie_fail[node]];
        s_cell_t *cell = &self->cells[s];
        cell->fail = f;
        self->pattern[s] = b->nodes[node].pattern;
        if (node == 0)
            continue;
        self->next[s] = self->cells[f].emit;
        cell->emit = self->pattern[s] >= 0 ? s : self->cells[f].emit;
    }
    self->states = n;
    self->symbols = b->symbols;
    memset(&b->symbols, 0, sizeof b->symbols);
    for (uint32_t c = 'A'; c <= 'Z'; c++)
        self->symbols.bmp[c] = self->symbols.bmp[c + ('a' - 'A')];
    if (self->symbols.astral_count > 1)
        qsort(self->symbols.astral, self->symbols.astral_count, sizeof(s_astral_t), s_compare_astral);
    ktag_automaton_t *compiled = self;
    self = NULL;
    goto done;

fail:
    ktag_automaton_destroy(&self);
    compiled = NULL;
done:
    free(free_list.next);
    free(free_list.prev);
    free(order);
    free(trie_fail);
    free(slot);
    free(edges);
    ktag_automaton_builder_destroy(builder_p);
    return compiled;
}

void ktag_automaton_destroy(ktag_automaton_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_automaton_t *self = *self_p;
    free(self->cells);
    free(self->next);
    free(self->pattern);
    free(self->symbols.bmp);
    free(self->symbols.astral);
    free(self);
    *self_p = NULL;
}

int ktag_automaton_scan(const ktag_automaton_t *self, const char *text, size_t len,
                        ktag_match_vec_t *out)
{
    const s_cell_t *cells = self->cells;
    const uint16_t *bmp = self->symbols.bmp;
    const uint8_t *s = (const uint8_t *) text;
    int32_t state = 0;
    size_t i = 0;
    while (i < len) {
        /*  The text is the normalizer's output, so well-formed UTF-8; a
            stray byte still decodes to some code point, and a sequence cut
            by the end of the text ends the scan. */
        uint32_t cp = s[i];
        size_t width = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
        if (i + width > len)
            break;
        switch (width) {
        case 2: cp = ((cp & 0x1F) << 6) | (s[i + 1] & 0x3Fu); break;
        case 3: cp = ((cp & 0x0F) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu); break;
        case 4:
            cp = ((cp & 0x07) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
            break;
        }
        i += width;
        uint32_t symbol = cp < 0x10000 ? bmp[cp] : s_symbol_of(&self->symbols, cp);
        if (!symbol) {
            state = 0;   /* in no pattern: no match spans it */
            continue;
        }
        for (;;) {
            int32_t t = cells[state].base + (int32_t) symbol;
            if (cells[t].check == state) {
                state = t;
                break;
            }
            if (state == 0)
                break;
            state = cells[state].fail;
        }
        for (int32_t o = cells[state].emit; o >= 0; o = self->next[o]) {
            if (out->count == out->capacity && KTAG_RESERVE(out->items, out->capacity, out->count + 1))
                return KTAG_ERR_NOMEM;
            out->items[out->count++] = (ktag_match_t) { (uint32_t) self->pattern[o], (uint32_t) i };
        }
    }
    return 0;
}

size_t ktag_automaton_states(const ktag_automaton_t *self)
{
    return self->states;
}

size_t ktag_automaton_memory(const ktag_automaton_t *self)
{
    return self->size * (sizeof(s_cell_t) + 2 * sizeof(int32_t)) + 0x10000 * sizeof(uint16_t)
           + self->symbols.astral_count * sizeof(s_astral_t);
}
