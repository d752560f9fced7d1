/* The mirrored-port copy detector: 4096 direct-mapped slots. */
#include "analyze/dedup.h"

#include <stdlib.h>

#include "correlate/correlate.h"

#define N_SLOTS 4096

struct slot {
    uint64_t key;
    int64_t ts_ns;
};

struct tw_dedup {
    struct slot slots[N_SLOTS];
};

tw_dedup *tw_dedup_new(struct tw_error *err)
{
    tw_dedup *d = calloc(1, sizeof *d);
    if (!d)
        tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
    return d;
}

void tw_dedup_free(tw_dedup *d) { free(d); }

bool tw_dedup_is_copy(tw_dedup *d, const struct tw_packet *pkt)
{
    if (pkt->l4 != TW_L4_TCP)
        return false;
    uint64_t key = tw_packet_fingerprint(pkt) ^
                   ((uint64_t)pkt->tcp.sport << 48 | (uint64_t)pkt->tcp.dport << 32);
    struct slot *s = &d->slots[key % N_SLOTS];
    int64_t age = pkt->ts_ns - s->ts_ns;
    if (s->key == key && age >= 0 && age < TW_DEDUP_WINDOW_NS)
        return true;
    s->key = key;
    s->ts_ns = pkt->ts_ns;
    return false;
}
