/* Reading a file at an offset, whole. */
#ifndef TW_BASE_IO_H
#define TW_BASE_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

/* Reads n bytes at offset off of fd into buf, going on after short reads
 * and signals; returns how many it read (fewer than n: the end of the file
 * or an error). */
static inline size_t tw_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

#endif
