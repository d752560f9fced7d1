/* Sorted runs on temporary files, merged through a heap (spillsort.h).
 *
 * Runs are kept in levels, one temporary file each: new runs go to level 0;
 * when a level holds TW_SPILLSORT_FAN_IN runs they are merged into one run
 * of the next level and the level's file is emptied. Each item is thus
 * written once per level (a few times in all: log base FAN_IN of the runs),
 * not once per merge, and the final merge reads at most FAN_IN runs. */
#include "base/spillsort.h"

#include "base/io.h"
#include "base/tmpfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEVELS 8 /* 4,096 items a run: 4096 * 64^8 items before running out */

struct run {
    uint64_t offset;   /* of its first item in its level's file */
    size_t n;          /* items */
};

struct level {
    FILE *file;        /* NULL until its first run */
    uint64_t file_bytes;
    struct run runs[TW_SPILLSORT_FAN_IN];
    size_t n_runs;
};

struct tw_spillsort {
    size_t item_bytes;
    tw_spillsort_cmp cmp;
    struct level levels[LEVELS];
    size_t n_items;    /* on file */
    unsigned char *bufs; /* TW_SPILLSORT_FAN_IN read buffers, allocated once */
    size_t *order;     /* sort_items: 2 * cap_order indices, kept between calls */
    size_t cap_order;
    unsigned char *spare; /* one item */
};

/* A run being read back, or the caller's array (no file). */
struct source {
    const unsigned char *item;  /* current item */
    FILE *file;                 /* runs; NULL: the caller's array */
    unsigned char *buf;         /* runs: TW_SPILLSORT_BUFFER items */
    size_t in_buf, at;          /* items in buf, index of item */
    uint64_t next_offset;       /* runs: file offset of the first item not in buf */
    size_t unread;              /* items not read into buf (runs) or left (array) */
    size_t age;                 /* ties: the lower (older) first */
};

tw_spillsort *tw_spillsort_new(size_t item_bytes, tw_spillsort_cmp cmp)
{
    tw_spillsort *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->item_bytes = item_bytes;
    s->cmp = cmp;
    if (!(s->spare = malloc(item_bytes))) {
        free(s);
        return NULL;
    }
    return s;
}

void tw_spillsort_free(tw_spillsort *s)
{
    if (!s)
        return;
    for (int l = 0; l < LEVELS; l++)
        if (s->levels[l].file)
            fclose(s->levels[l].file);
    free(s->bufs);
    free(s->order);
    free(s->spare);
    free(s);
}

size_t tw_spillsort_n_items(const tw_spillsort *s) { return s->n_items; }

/* Sorts items[0, n) stably, in place: the indices are merge-sorted (in
 * memory kept from one call to the next: qsort allocated and freed a
 * buffer of the run's size every time), then the items are moved along the
 * permutation's cycles. False when memory is short. */
static bool sort_items(tw_spillsort *s, unsigned char *items, size_t n)
{
    if (n < 2)
        return true;
    if (n > s->cap_order) {
        size_t *o = realloc(s->order, 2 * n * sizeof *o);
        if (!o)
            return false;
        s->order = o;
        s->cap_order = n;
    }
    size_t *a = s->order, *b = s->order + n, size = s->item_bytes;
    for (size_t i = 0; i < n; i++)
        a[i] = i;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = s->cmp(items + a[j] * size, items + a[i] * size) < 0 ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        size_t *t = a;
        a = b;
        b = t;
    }
    /* a[i]: the item that belongs at i; done when a[i] == i */
    for (size_t i = 0; i < n; i++) {
        if (a[i] == i)
            continue;
        memcpy(s->spare, items + i * size, size);
        size_t j = i;
        while (a[j] != i) {
            size_t from = a[j];
            memcpy(items + j * size, items + from * size, size);
            a[j] = j;
            j = from;
        }
        memcpy(items + j * size, s->spare, size);
        a[j] = j;
    }
    return true;
}

/* Reads the next items of a run into its buffer; false on a read error. */
static bool refill(const tw_spillsort *s, struct source *src)
{
    size_t n = src->unread < TW_SPILLSORT_BUFFER ? src->unread : TW_SPILLSORT_BUFFER;
    size_t bytes = n * s->item_bytes;
    if (tw_pread_all(fileno(src->file), src->buf, bytes, src->next_offset) != bytes)
        return false;
    src->next_offset += bytes;
    src->unread -= n;
    src->in_buf = n;
    src->at = 0;
    src->item = src->buf;
    return true;
}

/* Moves src to its next item; false when it has none (or a read failed:
 * *is_error). */
static bool advance(const tw_spillsort *s, struct source *src, bool *is_error)
{
    if (!src->file) { /* the array */
        if (!src->unread)
            return false;
        src->unread--;
        src->item += s->item_bytes;
        return src->unread > 0;
    }
    if (++src->at < src->in_buf) {
        src->item += s->item_bytes;
        return true;
    }
    if (!src->unread)
        return false;
    if (!refill(s, src)) {
        *is_error = true;
        return false;
    }
    return true;
}

static bool precedes(const tw_spillsort *s, const struct source *a, const struct source *b)
{
    int c = s->cmp(a->item, b->item);
    return c < 0 || (c == 0 && a->age < b->age);
}

static void sift_down(const tw_spillsort *s, struct source **heap, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && precedes(s, heap[l], heap[m]))
            m = l;
        if (r < n && precedes(s, heap[r], heap[m]))
            m = r;
        if (m == i)
            return;
        struct source *t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

