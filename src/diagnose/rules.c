/* The verdict rules: one function per verdict, tried in priority order.
 *
 * Each rule reads one attempt's timeline (and, where a failure spans several
 * attempts on one 4-tuple, its flow), decides whether its verdict applies,
 * and if so records the evidence frames and an explanation. The order
 * matters where signatures overlap: an attempt reset because of a lost
 * SYN+ACK also "never completed", so the specific rules come first and the
 * catch-all timeout last. Rows refer to ../shared/spec/verdicts.md. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "base/i18n.h"
#include "base/ns.h"
#include "base/seq.h"
#include "diagnose/diagnose.h"

#define NS_PER_S 1000000000LL

/* What the rules ask of a timeline, computed once per attempt. */
struct view {
    const struct tw_judge_input *in;
    const struct tw_attempt *a;
    const struct tw_attempt *later;  /* next attempt on the same 4-tuple, if any */
    const struct tw_event *first_syn, *last_syn, *first_synack, *ack;
    const struct tw_event *server_rst; /* RST/ACK from the server side answering the SYN */
    const struct tw_event *icmp;
    const struct tw_event *client_rst;
    int n_syn, n_synack;
    bool completed;
};

static const struct tw_event *find_after(const struct tw_attempt *a, enum tw_event_kind kind,
                                         const struct tw_event *after)
{
    int start = after ? (int)(after - a->events) + 1 : 0;
    for (int i = start; i < a->n_events; i++)
        if (a->events[i].kind == kind)
            return &a->events[i];
    return NULL;
}

static bool before(const struct tw_event *x, const struct tw_event *y)
{
    return x && (!y || x < y);
}

static void make_view(const struct tw_judge_input *in, struct view *v)
{
    memset(v, 0, sizeof *v);
    v->in = in;
    v->a = tw_flow_attempt(in->flow, in->index);
    if (in->index + 1 < in->flow->n_attempts)
        v->later = tw_flow_attempt(in->flow, in->index + 1);
    const struct tw_attempt *a = v->a;
    for (int i = 0; i < a->n_events; i++) {
        const struct tw_event *e = &a->events[i];
        switch ((enum tw_event_kind)e->kind) {
        case TW_EV_SYN:
            if (!v->first_syn)
                v->first_syn = e;
            v->last_syn = e;
            v->n_syn++;
            break;
        case TW_EV_SYNACK:
            if (!v->first_synack)
                v->first_synack = e;
            v->n_synack++;
            break;
        case TW_EV_ACK:
            v->ack = e;
            break;
        case TW_EV_SERVER_RST:
            if (!v->server_rst && (e->tcp_flags & TW_TCP_ACK) && tw_attempt_acks_syn(a, e->ack))
                v->server_rst = e;
            break;
        case TW_EV_ICMP_ERROR:
            if (!v->icmp)
                v->icmp = e;
            break;
        case TW_EV_CLIENT_RST:
            if (!v->client_rst)
                v->client_rst = e;
            break;
        default:
            break;
        }
    }
    v->completed = tw_attempt_completed(a);
}

static void add_evidence(struct tw_diagnosis *d, const struct tw_event *e, const char *role)
{
    if (!e || d->n_evidence >= TW_MAX_EVIDENCE)
        return;
    for (int i = 0; i < d->n_evidence; i++)
        if (d->evidence[i].frame == e->frame)
            return;
    struct tw_evidence *ev = &d->evidence[d->n_evidence++];
    memset(ev, 0, sizeof *ev);
    ev->frame = e->frame;
    ev->ts_ns = e->ts_ns;
    ev->role = role;
    ev->is_from_client = e->from_client;
    ev->has_ts = e->has_ts;
    ev->tcp_flags = e->kind == TW_EV_ICMP_ERROR ? 0 : e->tcp_flags;
    ev->icmp_type = e->icmp_type;
    ev->icmp_code = e->icmp_code;
    ev->seq = e->seq;
    ev->ack = e->ack;
    ev->payload_len = e->payload_len;
    ev->tsval = e->tsval;
    ev->tsecr = e->tsecr;
}

/* The handshake packets, as evidence: every SYN and SYN+ACK (retransmissions
 * named as such) and the client's ACK. */
static void add_handshake(struct tw_diagnosis *d, const struct view *v)
{
    bool seen_syn = false, seen_synack = false;
    for (int i = 0; i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind == TW_EV_SYN) {
            add_evidence(d, e, seen_syn ? "syn_retrans" : "syn");
            seen_syn = true;
        } else if (e->kind == TW_EV_SYNACK) {
            add_evidence(d, e, seen_synack ? "synack_retrans" : "synack");
            seen_synack = true;
        } else if (e->kind == TW_EV_ACK) {
            add_evidence(d, e, "ack");
        }
    }
}

