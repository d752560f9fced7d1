/* The host cache: 4096 direct-mapped slots. */
#include "track/hosts.h"

#include <stdlib.h>
#include <string.h>

#define N_SLOTS 4096

struct tw_hosts {
    struct tw_host slots[N_SLOTS];
    bool used[N_SLOTS];
};

static unsigned slot_of(const struct tw_addr *a)
{
    uint32_t h = 2166136261u;  /* FNV-1a: cheap, and collisions only cost memory of a host */
    for (int i = 0; i < 16; i++)
        h = (h ^ a->b[i]) * 16777619u;
    return h % N_SLOTS;
}

tw_hosts *tw_hosts_new(struct tw_error *err)
{
    tw_hosts *h = calloc(1, sizeof *h);
    if (!h)
        tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
    return h;
}

void tw_hosts_free(tw_hosts *h) { free(h); }

static struct tw_host *claim(tw_hosts *h, const struct tw_addr *addr)
{
    unsigned i = slot_of(addr);
    if (!h->used[i] || memcmp(h->slots[i].addr.b, addr->b, 16) != 0) {
        memset(&h->slots[i], 0, sizeof h->slots[i]);
        h->slots[i].addr = *addr;
        h->used[i] = true;
    }
    return &h->slots[i];
}

void tw_hosts_note_ttl(tw_hosts *h, const struct tw_addr *addr, uint8_t ttl)
{
    claim(h, addr)->ttl = ttl;
}

void tw_hosts_note_rtt(tw_hosts *h, const struct tw_addr *addr, int64_t rtt_ns)
{
    struct tw_host *e = claim(h, addr);
    if (rtt_ns > 0 && (e->min_rtt_ns == 0 || rtt_ns < e->min_rtt_ns))
        e->min_rtt_ns = rtt_ns;
}

const struct tw_host *tw_hosts_find(const tw_hosts *h, const struct tw_addr *addr)
{
    unsigned i = slot_of(addr);
    if (h->used[i] && memcmp(h->slots[i].addr.b, addr->b, 16) == 0)
        return &h->slots[i];
    return NULL;
}
