/* Explaining a RST: who sent it, why, and whether its receiver accepts it.
 *
 * Who: the side the RST claims to come from, unless something says a box in
 * the path forged it: a TTL unlike that side's other packets (in this
 * connection, or its other connections), or an answer to a SYN that came
 * back faster than any round trip to that host.
 *
 * Why: the first signature that matches, each tied to how a TCP sends
 * resets (RFC 9293 section 3.10.7 and Linux's tcp_v4_send_reset /
 * tcp_send_active_reset). Whether it is accepted: RFC 5961 section 3.2. */
#include "diagnose/rst.h"

#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "base/ns.h"
#include "base/seq.h"

static const char *const cause_names[] = {
#define X(id, name, help) name,
    TW_RST_CAUSE_LIST(X)
#undef X
};
static const char *const cause_help[] = {
#define X(id, name, help) help,
    TW_RST_CAUSE_LIST(X)
#undef X
};
static const char *const sender_names[] = {
#define X(id, name) name,
    TW_RST_SENDER_LIST(X)
#undef X
};

const char *tw_rst_cause_name(enum tw_rst_cause c)
{
    return (unsigned)c < TW_RST_CAUSE_COUNT ? cause_names[c] : "unknown";
}

const char *tw_rst_cause_help(enum tw_rst_cause c)
{
    return (unsigned)c < TW_RST_CAUSE_COUNT ? cause_help[c] : "";
}

const char *tw_rst_sender_name(enum tw_rst_sender s)
{
    return (unsigned)s < TW_SENDER_COUNT ? sender_names[s] : "unknown";
}

static const char *side_word(enum tw_side s, bool is_localized)
{
    return tw_tr(is_localized, s == TW_FROM_CLIENT ? N_("client") : N_("server"));
}

/* ---- who ------------------------------------------------------------------- */

static void format_l2(const uint8_t *a, uint8_t len, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (uint8_t i = 0; i < len && n + 3 < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%02x", i ? ":" : "", a[i]);
}

static bool forged(const struct tw_rst_input *in, char *why, size_t size)
{
    const struct tw_side_state *s = &in->flow->sides[in->side];
    uint8_t ttl = in->pkt->ttl;
    if (s->ttl && s->ttl != ttl) {
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "TTL %u, while the %s's other packets in this connection carry TTL %u"),
                 ttl, side_word(in->side, in->is_localized), s->ttl);
        return true;
    }
    /* The same hop delivers all of a side's packets to this capture point;
     * a RST from another link-layer address was put on the wire elsewhere. */
    const struct tw_packet *p = in->pkt;
    if (s->l2_src_len && p->has_l2_src && p->l2_src_len == s->l2_src_len &&
        memcmp(p->l2_src, s->l2_src, s->l2_src_len) != 0) {
        char mine[24], theirs[24];
        format_l2(p->l2_src, p->l2_src_len, mine, sizeof mine);
        format_l2(s->l2_src, s->l2_src_len, theirs, sizeof theirs);
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "it came from link-layer address %s, while the %s's other packets in this "
                       "connection come from %s"),
                 mine, side_word(in->side, in->is_localized), theirs);
        return true;
    }
    const struct tw_host *h = tw_hosts_find(in->hosts, &in->pkt->src);
    if (!s->ttl && h && h->ttl && h->ttl != ttl) {
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "TTL %u, while the %s's packets in its other connections carry TTL %u"),
                 ttl, side_word(in->side, in->is_localized), h->ttl);
        return true;
    }
    /* An answer to the client's SYN cannot come back faster than a round
     * trip to the server; one that does came from closer. Only when no TTL
     * could be compared: a matching TTL is the better evidence (and at the
     * server itself the "round trip" is just its own answer time). */
    const struct tw_side_state *c = &in->flow->sides[TW_FROM_CLIENT];
    bool ttl_agrees = (s->ttl && s->ttl == ttl) || (!s->ttl && h && h->ttl == ttl);
    if (!ttl_agrees && in->side == TW_FROM_SERVER && h && h->min_rtt_ns > 0 &&
        (c->last_flags & (TW_TCP_SYN | TW_TCP_ACK)) == TW_TCP_SYN) {
        int64_t dt = in->pkt->ts_ns - c->last_ns;
        if (dt >= 0 && dt * 2 < h->min_rtt_ns) {
            snprintf(why, size,
                     tw_tr(in->is_localized, "answered the SYN in %.3f ms, faster than the %.3f ms "
                                             "round trip to the server"),
                     (double)dt / 1e6, (double)h->min_rtt_ns / 1e6);
            return true;
        }
    }
    return false;
}