static double secs(int64_t ns) { return (double)ns / NS_PER_S; }

/* ---- which handshake packets were lost ------------------------------------
 *
 * A retransmission means something was lost (or delayed past the
 * retransmission timer). The TCP timestamp echo (RFC 7323 section 4.3) often
 * says which: Linux answers a retransmitted SYN with a SYN+ACK that still
 * echoes the TSval of the SYN that created the request (tcp_check_req keeps
 * req->ts_recent), and a client already ESTABLISHED answers a duplicate
 * SYN+ACK with an ACK echoing the first SYN+ACK it accepted. */

static int syn_index_by_tsval(const struct view *v, uint32_t tsval)
{
    int k = 0;
    for (int i = 0; i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind != TW_EV_SYN)
            continue;
        if (e->has_ts && e->tsval == tsval)
            return k;
        k++;
    }
    return -1;
}

static int synack_index_by_tsval(const struct view *v, uint32_t tsval)
{
    int k = 0;
    for (int i = 0; i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind != TW_EV_SYNACK)
            continue;
        if (e->has_ts && e->tsval == tsval)
            return k;
        k++;
    }
    return -1;
}

static int count_between(const struct tw_attempt *a, enum tw_event_kind kind,
                         const struct tw_event *from, const struct tw_event *to)
{
    int n = 0;
    for (int i = 0; i < a->n_events; i++) {
        const struct tw_event *e = &a->events[i];
        if (e->kind == kind && (!from || e > from) && (!to || e < to))
            n++;
    }
    return n;
}

/* The handshake's round trip as seen from this vantage: SYN -> SYN+ACK plus
 * SYN+ACK -> ACK covers the whole path wherever the capture was taken. */
static int64_t handshake_rtt(const struct view *v)
{
    if (!v->ack)
        return 0;
    const struct tw_event *answered = NULL;
    for (int i = 0; i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind == TW_EV_SYNACK && e < v->ack)
            answered = e;
    }
    const struct tw_event *syn = NULL;
    for (int i = 0; answered && i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind == TW_EV_SYN && e < answered)
            syn = e;
    }
    if (!answered || !syn)
        return 0;
    return v->ack->ts_ns - syn->ts_ns;
}

/* SYN+ACKs after the client's ACK that the server sent after it could have
 * received that ACK. A SYN+ACK that follows the previous one by less than a
 * round trip left the server before the ACK could arrive: Linux sends one
 * when a retransmitted SYN comes in and another when its own timer fires,
 * and both can cross the client's ACK. Only the later ones say the ACK did
 * not arrive, or was dropped by the server. */
static int synacks_after_ack(const struct view *v)
{
    if (!v->ack)
        return 0;
    int64_t rtt = handshake_rtt(v);
    int n = 0;
    const struct tw_event *prev = NULL;
    for (int i = 0; i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind != TW_EV_SYNACK)
            continue;
        if (e > v->ack && (!prev || e->ts_ns - prev->ts_ns >= rtt))
            n++;
        prev = e;
    }
    return n;
}

/* Did anything come back from the server, in any attempt of this flow,
 * between two moments? A SYN that was answered, even by an ACK for an older
 * connection, was not lost. */
static bool server_spoke_between(const struct view *v, int64_t from_ns, int64_t to_ns)
{
    const struct tw_flow *flow = v->in->flow;
    for (int i = 0; i < flow->n_attempts; i++) {
        const struct tw_attempt *a = tw_flow_attempt(flow, i);
        for (int j = 0; j < a->n_events; j++) {
            const struct tw_event *e = &a->events[j];
            if (!e->from_client && e->kind != TW_EV_ICMP_ERROR && e->ts_ns >= from_ns &&
                e->ts_ns < to_ns)
                return true;
        }
    }
    return false;
}

/* The first SYN of this attempt that the server answered with something
 * other than a SYN+ACK (a challenge ACK, or an ACK for an older attempt),
 * after which the client sent its SYN again; NULL if none. */
static const struct tw_event *syn_answered_otherwise(const struct view *v)
{
    const struct tw_event *prev = NULL;
    for (int i = 0; i < v->a->n_events; i++) {
        const struct tw_event *e = &v->a->events[i];
        if (e->kind != TW_EV_SYN)
            continue;
        if (prev && before(prev, v->first_synack) && server_spoke_between(v, prev->ts_ns, e->ts_ns))
            return prev;
        prev = e;
    }
    return NULL;
}

