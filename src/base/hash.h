/* Mixing 64-bit words for hash tables (MurmurHash3's finalizer: every input
 * bit reaches every output bit). Tables that hold what a capture chose
 * (flows, endpoints) key it with a per-run seed, so that crafted addresses
 * cannot pile into one bucket. */
#ifndef TW_BASE_HASH_H
#define TW_BASE_HASH_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tw_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A seed for one table: the clock and where the table lives. What a
 * report says never depends on it, only where entries sit. */
static inline uint64_t tw_hash_seed(const void *table)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return tw_mix64((uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 20) ^ (uintptr_t)table);
}

#endif
