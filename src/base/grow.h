/* Growing an array by doubling, within a maximum: every growable buffer in
 * tcpwhy has one (style: bounded tables). */
#ifndef TW_BASE_GROW_H
#define TW_BASE_GROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Makes *p (holding *cap elements of elem_size bytes) hold at least n + 1,
 * doubling from `first`, never beyond max elements. False when it cannot
 * (max reached, or out of memory); *p and *cap are then unchanged. */
static inline bool tw_grow(void **p, size_t *cap, size_t n, size_t elem_size, size_t first,
                           size_t max)
{
    if (n < *cap)
        return true;
    if (n >= max)
        return false;
    size_t want = *cap ? 2 * *cap : first;
    if (want > max)
        want = max;
    if (want <= n)
        want = n + 1;
    void *q = realloc(*p, want * elem_size);
    if (!q)
        return false;
    *p = q;
    *cap = want;
    return true;
}

#endif