static unsigned infer_lost(const struct view *v, struct tw_diagnosis *d)
{
    const struct tw_attempt *a = v->a;
    unsigned lost = 0;
    enum tw_vantage vp = v->in->vantage;
    if (v->first_synack) {
        int syns_before = count_between(a, TW_EV_SYN, NULL, v->first_synack);
        if (syns_before > 1 && vp != TW_VANTAGE_SERVER) {
            /* The SYN was retransmitted before any SYN+ACK came by. */
            int k = v->first_synack->has_ts ? syn_index_by_tsval(v, v->first_synack->tsecr) : -1;
            if (k == 0) {
                lost |= TW_LOST_SYNACK;
                d->rests_on_timestamps = true;
            } else if (k > 0 && syn_answered_otherwise(v)) {
                /* The first SYN was answered, by an ACK for another
                 * connection, and resent after the client's RST: no loss. */
            } else if (k > 0) {
                /* SYNs before #k never arrived; if the client sent yet another
                 * SYN before this SYN+ACK came, the answer to #k was lost too. */
                lost |= TW_LOST_SYN;
                if (syns_before > k + 1)
                    lost |= TW_LOST_SYNACK;
                d->rests_on_timestamps = true;
            } else {
                lost |= TW_LOST_UNKNOWN;
            }
        }
        /* A SYN arriving after the SYN+ACK was sent: the client never got it. */
        if (vp != TW_VANTAGE_CLIENT && count_between(a, TW_EV_SYN, v->first_synack, v->ack) > 0)
            lost |= TW_LOST_SYNACK;
        if (synacks_after_ack(v) > 0)
            lost |= TW_LOST_ACK;
        int synacks_before_ack = count_between(a, TW_EV_SYNACK, NULL, v->ack);
        if (synacks_before_ack > 1 && !(lost & TW_LOST_SYNACK) && vp != TW_VANTAGE_CLIENT) {
            int k = (v->ack && v->ack->has_ts) ? synack_index_by_tsval(v, v->ack->tsecr) : -1;
            if (v->ack && k == 0) {
                lost |= TW_LOST_ACK;
                d->rests_on_timestamps = true;
            } else if (k > 0) {
                lost |= TW_LOST_SYNACK;
                d->rests_on_timestamps = true;
            } else {
                lost |= TW_LOST_UNKNOWN;
            }
        }
    } else if (v->n_syn > 1) {
        lost |= TW_LOST_UNKNOWN;
    }
    if (lost & ~TW_LOST_UNKNOWN)
        lost &= ~TW_LOST_UNKNOWN;
    return lost;
}

/* ---- is the outcome known yet? ---------------------------------------------
 *
 * An attempt still open when the capture ends is judged by how long it has
 * been quiet. Retransmission gaps never more than double (RFC 6298 section
 * 5.5; Linux 6.x keeps them at 1 s for tcp_syn_linear_timeouts tries first),
 * so a sender quiet for twice its last gap (the initial RTO of 1 s, RFC 6298
 * section 2.1, when it sent once) has given up. */
/* The capture time from which outcome_known() holds if nothing else is seen;
 * INT64_MIN when it holds already whatever the time. */
static int64_t outcome_known_at(const struct view *v)
{
    if (v->later || v->client_rst)
        return INT64_MIN;
    enum tw_event_kind retrying = v->first_synack ? TW_EV_SYNACK : TW_EV_SYN;
    const struct tw_event *prev = NULL, *last = NULL;
    for (int i = 0; i < v->a->n_events; i++) {
        if (v->a->events[i].kind != retrying)
            continue;
        prev = last;
        last = &v->a->events[i];
    }
    if (!last)
        return INT64_MIN;
    int64_t gap = prev ? last->ts_ns - prev->ts_ns : NS_PER_S;
    if (gap < NS_PER_S)
        gap = NS_PER_S;
    /* quiet for more than twice the gap; a gap of a century (a damaged
     * timestamp) holds the outcome open for ever rather than overflowing */
    return tw_ns_add(v->a->last_ns, tw_ns_add(tw_ns_add(gap, gap), 1));
}

static bool outcome_known(const struct view *v)
{
    return v->in->capture_end_ns >= outcome_known_at(v);
}

/* ---- the rules -------------------------------------------------------------- */

/* spec row synack_lost_rst. The server's SYN+ACKs for ISN x never reached the
 * client; the client gave up and sent SYN(z) from the same 4-tuple. The
 * server, still in SYN-RECEIVED for x, found z outside its window and sent a
 * bare ACK with ack = x+1 (RFC 9293 section 3.10.7.4; Linux tcp_check_req);
 * the client in SYN-SENT for z found that ACK unacceptable and reset it with
 * seq = SEG.ACK = x+1 (RFC 9293 section 3.10.7.3). The attempt tracker files
 * that ACK and RST under x because their numbers name x. */
