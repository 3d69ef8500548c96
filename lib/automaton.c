/*  automaton.c - Aho-Corasick in a double array.

    The builder grows a plain trie (children in sibling lists, a direct table
    at the root).  Compilation computes failure and dictionary-suffix links
    breadth first, then packs the goto function into base/check arrays: the
    child of state s on byte c is t = base[s] + c when check[t] == s.  The
    scan loop therefore touches two adjacent ints per byte in the common
    case, and follows failure links only on a miss.
*/
#include "automaton.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ktag/ktag_error.h"
#include "util.h"

typedef struct {
    uint32_t first_child;   /* 0 = none (the root is never a child) */
    uint32_t next_sibling;  /* 0 = none */
    int32_t pattern;        /* pattern ending here, or -1 */
    uint8_t label;
} s_node_t;

struct ktag_automaton_builder {
    s_node_t *nodes;
    size_t node_count, node_cap;
    uint32_t root_children[256];
    size_t pattern_count;
};

/*  Everything the scan loop reads for a state, in one 16-byte cell. */
typedef struct {
    int32_t base;
    int32_t check;  /* parent state, -1 free; the root's slot holds -2 */
    int32_t fail;   /* failure link */
    int32_t emit;   /* first state with output on the suffix chain, or -1 */
} s_cell_t;

struct ktag_automaton {
    s_cell_t *cells;
    int32_t *next;     /* next state with output after this one, or -1 */
    int32_t *pattern;  /* pattern ending at this state, or -1 */
    size_t size;       /* cells */
    size_t states;
};

ktag_automaton_builder_t *ktag_automaton_builder_new(void)
{
    ktag_automaton_builder_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (KTAG_RESERVE(self->nodes, self->node_cap, 1024)) {
        free(self);
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
    free((*self_p)->nodes);
    free(*self_p);
    *self_p = NULL;
}

static uint32_t s_child(const ktag_automaton_builder_t *self, uint32_t node, uint8_t label)
{
    if (node == 0)
        return self->root_children[label];
    for (uint32_t c = self->nodes[node].first_child; c; c = self->nodes[c].next_sibling)
        if (self->nodes[c].label == label)
            return c;
    return 0;
}

int32_t ktag_automaton_builder_add(ktag_automaton_builder_t *self, const char *bytes, size_t len)
{
    uint32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t label = (uint8_t) bytes[i];
        uint32_t child = s_child(self, node, label);
        if (!child) {
            if (KTAG_RESERVE(self->nodes, self->node_cap, self->node_count + 1))
                return -1;
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
    if (self->nodes[node].pattern < 0)
        self->nodes[node].pattern = (int32_t) self->pattern_count++;
    return self->nodes[node].pattern;
}

size_t ktag_automaton_builder_count(const ktag_automaton_builder_t *self)
{
    return self->pattern_count;
}

/*  Collect the child labels and nodes of `node` into the given arrays.
    @returns the number of children. */
static size_t s_children(const ktag_automaton_builder_t *self, uint32_t node,
                         uint8_t labels[256], uint32_t children[256])
{
    size_t count = 0;
    if (node == 0) {
        for (int c = 0; c < 256; c++)
            if (self->root_children[c]) {
                labels[count] = (uint8_t) c;
                children[count++] = self->root_children[c];
            }
        return count;
    }
    for (uint32_t c = self->nodes[node].first_child; c; c = self->nodes[c].next_sibling) {
        labels[count] = self->nodes[c].label;
        children[count++] = c;
    }
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
    ktag_automaton_t *self = calloc(1, sizeof *self);
    uint32_t *order = malloc(n * sizeof *order);      /* nodes breadth first */
    uint32_t *trie_fail = calloc(n, sizeof *trie_fail);
    int32_t *slot = malloc(n * sizeof *slot);         /* node -> cell */
    s_free_list_t free_list = { NULL, NULL, -1, -1 };
    if (!self || !order || !trie_fail || !slot || s_grow_cells(self, &free_list, 512))
        goto fail;

    uint8_t labels[256];
    uint32_t children[256];

    /*  Breadth-first order and failure links on the trie. */
    size_t head = 0, tail = 0;
    order[tail++] = 0;
    while (head < tail) {
        uint32_t node = order[head++];
        size_t count = s_children(b, node, labels, children);
        for (size_t k = 0; k < count; k++) {
            uint32_t child = children[k];
            uint32_t f = 0;
            if (node != 0) {
                f = trie_fail[node];
                while (f && !s_child(b, f, labels[k]))
                    f = trie_fail[f];
                f = s_child(b, f, labels[k]);
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
        size_t count = s_children(b, node, labels, children);
        if (count == 0) {
            self->cells[s].base = 0;
            continue;
        }
        int32_t base = 0;
        for (int32_t t = free_list.head;; t = free_list.next[t]) {
            if (t < 0) {
                /* every free cell was tried: grow, and go on from the new ones */
                int32_t tail = free_list.tail;
                if (s_grow_cells(self, &free_list, self->size * 2))
                    goto fail;
                t = tail >= 0 ? free_list.next[tail] : free_list.head;
            }
            if (t < labels[0] + 1)
                continue;
            base = t - labels[0];
            if ((size_t) base + 256 >= self->size && s_grow_cells(self, &free_list, (size_t) base + 257))
                goto fail;
            bool fits = true;
            for (size_t k = 1; k < count && fits; k++)
                fits = self->cells[base + labels[k]].check == -1;
            if (fits)
                break;
        }
        self->cells[s].base = base;
        for (size_t k = 0; k < count; k++) {
            s_claim(self, &free_list, base + labels[k], s);
            slot[children[k]] = base + labels[k];
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
    free(free_list.next);
    free(free_list.prev);
    free(order);
    free(trie_fail);
    free(slot);
    ktag_automaton_builder_destroy(builder_p);
    return self;

fail:
    free(free_list.next);
    free(free_list.prev);
    free(order);
    free(trie_fail);
    free(slot);
    ktag_automaton_destroy(&self);
    ktag_automaton_builder_destroy(builder_p);
    return NULL;
}

void ktag_automaton_destroy(ktag_automaton_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktag_automaton_t *self = *self_p;
    free(self->cells);
    free(self->next);
    free(self->pattern);
    free(self);
    *self_p = NULL;
}

int ktag_automaton_scan(const ktag_automaton_t *self, const char *text, size_t len,
                        ktag_match_vec_t *out)
{
    const s_cell_t *cells = self->cells;
    const uint8_t *s = (const uint8_t *) text;
    int32_t state = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        for (;;) {
            int32_t t = cells[state].base + c;
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
            out->items[out->count++] = (ktag_match_t) { (uint32_t) self->pattern[o], (uint32_t) (i + 1) };
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
    return self->size * (sizeof(s_cell_t) + 2 * sizeof(int32_t));
}
