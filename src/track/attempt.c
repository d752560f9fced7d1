/* Filing packets into attempts.
 *
 * Which attempt a packet belongs to is decided by sequence numbers, not by
 * arrival order, because the interesting failures interleave attempts: in the
 * seed case the server answers the client's new SYN(z) with an ACK for the
 * old ISN x (ack = x+1), and the client resets it with seq = x+1; both belong
 * to attempt x. A packet whose numbers match no attempt is filed under the
 * newest one. */
#include "track/attempt.h"

#include <stddef.h>
#include <string.h>

#include "base/seq.h"

static const char *const event_names[] = {
#define X(id, name) name,
    TW_EVENT_LIST(X)
#undef X
};

const char *tw_event_name(enum tw_event_kind k)
{
    return (unsigned)k < TW_EV_COUNT ? event_names[k] : "?";
}

/* Slots at the end of a timeline that SYN and SYN+ACK retransmissions may
 * not take, so that a storm of them cannot push out the RST or ICMP error
 * that explains the attempt. */
#define RESERVED_EVENTS 6

static struct tw_attempt *find_by_isn(struct tw_flow *flow, uint32_t isn)
{
    for (int i = flow->n_attempts - 1; i >= 0; i--) {
        struct tw_attempt *a = tw_flow_attempt(flow, i);
        if (a->has_syn && a->isn == isn)
            return a;
    }
    return NULL;
}

/* The newest attempt whose SYN ack acknowledges. */
static struct tw_attempt *find_acking(struct tw_flow *flow, uint32_t ack)
{
    for (int i = flow->n_attempts - 1; i >= 0; i--) {
        struct tw_attempt *a = tw_flow_attempt(flow, i);
        if (tw_attempt_acks_syn(a, ack))
            return a;
    }
    return NULL;
}

/* The newest attempt whose SYN+ACK ack acknowledges. */
static struct tw_attempt *find_synacked(struct tw_flow *flow, uint32_t ack)
{
    for (int i = flow->n_attempts - 1; i >= 0; i--) {
        struct tw_attempt *a = tw_flow_attempt(flow, i);
        if (a->has_synack && a->server_isn + 1 == ack)
            return a;
    }
    return NULL;
}

static struct tw_attempt *newest(struct tw_flow *flow)
{
    return flow->n_attempts ? tw_flow_attempt(flow, flow->n_attempts - 1) : NULL;
}

/* The client's first data segment of a; NULL when there is none. */
static const struct tw_event *first_client_data(const struct tw_attempt *a)
{
    for (int i = 0; i < a->n_events; i++)
        if (a->events[i].kind == TW_EV_CLIENT_DATA)
            return &a->events[i];
    return NULL;
}

/* ack covers at least one byte of data. */
static bool acks_data(const struct tw_event *data, uint32_t ack)
{
    return data && tw_seq_in(ack, data->seq + 1, data->payload_len);
}

bool tw_attempt_acks_client_data(const struct tw_attempt *a, uint32_t ack)
{
    return acks_data(first_client_data(a), ack);
}

/* The server acknowledged the client's data: it had the connection
 * synchronized, whatever the capture shows of the handshake. */
static bool server_acked_client_data(const struct tw_attempt *a)
{
    const struct tw_event *data = first_client_data(a);
    for (int i = 0; data && i < a->n_events; i++)
        if (a->events[i].kind == TW_EV_SERVER_ACK && acks_data(data, a->events[i].ack))
            return true;
    return false;
}

bool tw_attempt_completed(const struct tw_attempt *a)
{
    if (a->n_ack > 0)
        return true;
    if (tw_attempt_has_event(a, TW_EV_CLIENT_DATA) && tw_attempt_has_event(a, TW_EV_SERVER_DATA))
        return true;
    return tw_attempt_has_event(a, TW_EV_SERVER_ACK) && tw_attempt_has_event(a, TW_EV_CLIENT_DATA) &&
           server_acked_client_data(a);
}