static bool match_synack_lost_rst(const struct view *v, struct tw_diagnosis *d)
{
    const struct tw_attempt *a = v->a;
    if (!a->has_syn || v->completed || !v->later)
        return false;
    const struct tw_event *stale_ack = NULL;
    for (int i = 0; i < a->n_events && !stale_ack; i++)
        if (a->events[i].kind == TW_EV_SERVER_ACK && a->events[i].ack == a->isn + 1 &&
            a->events[i].ts_ns >= v->later->first_ns)
            stale_ack = &a->events[i];
    if (!stale_ack)
        return false;
    const struct tw_event *rst = NULL;
    for (int i = 0; i < a->n_events && !rst; i++)
        if (a->events[i].kind == TW_EV_CLIENT_RST && a->events[i].seq == a->isn + 1)
            rst = &a->events[i];
    d->lost = TW_LOST_SYNACK;
    add_handshake(d, v);
    const struct tw_event *retry = v->later->n_events ? &v->later->events[0] : NULL;
    add_evidence(d, retry, "retry_syn");
    add_evidence(d, stale_ack, "stale_ack");
    add_evidence(d, rst, "client_rst");
    char synacks[96];
    if (v->n_synack)
        snprintf(synacks, sizeof synacks,
                 tw_trn(v->in->is_localized, "The server's %d SYN+ACK", "The server's %d SYN+ACKs",
                        (unsigned long)v->n_synack),
                 v->n_synack);
    else
        snprintf(synacks, sizeof synacks, tw_tr(v->in->is_localized, "The server's SYN+ACKs"));
    char rst_part[128] = "";
    if (rst)
        snprintf(
            rst_part, sizeof rst_part,
            tw_tr(v->in->is_localized, ", and the client reset it (RST seq = x+1, frame %llu)"),
            (unsigned long long)rst->frame);
    snprintf(
        d->why, sizeof d->why,
        tw_tr(v->in->is_localized,
              "%s for ISN x = %u never reached the client. The client gave up and retried from the "
              "same port with a new ISN (frame %llu); the server, still in SYN-RECEIVED for x, "
              "answered with an ACK for x (ack = x+1, frame %llu)%s."),
        synacks, a->isn, (unsigned long long)(retry ? retry->frame : 0),
        (unsigned long long)stale_ack->frame, rst_part);
    return true;
}

/* spec row late_synack_rst. A SYN+ACK for this ISN reached the client after
 * it had closed the connecting socket; with no socket, the client's kernel
 * answered with a RST whose seq is the SYN+ACK's ack field (RFC 9293
 * section 3.10.7.1, "If the state is CLOSED"). */
static bool match_late_synack_rst(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->first_synack || v->ack)
        return false;
    const struct tw_event *rst = NULL;
    for (const struct tw_event *e = v->first_synack; e && !rst;
         e = find_after(v->a, TW_EV_CLIENT_RST, e))
        if (e->kind == TW_EV_CLIENT_RST && e->seq == v->a->isn + 1)
            rst = e;
    if (!rst)
        return false;
    d->lost = infer_lost(v, d);
    add_handshake(d, v);
    add_evidence(d, rst, "client_rst");
    const struct tw_event *answered = v->first_synack;
    for (int i = 0; i < v->a->n_events; i++)
        if (v->a->events[i].kind == TW_EV_SYNACK && &v->a->events[i] < rst)
            answered = &v->a->events[i];
    double wait = v->first_syn ? secs(answered->ts_ns - v->first_syn->ts_ns) : 0;
    /* The only SYN answered within the initial RTO (RFC 6298 section 2.1:
     * 1 s), and the answer reset: the client gave up before it would even
     * have retransmitted (a half-open port scan, or a connect() abandoned
     * at once). Same verdict, other words. */
    bool is_prompt = v->n_syn == 1 && answered == v->first_synack && wait < 1.0;
    if (is_prompt) {
        snprintf(
            d->why, sizeof d->why,
            tw_tr(v->in->is_localized,
                  "The SYN+ACK (frame %llu) answered the only SYN after %.3f ms and the client "
                  "reset it at once (frame %llu): no socket was waiting for it any more, as after "
                  "a half-open port scan or a connect() abandoned that quickly."),
            (unsigned long long)answered->frame, wait * 1e3, (unsigned long long)rst->frame);
        return true;
    }
    snprintf(d->why, sizeof d->why,
             tw_tr(v->in->is_localized,
                   "A SYN+ACK (frame %llu) came %.3f s after the first SYN, when the client had "
                   "already given up on the connection; the client reset it (frame %llu). The "
                   "client's connect timeout is shorter than the time the answer took."),
             (unsigned long long)answered->frame, wait, (unsigned long long)rst->frame);
    return true;
}