/* ---- why ------------------------------------------------------------------- */

static const struct tw_event *server_ack_with(const struct tw_attempt *a, uint32_t ack)
{
    const struct tw_event *found = NULL;
    for (int i = 0; i < a->n_events; i++)
        if (a->events[i].kind == TW_EV_SERVER_ACK && a->events[i].ack == ack)
            found = &a->events[i];
    return found;
}

/* A RST the same side sent earlier in this attempt: after it, that side
 * has no connection, and answers what still comes as such. */
static const struct tw_event *earlier_own_rst(const struct tw_rst_input *in)
{
    enum tw_event_kind kind = in->side == TW_FROM_CLIENT ? TW_EV_CLIENT_RST : TW_EV_SERVER_RST;
    for (int i = 0; i < in->attempt->n_events; i++) {
        const struct tw_event *e = &in->attempt->events[i];
        if (e->kind == kind && e->frame < in->pkt->frame)
            return e;
    }
    return NULL;
}

/* The RST answers the other side's last segment as a host without the
 * connection does (RFC 9293 section 3.10.7.1: <SEQ=SEG.ACK><CTL=RST>). */
static enum tw_rst_cause explain_no_connection(const struct tw_rst_input *in, char *why,
                                               size_t size, const char *s_word,
                                               const char *r_word)
{
    const struct tw_segment *rst = &in->pkt->tcp;
    const struct tw_side_state *S = &in->flow->sides[in->side];
    const struct tw_side_state *R = &in->flow->sides[!in->side];
    const struct tw_event *own = earlier_own_rst(in);
    if (own)
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "Its seq = %u equals the ack field of the %s's segment in frame %llu, "
                       "as a host without the connection answers: the %s had reset the "
                       "connection itself (frame %llu)"),
                 rst->seq, r_word, (unsigned long long)R->last_frame, s_word,
                 (unsigned long long)own->frame);
    else if (S->has_seq)
        snprintf(
            why, size,
            tw_tr(in->is_localized,
                  "Its seq = %u equals the ack field of the %s's segment in frame %llu, as a "
                  "host without the connection answers; the %s took part in it earlier, so it "
                  "lost "
                  "it (restart, timeout, or a NAT entry expired)"),
            rst->seq, r_word, (unsigned long long)R->last_frame, s_word);
    else
        snprintf(
            why, size,
            tw_tr(in->is_localized,
                  "Its seq = %u equals the ack field of the %s's segment in frame %llu, as a "
                  "host without the connection answers"),
            rst->seq, r_word, (unsigned long long)R->last_frame);
    return TW_RST_NO_CONNECTION;
}

static enum tw_rst_cause find_cause(const struct tw_rst_input *in, char *why, size_t size)
{
    const struct tw_attempt *a = in->attempt;
    const struct tw_segment *rst = &in->pkt->tcp;
    const struct tw_side_state *S = &in->flow->sides[in->side];
    const struct tw_side_state *R = &in->flow->sides[!in->side];
    bool has_ack = rst->flags & TW_TCP_ACK;
    const char *s_word = side_word(in->side, in->is_localized),
               *r_word = side_word(!in->side, in->is_localized);

