/* How long this machine takes to back fresh memory: maps 48 MB four times
 * in one process, with or without transparent huge pages, writes a byte per
 * 4 KiB page (the first touch: the kernel finds and clears the pages), then
 * every byte (memset). Benchmark only (bench/README.md, "Where the start of
 * a run goes"):
 *   cc -O2 -o build/bench/fresh_memory bench/fresh_memory.c
 *   build/bench/fresh_memory 1; build/bench/fresh_memory 0   (1: MADV_HUGEPAGE) */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fresh_memory 0|1 (1: huge pages)\n");
        return 2;
    }
    const size_t n = 48u << 20, huge = 2u << 20;
    int is_huge = atoi(argv[1]);
    for (int round = 0; round < 4; round++) {
        char *m = mmap(NULL, n + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        char *p = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
        (void)madvise(p, n, is_huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
        double t0 = now_s();
        for (size_t i = 0; i < n; i += 4096)
            p[i] = 1;
        double t1 = now_s();
        memset(p, 2, n);
        double t2 = now_s();
        printf("huge pages %s, round %d: first touch %.1f ms, then memset %.1f ms\n",
               is_huge ? "on" : "off", round, (t1 - t0) * 1e3, (t2 - t1) * 1e3);
        munmap(m, n + huge);
    }
    return 0;
}
