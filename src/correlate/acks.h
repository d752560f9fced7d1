/* What one capture holds from each sender of each attempt: the highest ack
 * it sent and the data bytes it sent (window.c). Open addressing; rebuilt
 * without the entries quiet for a while when it fills.
 *
 * The acks tell a packet missing downstream whose receiver acknowledged it
 * there (the downstream capture's loss, not the network's). The data bytes
 * tell a segment cut or glued by a capture host's NIC: with TSO/GSO a
 * sender's capture holds segments of up to 64 kB that the NIC cuts into
 * MSS-sized ones on the wire, with GRO a receiver's holds segments glued
 * back together; the same bytes are then one packet in one capture and
 * several in the other, and no packet pairs with its copy. */
#ifndef TW_CORRELATE_ACKS_H
#define TW_CORRELATE_ACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/seq.h"
#include "correlate/internal.h"

struct tw_ack_slot {
    int64_t last_ns;
    uint32_t isn, max_ack;
    uint8_t side;
    bool is_used, has_ack;
    bool has_wide; /* a data segment too big for a 1500-byte frame */
    struct tw_seq_ranges data;
};

struct tw_acks {
    struct tw_ack_slot *v;
    size_t cap, n, max_cap;
};

/* max_bytes: the most the table may take. False when out of memory. */
bool tw_acks_init(struct tw_acks *m, size_t max_bytes);
void tw_acks_free(struct tw_acks *m);

/* The slot (isn, side) is looked for from, for prefetching. */
static inline const struct tw_ack_slot *tw_acks_bucket(const struct tw_acks *m, uint32_t isn,
                                                       uint8_t side)
{
    return &m->v[tw_mix_key((uint64_t)isn << 1 | side) & (m->cap - 1)];
}

/* Notes the ack and the data bytes s carries, at now_ns; slots quiet since
 * keep_after_ns may go to make room. False when the table has no room. */
bool tw_acks_note(struct tw_acks *m, const struct tw_seen *s, int64_t now_ns,
                  int64_t keep_after_ns);

/* Did the receiver of s acknowledge the bytes behind it, in the capture
 * whose table m is? */
bool tw_acks_cover(const struct tw_acks *m, const struct tw_seen *s);

/* Was data segment s (no copy in the capture whose table m is) cut or glued
 * by a capture host's NIC? Either s is too big to have crossed a link
 * (TW_WIRE_PAYLOAD_MAX) and m's capture holds its bytes, or it holds them
 * and such big segments of this connection and direction. Where neither
 * capture's host cuts or glues segments, bytes held from a retransmission
 * do not count: s was lost. */
bool tw_acks_hold_bytes(const struct tw_acks *m, const struct tw_seen *s);

/* The most TCP payload a 1500-byte Ethernet frame carries (IPv4 and TCP
 * headers without options): a bigger segment in a capture was cut (TSO/GSO)
 * or glued (GRO) by the capture host's NIC and never crossed a link so. */
#define TW_WIRE_PAYLOAD_MAX 1460

#endif
