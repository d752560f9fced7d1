/* Sorted runs on a temporary file, merged through a heap (spillsort.h). */
#include "base/spillsort.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run {
    uint64_t offset;   /* of its first item in the file */
    size_t n;          /* items */
};

struct tw_spillsort {
    size_t item_bytes;
    tw_spillsort_cmp cmp;
    FILE *file;        /* NULL until the first run */
    uint64_t file_bytes;
    struct run runs[TW_SPILLSORT_MAX_RUNS];
    size_t n_runs, n_items;
};

/* A run being read back, or the caller's array (is_memory). */
struct source {
    const unsigned char *item;  /* current item */
    unsigned char *buf;         /* runs: TW_SPILLSORT_BUFFER items */
    size_t in_buf, at;          /* items in buf, index of item */
    uint64_t next_offset;       /* runs: file offset of the first item not in buf */
    size_t unread;              /* items not read into buf (runs) or left (array) */
    size_t age;                 /* ties: the lower first */
    bool is_memory;
};

tw_spillsort *tw_spillsort_new(size_t item_bytes, tw_spillsort_cmp cmp)
{
    tw_spillsort *s = calloc(1, sizeof *s);
    if (s) {
        s->item_bytes = item_bytes;
        s->cmp = cmp;
    }
    return s;
}

void tw_spillsort_free(tw_spillsort *s)
{
    if (!s)
        return;
    if (s->file)
        fclose(s->file);
    free(s);
}

size_t tw_spillsort_n_items(const tw_spillsort *s) { return s->n_items; }

/* Reads the next items of a run into its buffer; false on a read error. */
static bool refill(const tw_spillsort *s, struct source *src)
{
    size_t n = src->unread < TW_SPILLSORT_BUFFER ? src->unread : TW_SPILLSORT_BUFFER;
    size_t bytes = n * s->item_bytes, got = 0;
    while (got < bytes) {
        ssize_t r = pread(fileno(s->file), src->buf + got, bytes - got,
                          (off_t)(src->next_offset + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
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
    if (src->is_memory) {
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

/* Merges the runs and items[0, n) (sorted) through fn; forgets the runs. */
static bool merge_all(tw_spillsort *s, const void *items, size_t n,
                      void (*fn)(void *ctx, const void *item), void *ctx)
{
    struct source src[TW_SPILLSORT_MAX_RUNS + 1];
    struct source *heap[TW_SPILLSORT_MAX_RUNS + 1];
    unsigned char *bufs = NULL;
    size_t n_heap = 0;
    bool is_error = false;
    if (s->n_runs) {
        bufs = malloc(s->n_runs * TW_SPILLSORT_BUFFER * s->item_bytes);
        if (!bufs || fflush(s->file) != 0) {
            free(bufs);
            return false;
        }
    }
    for (size_t k = 0; k < s->n_runs && !is_error; k++) {
        struct source *r = &src[k];
        *r = (struct source){.buf = bufs + k * TW_SPILLSORT_BUFFER * s->item_bytes,
                             .next_offset = s->runs[k].offset,
                             .unread = s->runs[k].n,
                             .age = k};
        if (!r->unread)
            continue;
        if (!refill(s, r))
            is_error = true;
        else
            heap[n_heap++] = r;
    }
    if (n && !is_error) {
        struct source *m = &src[s->n_runs];
        *m = (struct source){.item = items, .unread = n, .age = s->n_runs, .is_memory = true};
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
    free(bufs);
    s->n_runs = 0;
    s->n_items = 0;
    s->file_bytes = 0;
    if (s->file && ftruncate(fileno(s->file), 0) != 0)
        is_error = true;
    return !is_error;
}

struct writer {
    FILE *out;
    size_t item_bytes;
    bool is_ok;
};

static void write_item(void *ctx, const void *item)
{
    struct writer *w = ctx;
    if (w->is_ok && fwrite(item, w->item_bytes, 1, w->out) != 1)
        w->is_ok = false;
}

/* Merges every run into one, on a new file. */
static bool consolidate(tw_spillsort *s)
{
    struct writer w = {tmpfile(), s->item_bytes, true};
    if (!w.out)
        return false;
    size_t n = s->n_items;
    if (!merge_all(s, NULL, 0, write_item, &w) || !w.is_ok || fflush(w.out) != 0) {
        fclose(w.out);
        return false;
    }
    fclose(s->file);
    s->file = w.out;
    s->runs[0] = (struct run){0, n};
    s->n_runs = 1;
    s->n_items = n;
    s->file_bytes = (uint64_t)n * s->item_bytes;
    return true;
}

bool tw_spillsort_add_run(tw_spillsort *s, void *items, size_t n)
{
    if (!n)
        return true;
    if (!s->file && !(s->file = tmpfile()))
        return false;
    if (s->n_runs == TW_SPILLSORT_MAX_RUNS && !consolidate(s))
        return false;
    qsort(items, n, s->item_bytes, s->cmp);
    if (fseeko(s->file, (off_t)s->file_bytes, SEEK_SET) != 0 ||
        fwrite(items, s->item_bytes, n, s->file) != n)
        return false;
    s->runs[s->n_runs++] = (struct run){s->file_bytes, n};
    s->file_bytes += (uint64_t)n * s->item_bytes;
    s->n_items += n;
    return true;
}

bool tw_spillsort_merge(tw_spillsort *s, void *items, size_t n,
                        void (*fn)(void *ctx, const void *item), void *ctx)
{
    if (n)
        qsort(items, n, s->item_bytes, s->cmp);
    return merge_all(s, items, n, fn, ctx);
}
