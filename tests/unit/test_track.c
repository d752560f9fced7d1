/* Unit tests for src/track: which flow and side a packet belongs to
 * (tw_table_lookup), which attempt it is filed under and as what
 * (tw_flow_add), the bounded timeline, and the bounded table: capacity,
 * eviction of the least recently active flow, idle expiry with bounded work
 * per call, and flush order. Packets are hand-built (timeline.h). */
#include "timeline.h"

#define X 0x1a2b3c4du
#define Z 0x5e6f7081u
#define S 0x0badf00du

static const struct tw_event *event(const struct tw_attempt *a, int i)
{
    assert_true(i < a->n_events);
    return &a->events[i];
}

#define assert_event(a, i, kind_, frame_)                                                          \
    do {                                                                                           \
        const struct tw_event *e_ = event((a), (i));                                               \
        if (e_->kind != (kind_) || e_->frame != (frame_))                                          \
            fail_msg("event %d is %s frame %llu, expected %s frame %llu", (i),                     \
                     tw_event_name((enum tw_event_kind)e_->kind), (unsigned long long)e_->frame,   \
                     tw_event_name(kind_), (unsigned long long)(frame_));                          \
    } while (0)

static bool addr_eq(const struct tw_addr *a, const struct tw_addr *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

/* ---- flow creation and sides ------------------------------------------------ */

/* The SYN's sender is the client, whatever the ports. */
static void test_side_syn_sender_is_client(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    t->client_port = 80; /* lower than the server's: ports must not matter */
    t->server_port = 8080;
    tl_syn(t, 0, X, 100);
    assert_int_equal(t->last_side, TW_FROM_CLIENT);
    const struct tw_flow *f = t->flow;
    assert_true(addr_eq(&f->key.client, &t->client));
    assert_true(addr_eq(&f->key.server, &t->server));
    assert_int_equal(f->key.client_port, 80);
    assert_int_equal(f->key.server_port, 8080);
    assert_int_equal(f->n_attempts, 1);
    assert_true(tw_flow_attempt(f, 0)->has_syn);
    assert_int_equal(tw_flow_attempt(f, 0)->isn, X);
    tl_synack(t, 20, S, X + 1, 50000, 100);
    assert_int_equal(t->last_side, TW_FROM_SERVER);
    assert_ptr_equal(t->flow, f);
    assert_int_equal(tw_table_stats(t->table)->live, 1);
    tl_free(t);
}

/* The SYN+ACK's receiver is the client. */
static void test_side_synack_receiver_is_client(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    t->client_port = 80;
    t->server_port = 8080;
    tl_synack(t, 0, S, X + 1, 50000, 100);
    assert_int_equal(t->last_side, TW_FROM_SERVER);
    assert_true(addr_eq(&t->flow->key.client, &t->client));
    assert_int_equal(t->flow->key.client_port, 80);
    assert_false(tw_flow_attempt(t->flow, 0)->has_syn);
    assert_event(tw_flow_attempt(t->flow, 0), 0, TW_EV_SYNACK_OTHER, 1);
    tl_free(t);
}

/* Otherwise the side with the higher port is the client. */
static void test_side_higher_port_is_client(void **state)
{
    (void)state;
    struct tl *t = tl_new(); /* client 40000, server 80 */
    tl_data(t, 0, false, S + 1, X + 1, 100);
    assert_int_equal(t->last_side, TW_FROM_SERVER);
    assert_true(addr_eq(&t->flow->key.client, &t->client));
    assert_int_equal(t->flow->key.client_port, 40000);
    assert_false(tw_flow_attempt(t->flow, 0)->has_syn);
    assert_event(tw_flow_attempt(t->flow, 0), 0, TW_EV_SERVER_DATA, 1);
    tl_data(t, 1, true, X + 1, S + 101, 10);
    assert_int_equal(t->last_side, TW_FROM_CLIENT);
    assert_int_equal(tw_table_stats(t->table)->live, 1);
    tl_free(t);
}

/* Regression (was a bug): a flow first seen mid-stream takes its sides from the
 * ports. When that guess is wrong (client port 40000 -> server port 50051)
 * and the client later opens a new connection on the same 4-tuple, the
 * table (table.c, tw_table_lookup) finds the flow by its reverse key and
 * calls the SYN's sender the server: tw_flow_add never opens an attempt for
 * the SYN and the whole handshake is lost inside the old "unknown" attempt.
 * Expected: a SYN (no ACK) from the side called server on a flow with no
 * seen SYN re-sides the flow (or finishes it and starts a new one). */
static void test_side_guess_corrected_by_syn(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    t->server_port = 50051;
    tl_data(t, 0, true, X + 1, S + 1, 100); /* guessed: 50051 is the client */
    tl_syn(t, 60000, Z, 100);
    assert_int_equal(t->last_side, TW_FROM_CLIENT);
    assert_true(tw_flow_attempt(t->flow, t->flow->n_attempts - 1)->has_syn);
    tl_free(t);
}

/* ---- attempts ------------------------------------------------------------------- */

static void test_retransmitted_syn_same_attempt(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    uint64_t f1 = tl_syn(t, 0, X, 100);
    uint64_t f2 = tl_syn(t, 1000, X, 1100);
    const struct tw_attempt *a = tw_flow_attempt(t->flow, 0);
    assert_int_equal(t->flow->n_attempts, 1);
    assert_int_equal(a->n_syn, 2);
    assert_int_equal(a->n_events, 2);
    assert_event(a, 0, TW_EV_SYN, f1);
    assert_event(a, 1, TW_EV_SYN, f2);
    assert_int_equal(event(a, 1)->tsval, 1100);
    assert_true(event(a, 1)->from_client);
    assert_int_equal(a->first_frame, f1);
    assert_int_equal(a->first_ns, TL_MS(0));
    assert_int_equal(a->last_ns, TL_MS(1000));
    assert_int_equal(a->n_packets, 2);
    tl_free(t);
}

static void test_new_isn_new_attempt(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    uint64_t fz = tl_syn(t, 5000, Z, 5100);
    assert_int_equal(t->flow->n_attempts, 2);
    assert_int_equal(tw_flow_attempt(t->flow, 0)->isn, X);
    assert_int_equal(tw_flow_attempt(t->flow, 1)->isn, Z);
    assert_int_equal(tw_flow_attempt(t->flow, 1)->first_frame, fz);
    /* A late SYN+ACK for x (ack = x+1) and the client's RST (seq = x+1)
     * belong to x, though z is the newest. */
    uint64_t sa = tl_synack(t, 5010, S, X + 1, 50000, 100);
    uint64_t rst = tl_client_rst(t, 5010.1, X + 1);
    const struct tw_attempt *x = tw_flow_attempt(t->flow, 0);
    assert_true(x->has_synack);
    assert_int_equal(x->server_isn, S);
    assert_event(x, 1, TW_EV_SYNACK, sa);
    assert_event(x, 2, TW_EV_CLIENT_RST, rst);
    assert_int_equal(tw_flow_attempt(t->flow, 1)->n_events, 1);
    /* A SYN+ACK acknowledging neither ISN goes to the newest as "other". */
    uint64_t other = tl_synack(t, 5020, S, 12345, 50000, 100);
    assert_event(tw_flow_attempt(t->flow, 1), 1, TW_EV_SYNACK_OTHER, other);
    assert_false(tw_flow_attempt(t->flow, 1)->has_synack);
    tl_free(t);
}

/* The seed case: while z is in progress, the server's bare ACK with
 * ack = x+1 and the client's RST with seq = x+1 are filed under x. */
static void test_seed_case_filing(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    tl_syn(t, 1000, X, 1100);
    tl_syn(t, 3000, X, 3100);
    uint64_t fz = tl_syn(t, 7000, Z, 7100);
    uint64_t stale = tl_server_ack(t, 7020, S + 1, X + 1);
    uint64_t rst = tl_client_rst(t, 7020.1, X + 1);
    uint64_t fz2 = tl_syn(t, 8000, Z, 8100);
    uint64_t sa = tl_synack(t, 8020, 777, Z + 1, 58000, 8100);
    uint64_t ack = tl_ack(t, 8020.1, Z + 1, 778, 8120, 58000);
    assert_int_equal(t->flow->n_attempts, 2);
    const struct tw_attempt *x = tw_flow_attempt(t->flow, 0), *z = tw_flow_attempt(t->flow, 1);
    assert_int_equal(x->n_events, 5);
    assert_event(x, 3, TW_EV_SERVER_ACK, stale);
    assert_event(x, 4, TW_EV_CLIENT_RST, rst);
    assert_false(event(x, 3)->from_client);
    assert_int_equal(event(x, 3)->ack, X + 1);
    assert_int_equal(event(x, 4)->seq, X + 1);
    assert_int_equal(event(x, 4)->tcp_flags, TW_TCP_RST);
    assert_int_equal(x->n_packets, 5);
    assert_int_equal(z->n_events, 4);
    assert_event(z, 0, TW_EV_SYN, fz);
    assert_event(z, 1, TW_EV_SYN, fz2);
    assert_event(z, 2, TW_EV_SYNACK, sa);
    assert_event(z, 3, TW_EV_ACK, ack);
    assert_true(tw_attempt_completed(z));
    assert_false(tw_attempt_completed(x));
    tl_free(t);
}

/* A challenge ACK naming no attempt is a SERVER_ACK of the newest; the
 * client's RST with seq = that ack goes there too. */
static void test_challenge_ack_filed_under_newest(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    uint64_t ch = tl_server_ack(t, 20, 777000, 0xdeadbeefu);
    uint64_t rst = tl_client_rst(t, 20.1, 0xdeadbeefu);
    const struct tw_attempt *a = tw_flow_attempt(t->flow, 0);
    assert_event(a, 1, TW_EV_SERVER_ACK, ch);
    assert_event(a, 2, TW_EV_CLIENT_RST, rst);
    tl_free(t);
}

/* The third packet is filed once; duplicates are counted; data, FIN and
 * bare server ACKs after completion are filed as such or not at all. */
static void test_ack_data_fin_filing(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    tl_synack(t, 20, S, X + 1, 50000, 100);
    uint64_t ack = tl_ack(t, 20.1, X + 1, S + 1, 120, 50000);
    tl_ack(t, 20.2, X + 1, S + 1, 121, 50000);
    const struct tw_attempt *a = tw_flow_attempt(t->flow, 0);
    assert_int_equal(a->n_ack, 2);
    assert_event(a, 2, TW_EV_ACK, ack);
    assert_int_equal(a->n_events, 3);
    /* An ACK that does not acknowledge the SYN+ACK is not the third packet. */
    struct tl *u = tl_new();
    tl_syn(u, 0, X, 100);
    tl_synack(u, 20, S, X + 1, 50000, 100);
    tl_ack(u, 20.1, X + 1, S + 2, 120, 50000);
    assert_int_equal(tw_flow_attempt(u->flow, 0)->n_ack, 0);
    assert_false(tw_attempt_completed(tw_flow_attempt(u->flow, 0)));
    tl_free(u);

    uint64_t d1 = tl_data(t, 30, true, X + 1, S + 1, 100);
    tl_data(t, 31, true, X + 101, S + 1, 100);
    uint64_t d2 = tl_data(t, 50, false, S + 1, X + 201, 1000);
    tl_server_ack(t, 51, S + 1001, X + 201); /* completed: not a SERVER_ACK */
    uint64_t fin = tl_send(t, 60, true, TW_TCP_FIN | TW_TCP_ACK, X + 201, S + 1001, 0, 0, 0);
    assert_event(a, 3, TW_EV_CLIENT_DATA, d1);
    assert_event(a, 4, TW_EV_SERVER_DATA, d2);
    assert_event(a, 5, TW_EV_CLIENT_FIN, fin);
    assert_int_equal(a->n_events, 6);
    assert_int_equal(a->n_packets, 9);
    tl_free(t);
}

/* Data carrying seq = ISN+1 and ack = S+1 is the third packet itself (the
 * ACK piggybacked). Without the SYN+ACK in the capture (asymmetric routing),
 * data both ways completes the handshake. */
static void test_completed_by_data(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    tl_synack(t, 20, S, X + 1, 50000, 100);
    uint64_t d = tl_data(t, 30, true, X + 1, S + 1, 100);
    assert_int_equal(tw_flow_attempt(t->flow, 0)->n_ack, 1);
    assert_event(tw_flow_attempt(t->flow, 0), 2, TW_EV_ACK, d);
    assert_event(tw_flow_attempt(t->flow, 0), 3, TW_EV_CLIENT_DATA, d);
    assert_true(tw_attempt_completed(tw_flow_attempt(t->flow, 0)));
    tl_free(t);

    /* The client acknowledges a SYN+ACK the capture does not hold: the
     * handshake completed and the capture lost the SYN+ACK (a capture gap). */
    t = tl_new();
    tl_syn(t, 0, X, 100);
    tl_data(t, 30, true, X + 1, S + 1, 100);
    assert_true(tw_attempt_completed(tw_flow_attempt(t->flow, 0)));
    assert_int_equal(tw_flow_attempt(t->flow, 0)->n_ack, 1);
    assert_int_equal(t->flow->n_capture_gaps, 1);
    tl_free(t);

    /* Without an acknowledgement of the SYN+ACK, data both ways completes it. */
    t = tl_new();
    tl_syn(t, 0, X, 100);
    tl_data(t, 30, false, S + 1, X + 1, 100);
    assert_false(tw_attempt_completed(tw_flow_attempt(t->flow, 0)));
    tl_data(t, 50, true, X + 1, 0, 100);
    assert_int_equal(tw_flow_attempt(t->flow, 0)->n_ack, 0);
    assert_true(tw_attempt_completed(tw_flow_attempt(t->flow, 0)));
    tl_free(t);
}

/* A fourth ISN on a full flow: the oldest attempt is judged with its
 * successors present, then retired (track() in analyzer.c). */
static void test_full_flow_retires_oldest(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    t->vantage = TW_VANTAGE_CLIENT;
    for (uint32_t k = 0; k < TW_FLOW_ATTEMPTS; k++)
        tl_syn(t, 1000.0 * 10 * k, X + 1000000u * k, 100);
    assert_int_equal(t->flow->n_attempts, TW_FLOW_ATTEMPTS);
    assert_int_equal(t->n_early, 0);
    tl_syn(t, 40000, Z, 100);
    assert_int_equal(t->flow->n_attempts, TW_FLOW_ATTEMPTS);
    assert_int_equal(t->n_early, 1);
    assert_int_equal(t->early_isn[0], X);
    tl_assert_verdict(&t->early[0], TW_VERDICT_TIMEOUT); /* a later attempt exists */
    assert_int_equal(tw_flow_attempt(t->flow, 0)->isn, X + 1000000u);
    assert_int_equal(tw_flow_attempt(t->flow, TW_FLOW_ATTEMPTS - 1)->isn, Z);
    tl_free(t);
}

/* ---- the bounded timeline ---------------------------------------------------------- */

/* A SYN storm fills only TW_MAX_EVENTS - 6 slots; the rest are counted, and
 * the reserved slots still take the RST and the ICMP error. */
static void test_timeline_bound_reserves_slots(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    for (int k = 0; k < 40; k++)
        tl_syn(t, 100.0 * k, X, 100 + (uint32_t)k);
    const struct tw_attempt *a = tw_flow_attempt(t->flow, 0);
    int room = TW_MAX_EVENTS - 6;
    assert_int_equal(a->n_events, room);
    assert_int_equal(a->n_syn, 40);
    assert_int_equal(a->n_events_dropped, 40 - room);
    assert_int_equal(a->n_packets, 40);
    /* The first bare server ACK is evidence and may use a reserved slot; a
     * second one is turned away. */
    uint64_t first_ack = tl_server_ack(t, 4001, S + 1, 999);
    assert_event(a, room, TW_EV_SERVER_ACK, first_ack);
    tl_server_ack(t, 4001.5, S + 1, 999);
    assert_int_equal(a->n_events, room + 1);
    uint64_t icmp = tl_icmp(t, 4002, 3, 13, X);
    uint64_t rst = tl_client_rst(t, 4003, X + 1);
    assert_event(a, room + 1, TW_EV_ICMP_ERROR, icmp);
    assert_event(a, room + 2, TW_EV_CLIENT_RST, rst);
    /* Up to the hard bound, then counted only. */
    for (int k = 0; k < 10; k++)
        tl_client_rst(t, 5000 + k, X + 1);
    assert_int_equal(a->n_events, TW_MAX_EVENTS);
    assert_int_equal(a->n_events_dropped, 40 - room + 1 + 10 - (TW_MAX_EVENTS - room - 3));
    struct tw_diagnosis d;
    tl_judge(t, 0, TW_VANTAGE_CLIENT, &d);
    tl_assert_verdict(&d, TW_VERDICT_ICMP_ERROR);
    tl_free(t);
}

/* The first SYN+ACK after a long SYN storm is kept: it is the answer the
 * rules need, so it may take one of the reserved slots. */
static void test_timeline_storm_keeps_first_synack(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    for (int k = 0; k < 20; k++)
        tl_syn(t, 100.0 * k, X, 100 + (uint32_t)k);
    tl_synack(t, 2000, S, X + 1, 50000, 100);
    tl_ack(t, 2000.1, X + 1, S + 1, 200, 50000);
    const struct tw_attempt *a = tw_flow_attempt(t->flow, 0);
    assert_true(a->has_synack);
    assert_int_equal(a->n_synack, 1);
    assert_int_equal(event(a, a->n_events - 1)->kind, TW_EV_ACK);
    assert_int_equal(event(a, a->n_events - 2)->kind, TW_EV_SYNACK);
    tl_free(t);
}

/* ---- ICMP errors ------------------------------------------------------------------ */

static void test_icmp_never_creates_flow(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_icmp(t, 0, 3, 1, X);
    assert_false(t->last_had_flow);
    assert_int_equal(tw_table_stats(t->table)->live, 0);
    assert_int_equal(tw_table_stats(t->table)->peak, 0);
    /* Nor does one quoting UDP, even for a tracked 4-tuple. */
    tl_syn(t, 1, X, 100);
    struct tw_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = TL_MS(2);
    p.l4 = TW_L4_ICMP_ERROR;
    p.icmp.type = 3;
    p.icmp.quoted_proto = 17;
    p.icmp.quoted_src = t->client;
    p.icmp.quoted_dst = t->server;
    p.icmp.quoted_sport = t->client_port;
    p.icmp.quoted_dport = t->server_port;
    tl_feed(t, &p);
    assert_false(t->last_had_flow);
    assert_int_equal(tw_flow_attempt(t->flow, 0)->n_events, 1);
    tl_free(t);
}

/* Matched through the quoted tuple, in either direction, and filed under the
 * attempt whose ISN it quotes. */
static void test_icmp_matched_by_quoted_tuple(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    tl_syn(t, 3000, Z, 100);
    uint64_t f = tl_icmp(t, 3001, 3, 13, X);
    assert_true(t->last_had_flow);
    assert_int_equal(t->last_side, TW_FROM_SERVER); /* travels to the client */
    assert_event(tw_flow_attempt(t->flow, 0), 1, TW_EV_ICMP_ERROR, f);
    const struct tw_event *e = event(tw_flow_attempt(t->flow, 0), 1);
    assert_int_equal(e->icmp_type, 3);
    assert_int_equal(e->icmp_code, 13);
    assert_int_equal(e->seq, X);
    assert_int_equal(e->ttl, 255);
    assert_int_equal(tw_flow_attempt(t->flow, 1)->n_events, 1);
    /* Quoting an unknown sequence number: the newest attempt. */
    uint64_t g = tl_icmp(t, 3002, 3, 1, 42);
    assert_event(tw_flow_attempt(t->flow, 1), 1, TW_EV_ICMP_ERROR, g);
    /* Quoting the server's packet: the error travels to the server. */
    struct tw_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = TL_MS(3003);
    p.l4 = TW_L4_ICMP_ERROR;
    p.icmp.type = 3;
    p.icmp.quoted_proto = 6;
    p.icmp.quoted_src = t->server;
    p.icmp.quoted_dst = t->client;
    p.icmp.quoted_sport = t->server_port;
    p.icmp.quoted_dport = t->client_port;
    tl_feed(t, &p);
    assert_true(t->last_had_flow);
    assert_int_equal(t->last_side, TW_FROM_CLIENT);
    assert_int_equal(tw_table_stats(t->table)->live, 1);
    tl_free(t);
}

/* ---- IPv6 ---------------------------------------------------------------------------- */

static void test_ipv6_flows(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    t->client = tl_v6("2001:db8:1::2");
    t->server = tl_v6("2001:db8:2::3");
    tl_syn(t, 0, X, 100);
    tl_synack(t, 20, S, X + 1, 50000, 100);
    struct tw_flow *f6 = t->flow;
    assert_false(tw_addr_is_v4(&f6->key.client));
    assert_true(addr_eq(&f6->key.client, &t->client));
    char buf[64];
    tw_endpoint_format(&f6->key.client, f6->key.client_port, buf, sizeof buf);
    assert_string_equal(buf, "[2001:db8:1::2]:40000");
    tw_endpoint_format(&f6->key.server, f6->key.server_port, buf, sizeof buf);
    assert_string_equal(buf, "[2001:db8:2::3]:80");
    assert_true(tw_flow_attempt(f6, 0)->has_synack);
    /* The same last 4 bytes as IPv4 make another flow. */
    t->client = tl_v4(0, 0, 0, 2);
    t->server = tl_v4(0, 0, 0, 3);
    tl_syn(t, 30, X, 100);
    assert_ptr_not_equal(t->flow, f6);
    assert_true(tw_addr_is_v4(&t->flow->key.client));
    tw_endpoint_format(&t->flow->key.client, 40000, buf, sizeof buf);
    assert_string_equal(buf, "0.0.0.2:40000");
    assert_int_equal(tw_table_stats(t->table)->live, 2);
    tl_free(t);
}

/* ---- the bounded table ---------------------------------------------------------------- */

/* Opens flow k (client port 40000 + k) with a SYN at t_ms. */
static void open_flow(struct tl *t, int k, double t_ms)
{
    t->client_port = (uint16_t)(40000 + k);
    tl_syn(t, t_ms, X + (uint32_t)k, 100);
}

static void test_table_capacity(void **state)
{
    (void)state;
    struct tl *t = tl_new_limits(1 << 20, 60LL * 1000000000, 4);
    assert_int_equal(tw_table_stats(t->table)->capacity, 4);
    tl_free(t);
    t = tl_new_limits(0, 60LL * 1000000000, 0); /* a budget too small still holds one */
    assert_int_equal(tw_table_stats(t->table)->capacity, 1);
    tl_free(t);
    t = tl_new_limits(1 << 20, 60LL * 1000000000, 0);
    assert_true(tw_table_stats(t->table)->capacity > 16);
    size_t per_flow = sizeof(struct tw_flow) + (TW_FLOW_ATTEMPTS - 1) * sizeof(struct tw_attempt);
    assert_true(tw_table_stats(t->table)->capacity * per_flow <= (1 << 20));
    tl_free(t);
}

/* A full table evicts the least recently active flow, through done() with
 * TW_END_EVICTED, and counts it. */
static void test_table_eviction_order(void **state)
{
    (void)state;
    struct tl *t = tl_new_limits(1 << 20, 60LL * 1000000000, 4);
    for (int k = 0; k < 4; k++)
        open_flow(t, k, k);
    /* Flow 0 speaks again: flow 1 is now the least recently active. */
    t->client_port = 40000;
    tl_syn(t, 10, X, 100);
    const struct tw_table_stats *st = tw_table_stats(t->table);
    assert_int_equal(st->live, 4);
    assert_int_equal(st->peak, 4);
    assert_int_equal(t->n_ended, 0);

    open_flow(t, 4, 20);
    assert_int_equal(t->n_ended, 1);
    assert_int_equal(t->ended[0].why, TW_END_EVICTED);
    assert_int_equal(t->ended[0].flow.key.client_port, 40001);
    assert_true(t->ended[0].flow.is_evicted);
    assert_int_equal(t->ended[0].flow.first.isn, X + 1);
    open_flow(t, 5, 21);
    assert_int_equal(t->n_ended, 2);
    assert_int_equal(t->ended[1].flow.key.client_port, 40002);
    assert_int_equal(st->live, 4);
    assert_int_equal(st->peak, 4);
    assert_int_equal(st->evicted, 2);
    assert_int_equal(st->expired, 0);
    /* An evicted 4-tuple that comes back is a new flow. */
    open_flow(t, 1, 22);
    assert_int_equal(t->ended[2].flow.key.client_port, 40003);
    assert_int_equal(t->flow->n_attempts, 1);
    assert_int_equal(st->evicted, 3);
    tl_free(t);
}

/* Idle flows are finished least recently active first, at most a few per
 * call (EXPIRE_PER_CALL = 4 in table.c), and only when quiet for longer
 * than idle_ns. */
static void test_table_idle_expiry_bounded(void **state)
{
    (void)state;
    int64_t idle_ns = 10LL * 1000000000;
    struct tl *t = tl_new_limits(1 << 20, idle_ns, 0);
    for (int k = 0; k < 10; k++)
        open_flow(t, k, k);
    const struct tw_table_stats *st = tw_table_stats(t->table);
    int64_t now = TL_MS(5) + idle_ns; /* flows 0..4 are quiet for longer than idle_ns */
    tw_table_expire(t->table, now);
    assert_int_equal(t->n_ended, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(t->ended[k].why, TW_END_IDLE);
        assert_int_equal(t->ended[k].flow.key.client_port, 40000 + k);
        assert_false(t->ended[k].flow.is_evicted);
    }
    tw_table_expire(t->table, now);
    assert_int_equal(t->n_ended, 5);
    assert_int_equal(t->ended[4].flow.key.client_port, 40004);
    tw_table_expire(t->table, now); /* flow 5 is quiet for exactly idle_ns: kept */
    assert_int_equal(t->n_ended, 5);
    assert_int_equal(st->live, 5);
    assert_int_equal(st->expired, 5);
    assert_int_equal(st->evicted, 0);
    assert_int_equal(st->peak, 10);
    tl_free(t);
}

static void count_flow(void *ctx, const struct tw_flow *flow)
{
    (void)flow;
    (*(int *)ctx)++;
}

/* Flush finishes every flow, least recently active first, as
 * TW_END_CAPTURE, without counting them as expired or evicted. */
static void test_table_flush_order(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    for (int k = 0; k < 3; k++)
        open_flow(t, k, k);
    t->client_port = 40000;
    tl_synack(t, 10, S, X + 1, 50000, 100); /* flow 0 becomes the most recent */
    int n = 0;
    tw_table_foreach(t->table, count_flow, &n);
    assert_int_equal(n, 3);
    assert_int_equal(t->n_ended, 0);
    tw_table_flush(t->table);
    assert_int_equal(t->n_ended, 3);
    static const int order[] = {40001, 40002, 40000};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(t->ended[k].why, TW_END_CAPTURE);
        assert_int_equal(t->ended[k].flow.key.client_port, order[k]);
    }
    const struct tw_table_stats *st = tw_table_stats(t->table);
    assert_int_equal(st->live, 0);
    assert_int_equal(st->peak, 3);
    assert_int_equal(st->expired, 0);
    assert_int_equal(st->evicted, 0);
    /* The table is reusable after a flush. */
    open_flow(t, 7, 20);
    assert_int_equal(st->live, 1);
    tl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_side_syn_sender_is_client),
        cmocka_unit_test(test_side_synack_receiver_is_client),
        cmocka_unit_test(test_side_higher_port_is_client),
        cmocka_unit_test(test_side_guess_corrected_by_syn),
        cmocka_unit_test(test_retransmitted_syn_same_attempt),
        cmocka_unit_test(test_new_isn_new_attempt),
        cmocka_unit_test(test_seed_case_filing),
        cmocka_unit_test(test_challenge_ack_filed_under_newest),
        cmocka_unit_test(test_ack_data_fin_filing),
        cmocka_unit_test(test_completed_by_data),
        cmocka_unit_test(test_full_flow_retires_oldest),
        cmocka_unit_test(test_timeline_bound_reserves_slots),
        cmocka_unit_test(test_timeline_storm_keeps_first_synack),
        cmocka_unit_test(test_icmp_never_creates_flow),
        cmocka_unit_test(test_icmp_matched_by_quoted_tuple),
        cmocka_unit_test(test_ipv6_flows),
        cmocka_unit_test(test_table_capacity),
        cmocka_unit_test(test_table_eviction_order),
        cmocka_unit_test(test_table_idle_expiry_bounded),
        cmocka_unit_test(test_table_flush_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