    /* The same shape from a server whose previous connection on this
     * 4-tuple is still closing (it sent its FIN): Linux's timewait socket in
     * its FIN-WAIT-2 substate answers an in-window SYN with this RST
     * (tcp_timewait_state_process -> TCP_TW_RST). Only the history of the
     * 4-tuple tells it from a closed port. */
    bool answers_syn = in->side == TW_FROM_SERVER && a->has_syn && !a->has_synack && has_ack &&
                       tw_attempt_acks_syn(a, rst->ack);
    if (answers_syn && a != tw_flow_attempt(in->flow, 0) && S->sent_fin) {
        snprintf(
            why, size,
            tw_tr(in->is_localized,
                  "It answers the SYN (ack = ISN+1 = %u), but the server had just closed an "
                  "earlier connection on this same 4-tuple (it sent FIN): that connection, still "
                  "in TIME-WAIT (FIN-WAIT-2), refused the new SYN"),
            rst->ack);
        return TW_RST_TIME_WAIT;
    }
    /* RFC 9293 section 3.10.7.1: a SYN to a port with no listener gets
     * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
    if (answers_syn) {
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "It answers the SYN (ack = ISN+1 = %u): nothing listens on port %u"),
                 rst->ack, in->flow->key.server_port);
        return TW_RST_NO_LISTENER;
    }
    if (in->side == TW_FROM_CLIENT) {
        /* RFC 9293 section 3.10.7.3: in SYN-SENT, an ACK that does not
         * acknowledge our SYN gets <SEQ=SEG.ACK><CTL=RST>. */
        const struct tw_event *ack = server_ack_with(a, rst->seq);
        if (ack && !tw_attempt_acks_client_data(a, ack->ack)) {
            bool older = a != tw_flow_attempt(in->flow, in->flow->n_attempts - 1);
            if (older && ack->ack == a->isn + 1 && !tw_attempt_completed(a)) {
                snprintf(
                    why, size,
                    tw_tr(in->is_localized,
                          "Its seq = x+1 = %u equals the ack field of the server's ACK in frame "
                          "%llu, "
                          "which acknowledges the older attempt x = %u the server still held in "
                          "SYN-RECEIVED"),
                    rst->seq, (unsigned long long)ack->frame, a->isn);
                return TW_RST_STALE_ACK;
            }
            snprintf(why, size,
                     tw_tr(in->is_localized,
                           "Its seq = %u equals the ack field of the server's challenge ACK in "
                           "frame %llu, "
                           "which acknowledges a connection the client no longer has"),
                     rst->seq, (unsigned long long)ack->frame);
            return TW_RST_CHALLENGE_ACK;
        }
        /* A SYN+ACK for a connection the client closed while connecting. */
        if (a->has_synack && !tw_attempt_has_event(a, TW_EV_ACK) && rst->seq == a->isn + 1 &&
            (R->last_flags & (TW_TCP_SYN | TW_TCP_ACK)) == (TW_TCP_SYN | TW_TCP_ACK)) {
            snprintf(
                why, size,
                tw_tr(in->is_localized,
                      "Its seq = %u equals the ack field of the SYN+ACK in frame %llu, which came "
                      "after the client had given up connecting"),
                rst->seq, (unsigned long long)R->last_frame);
            return TW_RST_LATE_SYNACK;
        }
    }
    /* Linux's keepalive timer sends a RST when its probes go unanswered,
     * one probe interval after the last probe. Seen at the far end the
     * answers may be in the capture (they were lost on the way back), so
     * the timing says it as well as the silence. */
    int64_t since_probe = in->pkt->ts_ns - S->last_probe_ns;
    /* within one and a half probe intervals; saturating (base/ns.h): a
     * damaged timestamp can make the interval a century */
    bool on_probe_timer =
        S->n_probes_since_data > 0 && S->probe_gap_ns > 0 && since_probe >= 0 &&
        tw_ns_add(since_probe, since_probe) <=
            tw_ns_add(S->probe_gap_ns, tw_ns_add(S->probe_gap_ns, S->probe_gap_ns));
    if (S->n_probes > 0 || on_probe_timer) {
        unsigned n = S->n_probes > 0 ? S->n_probes : S->n_probes_since_data;
        snprintf(why, size,
                 tw_trn(in->is_localized,
                        "It follows %u %skeepalive probe from the %s, one probe interval "
                        "after the last",
                        "It follows %u %skeepalive probes from the %s, one probe interval "
                        "after the last",
                        n),
                 n, S->n_probes > 0 ? tw_tr(in->is_localized, "unanswered ") : "", s_word);
        return TW_RST_KEEPALIVE_TIMEOUT;
    }
    /* After its own RST the sender has no connection: what it answers
     * then is the answer of a host without one, whatever came before. */
    bool is_no_connection_answer = !has_ack && R->has_ack && rst->seq == R->last_ack;
    if (is_no_connection_answer && earlier_own_rst(in))
        return explain_no_connection(in, why, size, s_word, r_word);
    /* Both FINs exchanged: the sender is in TIME-WAIT or gone. */
    if (S->sent_fin && R->sent_fin && S->has_ack && S->last_ack == R->snd_nxt) {
        snprintf(
            why, size,
            tw_tr(in->is_localized,
                  "Both sides had closed (FINs exchanged); the %s's segment in frame %llu came "
                  "for a connection the %s had already closed"),
            r_word, (unsigned long long)R->last_frame, s_word);
        return TW_RST_TIME_WAIT;
    }
    /* Data for a socket the application closed (an orphan in FIN-WAIT)
     * is answered with a RST (RFC 1122 section 4.2.2.13: data received
     * after CLOSE; Linux tcp_rcv_state_process, "data after close"). */
    if (S->sent_fin && R->last_payload > 0) {
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "The %s had closed (sent FIN) and the %s kept sending data (frame %llu)"),
                 s_word, r_word, (unsigned long long)R->last_frame);
        return TW_RST_DATA_AFTER_CLOSE;
    }
    /* The same when the data came before the other side's last segment
     * (a bare ACK): the sender's FIN had not acknowledged it, so it arrived
     * after the close. */
    uint32_t r_data_end = R->snd_nxt - (R->sent_fin ? 1u : 0u);
    if (S->sent_fin && R->sent_data && S->has_ack && tw_seq_lt(S->last_ack, r_data_end)) {
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "The %s had closed (sent FIN) before it acknowledged the %s's data (its "
                       "last ack %u, the data running to %u): data after the close"),
                 s_word, r_word, S->last_ack, r_data_end);
        return TW_RST_DATA_AFTER_CLOSE;
    }
    /* An active reset continues the sender's own sequence space: RFC 9293
     * section 3.10.4's ABORT sends <SEQ=SND.NXT><CTL=RST> (Windows does,
     * without ACK; Linux's tcp_send_active_reset adds the ACK). Without ACK
     * it is also how a host without the connection answers a segment
     * (below); when the receiver's last ack equals it, that reading is kept. */
    if (S->has_seq && rst->seq == S->snd_nxt && !is_no_connection_answer) {
        snprintf(
            why, size,
            tw_tr(in->is_localized,
                  "Its seq = %u continues the %s's own data (SND.NXT) on a connection it held: the "
                  "application aborted it (SO_LINGER 0, close with unread data, or the process "
                  "died)"),
            rst->seq, s_word);
        return TW_RST_APP_ABORT;
    }
    /* RFC 9293 section 3.10.7.1: a segment for no connection, carrying an
     * ACK, gets <SEQ=SEG.ACK><CTL=RST>. */
    if (is_no_connection_answer)
        return explain_no_connection(in, why, size, s_word, r_word);
    /* Behind data the sender had already sent, with the receiver's window
     * reaching past it: an endpoint's reset starts at SND.NXT (above;
     * Linux's tcp_acceptable_seq takes the window's end only when SND.NXT
     * lies beyond it), so this one was made from an older packet. */
    if (S->has_seq && tw_seq_lt(rst->seq, S->snd_nxt)) {
        uint32_t behind = S->snd_nxt - rst->seq;
        bool is_window_open =
            R->has_ack && R->window_bytes && tw_seq_le(S->snd_nxt, R->last_ack + R->window_bytes);
        snprintf(why, size,
                 is_window_open
                     ? tw_tr(in->is_localized,
                             "Its seq = %u%s matches no known signature: it lies %u bytes behind "
                             "data the %s had already sent (SND.NXT = %u), where no endpoint's "
                             "own reset starts; it was made from an older packet, by a box in "
                             "the path or a tool")
                     : tw_tr(in->is_localized,
                             "Its seq = %u%s matches no known signature: it lies %u bytes behind "
                             "data the %s had already sent (SND.NXT = %u)"),
                 rst->seq, has_ack ? tw_tr(in->is_localized, " with ACK") : "", behind, s_word,
                 S->snd_nxt);
        return TW_RST_UNKNOWN;
    }
    snprintf(why, size, tw_tr(in->is_localized, "Its seq = %u%s matches no known signature"),
             rst->seq, has_ack ? tw_tr(in->is_localized, " with ACK") : "");
    return TW_RST_UNKNOWN;
}