/* The newest attempt holding a server ACK (filed as TW_EV_SERVER_ACK) whose
 * ack field is `ack`. */
static struct tw_attempt *find_challenged(struct tw_flow *flow, uint32_t ack)
{
    for (int i = flow->n_attempts - 1; i >= 0; i--) {
        struct tw_attempt *a = tw_flow_attempt(flow, i);
        for (int j = 0; j < a->n_events; j++)
            if (a->events[j].kind == TW_EV_SERVER_ACK && a->events[j].ack == ack)
                return a;
    }
    return NULL;
}

static bool is_client_syn(const struct tw_packet *pkt, enum tw_side side)
{
    return pkt->l4 == TW_L4_TCP && side == TW_FROM_CLIENT &&
           (pkt->tcp.flags & (TW_TCP_SYN | TW_TCP_ACK | TW_TCP_RST)) == TW_TCP_SYN;
}

bool tw_flow_opens_attempt(const struct tw_flow *flow, const struct tw_packet *pkt,
                           enum tw_side side)
{
    if (flow->n_attempts == 0)
        return true;
    if (!is_client_syn(pkt, side))
        return false;
    return find_by_isn((struct tw_flow *)flow, pkt->tcp.seq) == NULL;
}

void tw_flow_retire_oldest(struct tw_flow *flow)
{
    if (flow->n_attempts == 0)
        return;
    for (int i = 0; i + 1 < flow->n_attempts; i++)
        *tw_flow_attempt(flow, i) = *tw_flow_attempt(flow, i + 1);
    flow->n_attempts--;
}

static struct tw_attempt *open_attempt(struct tw_flow *flow, const struct tw_packet *pkt,
                                       enum tw_side side)
{
    struct tw_attempt *a = tw_flow_attempt(flow, flow->n_attempts++);
    /* The fields, not the timeline: an event is written whole as it is added
     * (add_event), and nothing reads past n_events. Clearing all 24 events
     * wrote 18 cold cache lines for every new attempt. */
    memset(a, 0, offsetof(struct tw_attempt, events));
    a->first_ns = pkt->ts_ns;
    a->first_frame = pkt->frame;
    if (is_client_syn(pkt, side)) {
        a->has_syn = true;
        a->isn = pkt->tcp.seq;
        a->syn_payload = pkt->tcp.payload_len;
        a->is_syn_without_mss = !pkt->tcp.has_mss;
    }
    return a;
}

static void add_event(struct tw_attempt *a, const struct tw_packet *pkt, enum tw_side side,
                      enum tw_event_kind kind)
{
    bool is_retransmittable = kind == TW_EV_SYN || kind == TW_EV_SYNACK ||
                              kind == TW_EV_SYNACK_OTHER || kind == TW_EV_SERVER_ACK;
    int room = is_retransmittable ? TW_MAX_EVENTS - RESERVED_EVENTS : TW_MAX_EVENTS;
    if (a->n_events >= room && is_retransmittable && a->n_events < TW_MAX_EVENTS &&
        !tw_attempt_has_event(a, kind))
        room = TW_MAX_EVENTS; /* the first of its kind is evidence, never crowded out */
    if (a->n_events >= room) {
        a->n_events_dropped++;
        return;
    }
    struct tw_event *e = &a->events[a->n_events++];
    memset(e, 0, sizeof *e);
    a->event_kinds |= (uint16_t)(1u << kind);
    e->frame = pkt->frame;
    e->ts_ns = pkt->ts_ns;
    e->kind = (uint8_t)kind;
    e->ttl = pkt->ttl;
    e->from_client = side == TW_FROM_CLIENT;
    e->has_ip_id = pkt->has_ip_id;
    e->ip_id = pkt->ip_id;
    if (pkt->l4 == TW_L4_TCP) {
        e->seq = pkt->tcp.seq;
        e->ack = pkt->tcp.ack;
        e->tcp_flags = pkt->tcp.flags;
        e->payload_len = pkt->tcp.payload_len;
        e->has_ts = pkt->tcp.has_ts;
        e->tsval = pkt->tcp.tsval;
        e->tsecr = pkt->tcp.tsecr;
    } else if (pkt->l4 == TW_L4_ICMP_ERROR) {
        e->icmp_type = pkt->icmp.type;
        e->icmp_code = pkt->icmp.code;
        e->seq = pkt->icmp.quoted_seq;
    }
}