/* spec row refused: a RST/ACK acknowledging the SYN (RFC 9293 section
 * 3.10.7.1: no listener; or a middlebox forging it). */
static bool match_refused(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->a->has_syn || !v->server_rst || v->completed || !before(v->server_rst, v->first_synack))
        return false;
    add_handshake(d, v);
    add_evidence(d, v->server_rst, "server_rst");
    snprintf(
        d->why, sizeof d->why,
        tw_tr(v->in->is_localized,
              "The SYN was answered by a RST (frame %llu, TTL %u): nothing listens on the port, "
              "or a firewall rejected the connection."),
        (unsigned long long)v->server_rst->frame, v->server_rst->ttl);
    return true;
}

static const char *icmp_meaning(uint8_t type, uint8_t code, bool v6)
{
    if (!v6 && type == 3) {
        switch (code) {
        case 0:
            return N_("network unreachable");
        case 1:
            return N_("host unreachable");
        case 2:
            return N_("protocol unreachable");
        case 3:
            return N_("port unreachable");
        case 4:
            return N_("fragmentation needed");
        case 9:
        case 10:
        case 13:
            return N_("administratively prohibited");
        default:
            return N_("destination unreachable");
        }
    }
    if (!v6 && type == 11)
        return N_("TTL exceeded in transit");
    if (v6 && type == 1) {
        switch (code) {
        case 0:
            return N_("no route to destination");
        case 1:
            return N_("administratively prohibited");
        case 3:
            return N_("address unreachable");
        case 4:
            return N_("port unreachable");
        case 5:
            return N_("source address failed ingress/egress policy");
        case 6:
            return N_("reject route to destination");
        default:
            return N_("destination unreachable");
        }
    }
    if (v6 && type == 2)
        return N_("packet too big");
    if (v6 && type == 3)
        return N_("hop limit exceeded in transit");
    return N_("error");
}

/* spec row icmp_error: an ICMP or ICMPv6 error quoting the SYN (RFC 792,
 * RFC 4443 section 3; RFC 5927 for how TCP treats them in SYN-SENT). */
static bool match_icmp_error(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->a->has_syn || !v->icmp || v->completed || !before(v->icmp, v->first_synack))
        return false;
    add_handshake(d, v);
    add_evidence(d, v->icmp, "icmp_error");
    bool v6 = !tw_addr_is_v4(&v->in->flow->key.client);
    snprintf(d->why, sizeof d->why,
             tw_tr(v->in->is_localized,
                   "The SYN was answered by an ICMP%s error (frame %llu): %s (type %u, code %u)."),
             v6 ? "v6" : "", (unsigned long long)v->icmp->frame,
             tw_tr(v->in->is_localized, icmp_meaning(v->icmp->icmp_type, v->icmp->icmp_code, v6)),
             v->icmp->icmp_type, v->icmp->icmp_code);
    return true;
}

/* An earlier attempt on the flow whose client sequence numbers hold ack:
 * its ISN+1 (a handshake the server had not finished) or up to 16 MiB of
 * data after it (a connection the server still held established). */
static const struct tw_attempt *held_connection(const struct view *v, uint32_t ack)
{
    const struct tw_flow *flow = v->in->flow;
    for (int i = v->in->index - 1; i >= 0; i--) {
        const struct tw_attempt *p = tw_flow_attempt(flow, i);
        if (p->has_syn && tw_seq_in(ack, p->isn + 1, 1u << 24))
            return p;
    }
    return NULL;
}

/* spec row port_reuse_challenge: the server answered the SYN with a bare ACK
 * that acknowledges another connection on the same 4-tuple (RFC 5961
 * section 4: a SYN on a synchronized connection gets a challenge ACK). */
