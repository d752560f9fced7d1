/* Walking a classic pcap's record headers (a few bytes of each packet),
 * through pread() into a 256 KiB buffer as src/capture/pcapread.c reads,
 * or through a mapping of the whole file unmapped CHUNK MiB at a time
 * behind the walk (no MAP_POPULATE). Benchmark only (bench/README.md,
 * seventh session: why the reader stays with pread):
 *   cc -O2 -std=c11 -Wall -Wextra -o build/bench/header_walk bench/header_walk.c
 *   build/bench/header_walk build/bench/big.pcap pread
 *   build/bench/header_walk build/bench/big.pcap mmap 8
 * Assumes a well-formed little-endian file with records under 2 KiB. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUFFER (256u << 10)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A few header bytes of the record at h: link, IP and TCP fields. */
static uint64_t touch(const uint8_t *h) { return h[16 + 12] + h[16 + 23] + h[16 + 40] + h[16 + 50]; }

static uint32_t caplen_of(const uint8_t *h)
{
    uint32_t n;
    memcpy(&n, h + 8, 4);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: header_walk FILE pread|mmap [CHUNK_MIB]\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 2;
    }
    size_t size = (size_t)st.st_size;
    uint64_t sum = 0, n = 0, pos = 24;
    double t0 = now_s();
    if (strcmp(argv[2], "pread") == 0) {
        uint8_t *buf = malloc(BUFFER);
        uint64_t buf_off = 0, buf_len = 0;
        while (buf && pos + 16 <= size) {
            if (pos < buf_off || pos + 16 + 2048 > buf_off + buf_len) {
                size_t len = size - pos < BUFFER ? size - pos : BUFFER;
                ssize_t got = pread(fd, buf, len, (off_t)pos);
                if (got < 16)
                    break;
                buf_off = pos;
                buf_len = (uint64_t)got;
            }
            const uint8_t *h = buf + (pos - buf_off);
            sum += touch(h);
            pos += 16 + caplen_of(h);
            n++;
        }
        free(buf);
    } else {
        size_t chunk = (size_t)(argc > 3 ? atoi(argv[3]) : 8) << 20;
        uint8_t *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED || chunk == 0) {
            perror("mmap");
            return 2;
        }
        (void)madvise(p, size, MADV_SEQUENTIAL);
        uint64_t unmapped = 0;
        while (pos + 16 <= size) {
            const uint8_t *h = p + pos;
            sum += touch(h);
            pos += 16 + caplen_of(h);
            n++;
            if (pos - unmapped > 2 * chunk) {
                munmap(p + unmapped, chunk);
                unmapped += chunk;
            }
        }
    }
    printf("%s: %llu records in %.3f s (%llu)\n", argv[2], (unsigned long long)n, now_s() - t0,
           (unsigned long long)(sum & 1));
    return 0;
}