static void add_once(struct tw_attempt *a, const struct tw_packet *pkt, enum tw_side side,
                     enum tw_event_kind kind)
{
    if (!tw_attempt_has_event(a, kind))
        add_event(a, pkt, side, kind);
}

/* Payload, FIN and RST: the same for both sides but for the event names. */
static void file_rest(struct tw_attempt *a, const struct tw_packet *pkt, enum tw_side side)
{
    const struct tw_segment *seg = &pkt->tcp;
    bool from_client = side == TW_FROM_CLIENT;
    if (seg->flags & TW_TCP_RST) {
        add_event(a, pkt, side, from_client ? TW_EV_CLIENT_RST : TW_EV_SERVER_RST);
        return;
    }
    if (seg->payload_len > 0)
        add_once(a, pkt, side, from_client ? TW_EV_CLIENT_DATA : TW_EV_SERVER_DATA);
    if (seg->flags & TW_TCP_FIN) {
        add_once(a, pkt, side, from_client ? TW_EV_CLIENT_FIN : TW_EV_SERVER_FIN);
        a->saw_fin[side] = true;
    }
}

int64_t tw_attempt_last_syn_ns(const struct tw_attempt *a)
{
    int64_t last = 0;
    for (int i = 0; i < a->n_events; i++)
        if (a->events[i].kind == TW_EV_SYN)
            last = a->events[i].ts_ns;
    return last;
}

bool tw_flow_is_closed(const struct tw_flow *flow)
{
    if (!flow->n_attempts)
        return false;
    const struct tw_attempt *a = tw_flow_attempt(flow, flow->n_attempts - 1);
    return a->saw_fin[TW_FROM_CLIENT] && a->saw_fin[TW_FROM_SERVER];
}

static struct tw_attempt *file_client(struct tw_flow *flow, const struct tw_packet *pkt)
{
    const struct tw_segment *seg = &pkt->tcp;
    if ((seg->flags & (TW_TCP_SYN | TW_TCP_ACK | TW_TCP_RST)) == TW_TCP_SYN) {
        struct tw_attempt *a = find_by_isn(flow, seg->seq);
        a->n_syn++;
        add_event(a, pkt, TW_FROM_CLIENT, TW_EV_SYN);
        return a;
    }
    /* A client segment right after the SYN carries seq = ISN+1 (RFC 9293
     * section 3.4); a RST answering an unexpected ACK carries seq = that
     * ACK's ack field (section 3.10.7.3), which again names an attempt. */
    struct tw_attempt *a = find_acking(flow, seg->seq);
    /* A RST answering a challenge ACK carries that ACK's ack field as seq; it
     * belongs where the challenge ACK was filed. */
    if ((seg->flags & TW_TCP_RST) && (!a || tw_attempt_completed(a))) {
        struct tw_attempt *challenged = find_challenged(flow, seg->seq);
        if (challenged)
            a = challenged;
    }
    if (!a && (seg->flags & TW_TCP_ACK))
        a = find_synacked(flow, seg->ack);
    if (!a)
        a = newest(flow);
    bool is_plain_ack = (seg->flags & TW_TCP_ACK) && !(seg->flags & (TW_TCP_SYN | TW_TCP_RST));
    /* The client acknowledging a SYN+ACK the capture does not hold: the
     * handshake completed, and the capture lost the SYN+ACK. */
    if (is_plain_ack && a->has_syn && !a->has_synack && a->n_ack == 0 &&
        tw_attempt_acks_syn(a, seg->seq) && !flow->sides[TW_FROM_SERVER].has_seq) {
        a->has_synack = true;
        a->server_isn = seg->ack - 1;
        flow->n_capture_gaps++;
    }
    bool acks_synack = is_plain_ack && a->has_synack && seg->ack == a->server_isn + 1 &&
                       tw_attempt_acks_syn(a, seg->seq);
    if (acks_synack) {
        if (a->n_ack == 0)
            add_event(a, pkt, TW_FROM_CLIENT, TW_EV_ACK);
        a->n_ack++;
    }
    file_rest(a, pkt, TW_FROM_CLIENT);
    return a;
}