/* ---- accepted? --------------------------------------------------------------- */

static enum tw_accepted judge_acceptance(const struct tw_rst_input *in, char *why, size_t size)
{
    const struct tw_attempt *a = in->attempt;
    const struct tw_segment *rst = &in->pkt->tcp;
    const struct tw_side_state *S = &in->flow->sides[in->side];
    const struct tw_side_state *R = &in->flow->sides[!in->side];
    /* The client in SYN-SENT accepts a RST only if it acknowledges the SYN
     * (RFC 9293 section 3.10.7.3). */
    if (in->side == TW_FROM_SERVER && a->has_syn && !a->has_synack && !tw_attempt_completed(a)) {
        if ((rst->flags & TW_TCP_ACK) && tw_attempt_acks_syn(a, rst->ack)) {
            snprintf(why, size,
                     tw_tr(in->is_localized,
                           "the client in SYN-SENT accepts it: it acknowledges the SYN"));
            return TW_ACCEPTED_YES;
        }
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "the client in SYN-SENT drops it: it does not acknowledge the SYN"));
        return TW_ACCEPTED_NO;
    }
    /* Otherwise only a RST at exactly RCV.NXT resets the connection (RFC
     * 5961 section 3.2). The receiver's RCV.NXT is the ack field it sent
     * last, or further on when the sender sent more since. */
    bool known = R->has_ack || S->has_seq;
    if (!known) {
        snprintf(why, size, tw_tr(in->is_localized, "the %s's receive state is not in the capture"),
                 side_word(!in->side, in->is_localized));
        return TW_ACCEPTED_UNKNOWN;
    }
    if ((S->has_seq && rst->seq == S->snd_nxt) || (R->has_ack && rst->seq == R->last_ack)) {
        snprintf(
            why, size,
            tw_tr(in->is_localized, "seq = RCV.NXT of the %s: accepted (RFC 5961 section 3.2)"),
            side_word(!in->side, in->is_localized));
        return TW_ACCEPTED_YES;
    }
    /* Linux also takes seq = RCV.NXT - 1 once the sender's FIN is in
     * (tcp_reset_check: CLOSE-WAIT, LAST-ACK, CLOSING). */
    if (S->sent_fin && R->has_ack && rst->seq == R->last_ack - 1) {
        snprintf(why, size,
                 tw_tr(in->is_localized, "seq = RCV.NXT - 1 after the %s's FIN: Linux accepts it"),
                 side_word(in->side, in->is_localized));
        return TW_ACCEPTED_YES;
    }
    uint32_t base = R->has_ack ? R->last_ack : S->snd_nxt;
    uint32_t off = rst->seq - base;
    if (R->window_bytes && off < R->window_bytes) {
        snprintf(why, size,
                 tw_tr(in->is_localized,
                       "seq is %u bytes past RCV.NXT, inside the window: the %s answers with a "
                       "challenge ACK and keeps the connection (RFC 5961 section 3.2)"),
                 off, side_word(!in->side, in->is_localized));
        return TW_ACCEPTED_NO;
    }
    snprintf(why, size,
             tw_tr(in->is_localized,
                   "seq is outside the %s's receive window: ignored (RFC 5961 section 3.2)"),
             side_word(!in->side, in->is_localized));
    return TW_ACCEPTED_NO;
}

void tw_rst_explain(const struct tw_rst_input *in, struct tw_rst_result *out)
{
    memset(out, 0, sizeof *out);
    char who[200] = "", cause[300] = "", accept[200] = "";
    if (forged(in, who, sizeof who)) {
        out->sender = TW_SENDER_MIDDLE;
        out->cause = TW_RST_MIDDLEBOX;
        (void)find_cause(in, cause, sizeof cause);
    } else {
        out->sender = in->side == TW_FROM_CLIENT ? TW_SENDER_CLIENT : TW_SENDER_SERVER;
        out->cause = find_cause(in, cause, sizeof cause);
    }
    out->accepted = judge_acceptance(in, accept, sizeof accept);
    if (out->sender == TW_SENDER_MIDDLE)
        snprintf(out->why, sizeof out->why,
                 tw_tr(in->is_localized, "Sent by a box in the path, not the %1$s: %2$s. "
                                         "Forged in the %1$s's name, it reads: %3$s; %4$s."),
                 side_word(in->side, in->is_localized), who, cause, accept);
    else
        snprintf(out->why, sizeof out->why, tw_tr(in->is_localized, "%s; %s."), cause, accept);
}
