/* Inferring where a capture was taken.
 *
 * Two signals per answered handshake:
 * - TTL: a host's own packets leave with a common initial TTL (64, 128, 255,
 *   or 32), while packets that crossed a router arrive with less. At the
 *   client the SYN has an initial TTL and the answer does not; at the server
 *   the reverse; in the middle neither has.
 * - Timing: the host that captured answers at once. At the client the
 *   SYN+ACK -> ACK gap is tiny next to SYN -> SYN+ACK (a round trip); at the
 *   server the reverse; in the middle both are parts of the round trip.
 * TTL counts double: timing misleads on loopback and fast LANs. */
#include <stdio.h>

#include "base/i18n.h"
#include "diagnose/diagnose.h"

static bool is_initial_ttl(uint8_t ttl)
{
    return ttl == 64 || ttl == 128 || ttl == 255 || ttl == 32;
}

void tw_vantage_observe(struct tw_vantage_votes *v, const struct tw_attempt *a)
{
    const struct tw_event *syn = NULL, *answer = NULL, *ack = NULL;
    for (int i = 0; i < a->n_events; i++) {
        const struct tw_event *e = &a->events[i];
        if (e->kind == TW_EV_SYN && !answer)
            syn = e;  /* the SYN the answer most likely answered: the last before it */
        else if (!answer && syn &&
                 (e->kind == TW_EV_SYNACK || e->kind == TW_EV_ICMP_ERROR ||
                  (e->kind == TW_EV_SERVER_RST && tw_attempt_acks_syn(a, e->ack))))
            answer = e;
        else if (e->kind == TW_EV_ACK && answer && answer->kind == TW_EV_SYNACK && !ack)
            ack = e;
    }
    if (syn) {
        v->n_syn_seen++;
        v->n_syn_initial_ttl += is_initial_ttl(syn->ttl);
    }
    if (!syn || !answer)
        return;
    bool syn_init = is_initial_ttl(syn->ttl), ans_init = is_initial_ttl(answer->ttl);
    if (syn_init != ans_init || !syn_init) {
        v->n_ttl++;
        if (syn_init && !ans_init)
            v->client += 2;
        else if (!syn_init && ans_init)
            v->server += 2;
        else
            v->middle += 2;
    }
    if (ack) {
        /* as doubles: a damaged capture's timestamps may be anything */
        double g1 = (double)answer->ts_ns - (double)syn->ts_ns;
        double g2 = (double)ack->ts_ns - (double)answer->ts_ns;
        if (g1 < 0 || g2 < 0)
            return;
        v->n_timing++;
        if (g2 * 4 < g1)
            v->client += 1;
        else if (g1 * 4 < g2)
            v->server += 1;
        else
            v->middle += 1;
    }
}

enum tw_vantage tw_vantage_decide(const struct tw_vantage_votes *v, bool is_localized, char *why,
                                  unsigned long why_size)
{
    if (v->client + v->server + v->middle == 0) {
        /* No answered handshake: only the SYNs' TTL speaks. */
        if (v->n_syn_seen && v->n_syn_initial_ttl * 2 > v->n_syn_seen) {
            if (why)
                snprintf(why, why_size,
                         tw_tr(is_localized,
                               "no answered handshake; the SYNs carry an initial TTL, so they "
                               "were captured on the host that sent them"));
            return TW_VANTAGE_CLIENT;
        }
        if (why)
            snprintf(why, why_size, "%s",
                 v->n_syn_seen ? tw_tr(is_localized, "no answered handshake and the SYNs "
                                                     "crossed a router: cannot tell server "
                                                     "from middle (use --vantage)")
                               : tw_tr(is_localized, "no handshake seen"));
        return TW_VANTAGE_MIDDLE;
    }
    enum tw_vantage best = TW_VANTAGE_CLIENT;
    double score = v->client;
    if (v->server > score) {
        best = TW_VANTAGE_SERVER;
        score = v->server;
    }
    if (v->middle > score)
        best = TW_VANTAGE_MIDDLE;
    if (why)
        snprintf(why, why_size,
             tw_tr(is_localized,
                   "votes client %.0f, server %.0f, middle %.0f from %llu TTL and %llu timing "
                   "signals of answered handshakes"),
             v->client, v->server, v->middle, (unsigned long long)v->n_ttl,
             (unsigned long long)v->n_timing);
    return best;
}
