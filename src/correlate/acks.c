/* What a capture holds per attempt and sender (acks.h). */
#include "correlate/acks.h"

#include <stdlib.h>

#include "base/alloc.h"

bool tw_acks_init(struct tw_acks *m, size_t max_bytes)
{
    m->max_cap = max_bytes / sizeof(struct tw_ack_slot);
    m->cap = 1024;
    m->n = 0;
    m->v = tw_alloc_written(m->cap, sizeof *m->v);
    return m->v != NULL;
}

void tw_acks_free(struct tw_acks *m) { free(m->v); }

static struct tw_ack_slot *find(const struct tw_acks *m, uint32_t isn, uint8_t side)
{
    size_t i = (size_t)(tw_acks_bucket(m, isn, side) - m->v);
    while (m->v[i].is_used && (m->v[i].isn != isn || m->v[i].side != side))
        i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

static bool rebuild(struct tw_acks *m, int64_t keep_after_ns)
{
    size_t n_keep = 0;
    for (size_t i = 0; i < m->cap; i++)
        n_keep += m->v[i].is_used && m->v[i].last_ns >= keep_after_ns;
    size_t cap = m->cap;
    while (cap < 3 * n_keep && cap * 2 <= m->max_cap)
        cap *= 2;
    if (n_keep * 2 > cap)
        return false;
    struct tw_ack_slot *old = m->v;
    size_t old_cap = m->cap;
    m->v = tw_alloc_written(cap, sizeof *m->v);
    if (!m->v) {
        m->v = old;
        return false;
    }
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].is_used && old[i].last_ns >= keep_after_ns) {
            *find(m, old[i].isn, old[i].side) = old[i];
            m->n++;
        }
    free(old);
    return true;
}

/* The first data byte of s and one past its last (a SYN's data follows
 * the SYN's own sequence number). */
static void data_range(const struct tw_seen *s, uint32_t *start, uint32_t *end)
{
    *start = s->seq + ((s->tcp_flags & 0x02) ? 1 : 0);
    *end = *start + s->payload_len;
}

bool tw_acks_note(struct tw_acks *m, const struct tw_seen *s, int64_t now_ns,
                  int64_t keep_after_ns)
{
    bool has_ack = (s->tcp_flags & 0x10) != 0;
    if (!s->has_isn || (s->tcp_flags & 0x04) || (!has_ack && !s->payload_len))
        return true;
    if (2 * (m->n + 1) > m->cap && !rebuild(m, keep_after_ns))
        return false;
    struct tw_ack_slot *a = find(m, s->isn, s->side);
    if (!a->is_used) {
        *a = (struct tw_ack_slot){.isn = s->isn, .side = s->side, .is_used = true};
        m->n++;
    }
    if (has_ack && (!a->has_ack || tw_seq_lt(a->max_ack, s->ack))) {
        a->max_ack = s->ack;
        a->has_ack = true;
    }
    if (s->payload_len) {
        uint32_t start, end;
        data_range(s, &start, &end);
        tw_seq_ranges_add(&a->data, start, end);
        a->has_wide |= s->payload_len > TW_WIRE_PAYLOAD_MAX;
    }
    a->last_ns = now_ns;
    return true;
}

bool tw_acks_cover(const struct tw_acks *m, const struct tw_seen *s)
{
    if (!s->has_isn || (s->tcp_flags & 0x04))
        return false;
    const struct tw_ack_slot *a = find(m, s->isn, (uint8_t)!s->side);
    uint32_t end = tw_seen_end_seq(s);
    return a->is_used && a->has_ack && end != s->seq && tw_seq_le(end, a->max_ack);
}

bool tw_acks_hold_bytes(const struct tw_acks *m, const struct tw_seen *s)
{
    if (!s->payload_len || !s->has_isn)
        return false;
    const struct tw_ack_slot *a = find(m, s->isn, s->side);
    if (!a->is_used)
        return false;
    uint32_t start, end;
    data_range(s, &start, &end);
    return (s->payload_len > TW_WIRE_PAYLOAD_MAX || a->has_wide) &&
           tw_seq_ranges_hold(&a->data, start, end);
}
