/* Sorting more fixed-size items than the memory budget holds.
 *
 * The caller fills an array up to its budget; when it is full, the array is
 * sorted and written to a temporary file as one run, and filling starts
 * again. At the end the runs and what is left in the array are merged, in
 * order, and each item is handed to a callback. Memory stays bounded: runs
 * are merged TW_SPILLSORT_FAN_IN at a time, each read back through a buffer
 * of TW_SPILLSORT_BUFFER items, and an item is written once per level of
 * merging (log base FAN_IN of the runs), never once per run added.
 * Of items that compare equal, the older come first: runs are sorted
 * stably, and merged oldest run first (the array last). */
#ifndef TW_BASE_SPILLSORT_H
#define TW_BASE_SPILLSORT_H

#include <stdbool.h>
#include <stddef.h>

#define TW_SPILLSORT_FAN_IN 64
#define TW_SPILLSORT_BUFFER 256

typedef struct tw_spillsort tw_spillsort;
typedef int (*tw_spillsort_cmp)(const void *a, const void *b);

/* NULL when out of memory. */
tw_spillsort *tw_spillsort_new(size_t item_bytes, tw_spillsort_cmp cmp);
void tw_spillsort_free(tw_spillsort *s);

/* Sorts items[0, n) in place and writes them as one run. False when the
 * temporary file cannot be written (the items are then not kept). */
bool tw_spillsort_add_run(tw_spillsort *s, void *items, size_t n);

/* Items on file so far (0: nothing was written). */
size_t tw_spillsort_n_items(const tw_spillsort *s);

/* Sorts items[0, n) in place and calls fn for every item of the runs and
 * of items, in order. The runs are then forgotten. False when a run could
 * not be read back (fn was called for what came before). */
bool tw_spillsort_merge(tw_spillsort *s, void *items, size_t n,
                        void (*fn)(void *ctx, const void *item), void *ctx);

#endif