static bool match_port_reuse_challenge(const struct view *v, struct tw_diagnosis *d)
{
    const struct tw_attempt *a = v->a;
    const struct tw_event *challenge = NULL;
    for (int i = 0; i < a->n_events && !challenge; i++) {
        const struct tw_event *e = &a->events[i];
        if (e->kind == TW_EV_SERVER_ACK && !tw_attempt_acks_syn(a, e->ack) &&
            before(e, v->first_synack) && v->first_syn && e > v->first_syn &&
            !tw_attempt_acks_client_data(a, e->ack))
            challenge = e;
    }
    if (!challenge)
        return false;
    const struct tw_event *rst = NULL;
    for (int i = 0; i < a->n_events && !rst; i++)
        if (a->events[i].kind == TW_EV_CLIENT_RST && &a->events[i] > challenge &&
            a->events[i].seq == challenge->ack)
            rst = &a->events[i];
    add_handshake(d, v);
    add_evidence(d, challenge, "challenge_ack");
    add_evidence(d, rst, "client_rst");
    const struct tw_attempt *held = held_connection(v, challenge->ack);
    bool is_localized = v->in->is_localized;
    int n;
    if (held)
        n = snprintf(d->why, sizeof d->why,
                     tw_tr(is_localized,
                           "The server still held the earlier connection on this 4-tuple (ISN %u, "
                           "frame %llu) and answered the SYN with a challenge ACK (frame %llu, ack = "
                           "%u, in that connection's sequence numbers, not ISN+1 = %u)"),
                     held->isn, (unsigned long long)held->first_frame,
                     (unsigned long long)challenge->frame, challenge->ack, a->isn + 1);
    else
        n = snprintf(d->why, sizeof d->why,
                     tw_tr(is_localized,
                           "The SYN was answered with a bare ACK (frame %llu, ack = %u, not ISN+1 = "
                           "%u) that acknowledges no earlier connection in this capture: the server "
                           "held a connection on this 4-tuple older than the capture, or a "
                           "SYN-authentication device in front of it (DDoS protection) tested the "
                           "client"),
                     (unsigned long long)challenge->frame, challenge->ack, a->isn + 1);
    /* One host answers with one initial TTL over one path: another TTL
     * than its SYN+ACK's means another sender. */
    if (n > 0 && (size_t)n < sizeof d->why && v->first_synack && challenge->ttl &&
        v->first_synack->ttl && challenge->ttl != v->first_synack->ttl)
        n += snprintf(d->why + n, sizeof d->why - (size_t)n,
                      tw_tr(is_localized, "; its TTL (%u) is not that of the server's SYN+ACK "
                                          "(%u): another box sent it"),
                      challenge->ttl, v->first_synack->ttl);
    if (n > 0 && (size_t)n < sizeof d->why)
        snprintf(d->why + n, sizeof d->why - (size_t)n, "%s%s",
                 !rst    ? ""
                 : held ? tw_tr(is_localized, "; the client reset that connection")
                        : tw_tr(is_localized, "; the client answered it with a RST"),
                 v->completed ? tw_tr(is_localized, " and the retried SYN then succeeded.") : ".");
    return true;
}

/* spec row accept_queue_full: the server's SYN+ACK retransmissions went on
 * after the client's ACK. Linux drops that ACK when the listener's accept
 * queue is full (tcp_check_req -> listen_overflow, unless tcp_abort_on_overflow)
 * and its SYN+ACK timer keeps firing. Seen at the server, one SYN+ACK after a
 * received ACK proves it; elsewhere the ACK might have been lost on the way,
 * which one re-sent ACK would repair, so it takes two. */
static bool match_accept_queue_full(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->ack)
        return false;
    int after = synacks_after_ack(v);
    int needed = v->in->vantage == TW_VANTAGE_SERVER ? 1 : 2;
    if (after < needed)
        return false;
    add_handshake(d, v);
    snprintf(d->why, sizeof d->why,
             tw_trn(v->in->is_localized,
                    "The client's ACK (frame %llu) %s, yet the server sent %d more SYN+ACK: it "
                    "dropped the ACK because the listener's accept queue was full (the application "
                    "does not accept() fast enough, or its backlog is too small).",
                    "The client's ACK (frame %llu) %s, yet the server sent %d more SYN+ACKs: it "
                    "dropped the ACK because the listener's accept queue was full (the application "
                    "does not accept() fast enough, or its backlog is too small).",
                    (unsigned long)after),
             (unsigned long long)v->ack->frame,
             v->in->vantage == TW_VANTAGE_SERVER ? tw_tr(v->in->is_localized, "reached the server")
                                                 : tw_tr(v->in->is_localized, "was sent"),
             after);
    return true;
}

static void describe_lost(char *buf, size_t size, unsigned lost, bool on_ts, bool is_local)
{
    const char *what = lost & TW_LOST_SYN      ? tw_tr(is_local, "a SYN was lost")
                       : lost & TW_LOST_SYNACK ? tw_tr(is_local, "a SYN+ACK was lost")
                       : lost & TW_LOST_ACK
                           ? tw_tr(is_local, "the client's ACK was lost")
                           : tw_tr(is_local, "a handshake packet was lost or delayed");
    snprintf(buf, size, "%s%s", what,
             on_ts ? tw_tr(is_local, " (proven by the TCP timestamp echo)") : "");
}

