/* Times in nanoseconds, in an int64_t.
 *
 * Capture times are clamped to +-TW_NS_LIMIT (capture/capture.c): a damaged
 * or crafted record can claim any second, and the pipeline subtracts times,
 * so the difference of two must never overflow. Offsets and widths worked
 * out in seconds (doubles: a clock offset, a window) meet times too; they
 * are brought within the same bounds first, and a time moved by one of them
 * saturates rather than wrapping. */
#ifndef TW_BASE_NS_H
#define TW_BASE_NS_H

#include <stdint.h>

/* 2^62 ns: about 146 years either side of 1970 */
#define TW_NS_LIMIT (INT64_C(1) << 62)

static inline int64_t tw_ns_clamp(int64_t ns)
{
    return ns > TW_NS_LIMIT ? TW_NS_LIMIT : ns < -TW_NS_LIMIT ? -TW_NS_LIMIT : ns;
}

/* A count of nanoseconds held in a double, within +-TW_NS_LIMIT (NaN: 0),
 * so that converting it to an integer is defined. */
static inline double tw_ns_clamp_d(double ns)
{
    if (ns != ns)
        return 0;
    return ns > (double)TW_NS_LIMIT    ? (double)TW_NS_LIMIT
           : ns < -(double)TW_NS_LIMIT ? -(double)TW_NS_LIMIT
                                       : ns;
}

/* a + b, held at INT64_MIN or INT64_MAX instead of wrapping */
static inline int64_t tw_ns_add(int64_t a, int64_t b)
{
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return sum;
}

#endif