static struct tw_attempt *file_server(struct tw_flow *flow, const struct tw_packet *pkt)
{
    const struct tw_segment *seg = &pkt->tcp;
    bool has_ack = seg->flags & TW_TCP_ACK;
    struct tw_attempt *a = has_ack ? find_acking(flow, seg->ack) : NULL;
    if ((seg->flags & (TW_TCP_SYN | TW_TCP_ACK)) == (TW_TCP_SYN | TW_TCP_ACK) &&
        !(seg->flags & TW_TCP_RST)) {
        if (a) {
            if (!a->has_synack) {
                a->has_synack = true;
                a->server_isn = seg->seq;
            }
            a->n_synack++;
            add_event(a, pkt, TW_FROM_SERVER, TW_EV_SYNACK);
        } else {
            a = newest(flow);
            add_event(a, pkt, TW_FROM_SERVER, TW_EV_SYNACK_OTHER);
        }
        return a;
    }
    bool is_bare_ack = has_ack && !(seg->flags & (TW_TCP_SYN | TW_TCP_RST | TW_TCP_FIN)) &&
                       seg->payload_len == 0;
    /* An ACK for an attempt that already completed, while a newer one is in
     * its handshake, is the server answering the newer SYN for the older
     * connection it still holds: a challenge ACK for the newer attempt. Only
     * an ACK for an older attempt still in its handshake stays with it (the
     * seed case, synack_lost_rst). */
    struct tw_attempt *nw = newest(flow);
    if (!a || (is_bare_ack && a != nw && tw_attempt_completed(a) && nw->has_syn &&
               !tw_attempt_completed(nw)))
        a = nw;
    /* A bare ACK before the handshake completed is the server speaking for a
     * connection it still holds: a challenge ACK (RFC 5961 section 4) or the
     * SYN-RECEIVED answer to an out-of-window SYN (RFC 9293 section 3.10.7.4). */
    if (is_bare_ack && !tw_attempt_completed(a))
        add_event(a, pkt, TW_FROM_SERVER, TW_EV_SERVER_ACK);
    file_rest(a, pkt, TW_FROM_SERVER);
    return a;
}

/* Linux's keepalive probe (tcp_xmit_probe_skb) is a segment one byte before
 * what the sender already sent, with no data or one byte of it. */
static bool is_keepalive_probe(const struct tw_side_state *s, const struct tw_segment *seg)
{
    return s->has_seq && !(seg->flags & (TW_TCP_SYN | TW_TCP_FIN | TW_TCP_RST)) &&
           seg->payload_len <= 1 && seg->seq == s->snd_nxt - 1;
}