/* spec rows ok and ok_after_retrans: the handshake completed. */
static bool match_ok(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->a->has_syn || !v->completed)
        return false;
    add_handshake(d, v);
    bool retrans = v->n_syn > 1 || v->n_synack > 1;
    if (!retrans) {
        snprintf(d->why, sizeof d->why, tw_tr(v->in->is_localized, "The handshake completed."));
        return true;
    }
    d->verdict = TW_VERDICT_OK_AFTER_RETRANS;
    d->lost = infer_lost(v, d);
    const struct tw_event *met_stale = d->lost ? NULL : syn_answered_otherwise(v);
    if (met_stale) {
        snprintf(
            d->why, sizeof d->why,
            tw_tr(v->in->is_localized,
                  "The first SYN (frame %llu) met a connection the server still held on this "
                  "4-tuple: the server answered with an ACK for that connection, the client reset "
                  "it and sent the SYN again; the handshake then completed (%d SYNs)."),
            (unsigned long long)met_stale->frame, v->n_syn);
        return true;
    }
    char lost[128];
    describe_lost(lost, sizeof lost, d->lost, d->rests_on_timestamps, v->in->is_localized);
    /* Until the last handshake packet: with the ACK lost, the server only
     * completes on the retransmitted SYN+ACK's answer. */
    int64_t done_ns = v->ack ? v->ack->ts_ns : v->a->last_ns;
    for (int i = 0; i < v->a->n_events; i++)
        if (v->a->events[i].kind == TW_EV_SYNACK && v->a->events[i].ts_ns > done_ns)
            done_ns = v->a->events[i].ts_ns;
    double stall = v->first_syn ? secs(done_ns - v->first_syn->ts_ns) : 0;
    snprintf(
        d->why, sizeof d->why,
        tw_tr(v->in->is_localized,
              "The handshake completed after %d SYN%s and %d SYN+ACK%s: %s, which cost %.3f s."),
        v->n_syn, v->n_syn == 1 ? "" : "s", v->n_synack, v->n_synack == 1 ? "" : "s", lost, stall);
    return true;
}

/* spec row server_ignored_syn: seen at the server, SYNs arrived and nothing
 * was sent back (listen queue full, SYN queue full without cookies, or a host
 * firewall behind the capture point). From elsewhere this is a timeout. */
static bool match_server_ignored_syn(const struct view *v, struct tw_diagnosis *d)
{
    if (v->in->vantage != TW_VANTAGE_SERVER || !v->first_syn || v->first_synack ||
        v->server_rst || v->icmp || !outcome_known(v))
        return false;
    add_handshake(d, v);
    snprintf(d->why, sizeof d->why,
             tw_trn(v->in->is_localized,
                    "%d SYN reached the server, which never answered: its listen queue was full, "
                    "or a firewall on the host dropped it.",
                    "%d SYNs reached the server, which never answered: its listen queue was full, "
                    "or a firewall on the host dropped them.",
                    (unsigned long)v->n_syn),
             v->n_syn);
    return true;
}

/* spec row timeout: never completed, nothing rejected it, and the sender
 * stopped retransmitting (or the capture shows a later attempt). */
static bool match_timeout(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->first_syn || v->completed || !outcome_known(v))
        return false;
    add_handshake(d, v);
    d->lost = infer_lost(v, d);
    if (!d->lost)
        d->lost = TW_LOST_UNKNOWN;
    double span = secs(v->a->last_ns - v->first_syn->ts_ns);
    if (v->n_synack)
        snprintf(d->why, sizeof d->why,
                 tw_tr(v->in->is_localized,
                       "The server answered %d time%s but the client never completed the handshake "
                       "(%d SYN%s over %.3f s)."),
                 v->n_synack, v->n_synack == 1 ? "" : "s", v->n_syn, v->n_syn == 1 ? "" : "s",
                 span);
    else if (v->n_syn == 1)
        snprintf(d->why, sizeof d->why, "%s",
                 tw_tr(v->in->is_localized,
                       "The SYN was never answered, and nothing rejected it."));
    else
        snprintf(d->why, sizeof d->why,
                 tw_tr(v->in->is_localized,
                       "%d SYNs over %.3f s were never answered, and nothing rejected them."),
                 v->n_syn, span);
    return true;
}

typedef bool (*rule_fn)(const struct view *v, struct tw_diagnosis *d);