/* Merges the runs of levels [from, to] (at most FAN_IN in all) and
 * items[0, n) (sorted) through fn, and forgets those runs. Older levels and
 * runs come first on ties, the array last. */
static bool merge_levels(tw_spillsort *s, int from, int to, const void *items, size_t n,
                         void (*fn)(void *ctx, const void *item), void *ctx)
{
    struct source src[TW_SPILLSORT_FAN_IN + 1];
    struct source *heap[TW_SPILLSORT_FAN_IN + 1];
    size_t n_src = 0, n_heap = 0;
    bool is_error = false;
    if (!s->bufs && !(s->bufs = malloc((size_t)TW_SPILLSORT_FAN_IN * TW_SPILLSORT_BUFFER *
                                       s->item_bytes)))
        return false;
    for (int l = to; l >= from; l--) {
        struct level *lv = &s->levels[l];
        if (lv->n_runs && fflush(lv->file) != 0)
            return false;
        for (size_t k = 0; k < lv->n_runs; k++) {
            if (n_src == TW_SPILLSORT_FAN_IN)
                return false; /* callers keep within FAN_IN */
            struct source *r = &src[n_src];
            *r = (struct source){.file = lv->file,
                                 .buf = s->bufs + n_src * TW_SPILLSORT_BUFFER * s->item_bytes,
                                 .next_offset = lv->runs[k].offset,
                                 .unread = lv->runs[k].n,
                                 .age = n_src};
            n_src++;
            if (!r->unread)
                continue;
            if (!refill(s, r))
                is_error = true;
            else
                heap[n_heap++] = r;
        }
    }
    if (n && !is_error) {
        struct source *m = &src[n_src];
        *m = (struct source){.item = items, .unread = n, .age = n_src};
        heap[n_heap++] = m;
    }
    for (size_t i = n_heap; i-- > 0;)
        sift_down(s, heap, n_heap, i);
    while (n_heap && !is_error) {
        fn(ctx, heap[0]->item);
        if (!advance(s, heap[0], &is_error))
            heap[0] = heap[--n_heap];
        sift_down(s, heap, n_heap, 0);
    }
    for (int l = from; l <= to; l++) {
        struct level *lv = &s->levels[l];
        for (size_t k = 0; k < lv->n_runs; k++)
            s->n_items -= lv->runs[k].n;
        lv->n_runs = 0;
        lv->file_bytes = 0;
        if (lv->file && ftruncate(fileno(lv->file), 0) != 0)
            is_error = true;
    }
    return !is_error;
}

/* Makes lv's file (the first time) and moves to its end; false when it
 * cannot. */
static bool seek_end(struct level *lv)
{
    if (!lv->file && !(lv->file = tw_tmpfile()))
        return false;
    return fseeko(lv->file, (off_t)lv->file_bytes, SEEK_SET) == 0;
}

/* The n items just written at the end of lv's file are its newest run. */
static void note_run(tw_spillsort *s, struct level *lv, size_t n)
{
    lv->runs[lv->n_runs++] = (struct run){lv->file_bytes, n};
    lv->file_bytes += (uint64_t)n * s->item_bytes;
    s->n_items += n;
}

/* Appends items[0, n) (sorted) to level l as one run. */
static bool append_run(tw_spillsort *s, int l, const void *items, size_t n)
{
    struct level *lv = &s->levels[l];
    if (!seek_end(lv) || fwrite(items, s->item_bytes, n, lv->file) != n)
        return false;
    note_run(s, lv, n);
    return true;
}

struct writer {
    FILE *out;
    size_t item_bytes, n;
    bool is_ok;
};

static void write_item(void *ctx, const void *item)
{
    struct writer *w = ctx;
    if (w->is_ok && fwrite(item, w->item_bytes, 1, w->out) != 1)
        w->is_ok = false;
    w->n++;
}

/* Level l is full: its runs become one run at the end of level l + 1. */
static bool push_down(tw_spillsort *s, int l)
{
    if (l + 1 == LEVELS)
        return false;
    struct level *next = &s->levels[l + 1];
    if (next->n_runs == TW_SPILLSORT_FAN_IN && !push_down(s, l + 1))
        return false;
    if (!seek_end(next))
        return false;
    struct writer w = {next->file, s->item_bytes, 0, true};
    if (!merge_levels(s, l, l, NULL, 0, write_item, &w) || !w.is_ok)
        return false;
    note_run(s, next, w.n);
    return true;
}

bool tw_spillsort_add_run(tw_spillsort *s, void *items, size_t n)
{
    if (!n)
        return true;
    if (s->levels[0].n_runs == TW_SPILLSORT_FAN_IN && !push_down(s, 0))
        return false;
    return sort_items(s, items, n) && append_run(s, 0, items, n);
}

bool tw_spillsort_merge(tw_spillsort *s, void *items, size_t n,
                        void (*fn)(void *ctx, const void *item), void *ctx)
{
    if (!sort_items(s, items, n))
        return false;
    /* at most FAN_IN runs for the final merge: push the lowest levels down */
    for (int l = 0; l + 1 < LEVELS; l++) {
        size_t total = 0;
        for (int k = l; k < LEVELS; k++)
            total += s->levels[k].n_runs;
        if (total <= TW_SPILLSORT_FAN_IN)
            break;
        if (s->levels[l].n_runs && !push_down(s, l))
            return false;
    }
    return merge_levels(s, 0, LEVELS - 1, items, n, fn, ctx);
}