static void update_side(struct tw_flow *flow, const struct tw_packet *pkt, enum tw_side side)
{
    const struct tw_segment *seg = &pkt->tcp;
    struct tw_side_state *s = &flow->sides[side];
    struct tw_side_state *other = &flow->sides[!side];
    other->n_probes = 0;
    s->last_frame = pkt->frame;
    s->last_ns = pkt->ts_ns;
    s->last_flags = seg->flags;
    s->last_payload = seg->payload_len;
    if (seg->flags & TW_TCP_RST)
        return;             /* a RST may not come from this side at all */
    s->ttl = pkt->ttl;
    s->l2_src_len = pkt->has_l2_src ? pkt->l2_src_len : 0;
    if (s->l2_src_len)
        memcpy(s->l2_src, pkt->l2_src, s->l2_src_len);
    if (is_keepalive_probe(s, seg)) {
        s->n_probes++;
        s->n_probes_since_data++;
        int64_t since = s->last_probe_ns ? s->last_probe_ns : s->last_data_ns;
        s->probe_gap_ns = since ? pkt->ts_ns - since : 0;
        s->last_probe_ns = pkt->ts_ns;
    } else if (seg->payload_len > 1) {
        s->n_probes_since_data = 0;
        s->last_probe_ns = 0;
        s->last_data_ns = pkt->ts_ns;
    }
    if (seg->flags & TW_TCP_SYN) {
        s->offered_wscale = seg->has_wscale;
        s->wscale = seg->wscale > 14 ? 14 : seg->wscale; /* RFC 7323 section 2.3 */
    }
    uint32_t end = seg->seq + seg->payload_len + ((seg->flags & TW_TCP_SYN) ? 1 : 0) +
                   ((seg->flags & TW_TCP_FIN) ? 1 : 0);
    if (!s->has_seq || tw_seq_lt(s->snd_nxt, end))
        s->snd_nxt = end;
    s->has_seq = true;
    s->sent_fin |= (seg->flags & TW_TCP_FIN) != 0;
    s->sent_data |= seg->payload_len > 0;
    /* Acknowledged, yet never captured: the capture dropped it, not the
     * network (the receiver got it). Counted once per hole. */
    if ((seg->flags & TW_TCP_ACK) && other->has_seq && tw_seq_lt(other->snd_nxt, seg->ack)) {
        flow->n_capture_gaps++;
        flow->capture_gap_bytes += (uint32_t)(seg->ack - other->snd_nxt);
        other->snd_nxt = seg->ack;
    }
    if (seg->flags & TW_TCP_ACK) {
        s->has_ack = true;
        s->last_ack = seg->ack;
        /* The window in a SYN is never scaled (RFC 7323 section 2.2). */
        bool scaled = !(seg->flags & TW_TCP_SYN) && s->offered_wscale && other->offered_wscale;
        s->window_bytes = (uint32_t)seg->window << (scaled ? s->wscale : 0);
    }
}

struct tw_attempt *tw_flow_add(struct tw_flow *flow, const struct tw_packet *pkt,
                               enum tw_side side)
{
    if (tw_flow_opens_attempt(flow, pkt, side))
        open_attempt(flow, pkt, side);
    struct tw_attempt *a;
    if (pkt->l4 == TW_L4_ICMP_ERROR) {
        a = pkt->icmp.has_quoted_seq ? find_by_isn(flow, pkt->icmp.quoted_seq) : NULL;
        if (!a)
            a = newest(flow);
        add_event(a, pkt, side, TW_EV_ICMP_ERROR);
    } else if (side == TW_FROM_CLIENT) {
        a = file_client(flow, pkt);
    } else {
        a = file_server(flow, pkt);
    }
    a->n_packets++;
    a->last_ns = pkt->ts_ns;
    if (flow->first_ns == 0)
        flow->first_ns = pkt->ts_ns;
    flow->last_ns = pkt->ts_ns;
    if (pkt->l4 == TW_L4_TCP)
        update_side(flow, pkt, side);
    return a;
}

/* v in decimal at p; returns the end. */
static char *decimal(char *p, unsigned v)
{
    char t[10];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = t[--n];
    return p;
}

void tw_endpoint_format(const struct tw_addr *a, uint16_t port, char *buf, unsigned long size)
{
    /* By hand, not printf (reporters format two endpoints per record):
     * "a.b.c.d:port" or "[v6]:port", at most 1 + 45 + 2 + 5 bytes. */
    char text[64];
    bool is_v6 = !tw_addr_is_v4(a);
    char *p = text;
    if (is_v6)
        *p++ = '[';
    tw_addr_format(a, p, 48);
    p += strlen(p);
    if (is_v6)
        *p++ = ']';
    *p++ = ':';
    p = decimal(p, port);
    if (size == 0)
        return;
    size_t n = (size_t)(p - text) < size ? (size_t)(p - text) : size - 1; /* cut, as snprintf */
    memcpy(buf, text, n);
    buf[n] = '\0';
}