/* First match wins. */
static const struct {
    enum tw_verdict verdict;
    rule_fn match;
} rules[] = {
    {TW_VERDICT_SYNACK_LOST_RST, match_synack_lost_rst},
    {TW_VERDICT_LATE_SYNACK_RST, match_late_synack_rst},
    {TW_VERDICT_REFUSED, match_refused},
    {TW_VERDICT_ICMP_ERROR, match_icmp_error},
    {TW_VERDICT_PORT_REUSE_CHALLENGE, match_port_reuse_challenge},
    {TW_VERDICT_ACCEPT_QUEUE_FULL, match_accept_queue_full},
    {TW_VERDICT_OK, match_ok}, /* or ok_after_retrans */
    {TW_VERDICT_SERVER_IGNORED_SYN, match_server_ignored_syn},
    {TW_VERDICT_TIMEOUT, match_timeout},
};

/* Linux puts an MSS option in every SYN it sends (tcp_syn_options():
 * always, as every lab capture shows), and RFC 9293 section 3.7.1 asks for
 * one whenever the MSS is not the 536-byte default: a SYN without it was
 * made by hand (hping, scapy, a flood or scan tool, a test), and its source
 * address may be forged. Said with any verdict; it changes none. */
static void note_syn_without_mss(const struct view *v, struct tw_diagnosis *d)
{
    if (!v->a->is_syn_without_mss) /* set only from a SYN (attempt.c) */
        return;
    size_t n = strlen(d->why);
    snprintf(d->why + n, sizeof d->why - n, "%s%s", n ? " " : "",
             tw_tr(v->in->is_localized,
                   "The client's SYN carries no MSS option, which Linux always sends and RFC "
                   "9293 asks for: a SYN made by hand (a scanner, a flood tool, a test), whose "
                   "source may be forged."));
}

/* Forgets what a rule that did not match may have written. The fields
 * before the evidence (their padding too: records are written to files
 * whole up to there) and the explanation's first byte only: nothing reads
 * evidence past n_evidence (add_evidence clears each entry it adds) or why
 * past its end, and clearing all 1.6 KB before and after every rule tried
 * was 11 KB of writes for each attempt judged ok, the seventh rule. */
static void clear_diagnosis(struct tw_diagnosis *d)
{
    memset(d, 0, offsetof(struct tw_diagnosis, evidence));
    d->why[0] = '\0';
}

void tw_diagnose_attempt(const struct tw_judge_input *in, struct tw_diagnosis *out)
{
    clear_diagnosis(out);
    struct view v;
    make_view(in, &v);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        out->verdict = rules[i].verdict;
        if (rules[i].match(&v, out)) {
            note_syn_without_mss(&v, out);
            return;
        }
        clear_diagnosis(out);
    }
    out->verdict = TW_VERDICT_UNKNOWN;
    add_handshake(out, &v);
    if (!v.a->has_syn)
        snprintf(
            out->why, sizeof out->why,
            tw_tr(
                in->is_localized,
                "The capture does not hold this connection's SYN (it began before the capture)."));
    else
        snprintf(
            out->why, sizeof out->why,
            tw_tr(in->is_localized,
                  "The handshake was still in progress when the capture ended (%.3f s after its "
                  "last packet)."),
            secs(in->capture_end_ns - v.a->last_ns));
    note_syn_without_mss(&v, out);
}

/* When more packets can no longer change the verdict (diagnose.h). A reset,
 * an ICMP error, a stale ACK and a full accept queue are proof as soon as
 * they are seen; a timeout is judged only once outcome_known() holds. A
 * completed handshake waits TW_SETTLE_AFTER_HANDSHAKE_NS after its last
 * SYN, SYN+ACK or ACK: SYN+ACKs repeated after the ACK turn ok into
 * ok_after_retrans or accept_queue_full (Linux repeats them 1 s and 3 s
 * after the first). In progress: until outcome_known() would hold. */
int64_t tw_diagnose_settled_at(const struct tw_judge_input *in, const struct tw_diagnosis *d)
{
    struct view v;
    make_view(in, &v);
    switch (d->verdict) {
    case TW_VERDICT_OK:
    case TW_VERDICT_OK_AFTER_RETRANS:
    case TW_VERDICT_PORT_REUSE_CHALLENGE: {
        int64_t last_ns = v.a->first_ns;
        for (int i = 0; i < v.a->n_events; i++) {
            enum tw_event_kind k = (enum tw_event_kind)v.a->events[i].kind;
            if ((k == TW_EV_SYN || k == TW_EV_SYNACK || k == TW_EV_ACK) &&
                v.a->events[i].ts_ns > last_ns)
                last_ns = v.a->events[i].ts_ns;
        }
        return last_ns + TW_SETTLE_AFTER_HANDSHAKE_NS;
    }
    case TW_VERDICT_UNKNOWN:
        /* Without its SYN an attempt stays unknown whatever comes. */
        return v.a->has_syn ? outcome_known_at(&v) : INT64_MIN;
    default:
        return INT64_MIN;
    }
}
