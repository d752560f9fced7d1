/* Zeroed memory for hash tables that are probed before they are written.
 *
 * calloc() leaves fresh pages unmapped; a lookup that reads one first maps
 * the kernel's shared zero page there, and the first store then copies it
 * and flushes the TLB of every core running the process (an interrupt to
 * the other threads' cores, per page). The correlation rebuilt such tables
 * all through a run: 3 % of its main thread's time went to those flushes
 * (bench/README.md). Clearing by writing maps each page once, writable. */
#ifndef TW_BASE_ALLOC_H
#define TW_BASE_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* n zeroed elements of elem_size bytes, every page written; NULL when out
 * of memory. */
static inline void *tw_alloc_written(size_t n, size_t elem_size)
{
    if (elem_size && n > SIZE_MAX / elem_size)
        return NULL;
    size_t bytes = n * elem_size;
    if (bytes == 0)
        bytes = 1;
    void *p = malloc(bytes);
    /* through a volatile pointer: the compiler would make malloc and memset
     * one calloc again */
    void *(*volatile clear)(void *, int, size_t) = memset;
    if (p)
        clear(p, 0, bytes);
    return p;
}

#endif
