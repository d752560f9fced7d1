/* Where each packet went: matched, lost between the points, or missing from
 * a capture; and the merge of the two judgments of each attempt. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/ns.h"
#include "base/seq.h"
#include "correlate/internal.h"

#define NS 1e9

/* Could the downstream capture have seen this packet? It arrives there about
 * one delay after it left, in the downstream clock; the capture must have
 * been running then. */
static bool downstream_was_running(const tw_capture_run *down, int64_t t_up_ns, double shift_s)
{
    double t = (double)t_up_ns + shift_s * NS;
    return down->n_frames && t >= (double)down->first_ns && t <= (double)down->last_ns;
}

static void count_lost(struct tw_direction_loss *d, const struct tw_seen *e)
{
    d->lost++;
    if ((e->tcp_flags & 0x04))
        d->lost_rst++;
    else if (e->role == TW_EV_SYN)
        d->lost_syn++;
    else if (e->role == TW_EV_SYNACK)
        d->lost_synack++;
    else if (e->role == TW_EV_ACK)
        d->lost_ack++;
    if (e->payload_len > 0)
        d->lost_data++;
}

/* The sender most of a direction's lost packets came from. A small
 * majority vote (Boyer-Moore) keeps it to one pass and no memory. */
static void vote_top(struct tw_direction_loss *d, const struct tw_seen *e, uint64_t *votes)
{
    if (*votes == 0 || (memcmp(d->top_src.b, e->src.b, 16) == 0 && d->top_port == e->sport)) {
        d->top_src = e->src;
        d->top_port = e->sport;
        (*votes)++;
    } else {
        (*votes)--;
    }
}

static void finish_top(struct tw_direction_loss *d, const tw_capture_run *up)
{
    d->top_count = 0;
    for (size_t i = 0; i < up->n_seen; i++) {
        const struct tw_seen *e = &up->seen[i];
        if (e->is_lost && memcmp(d->top_src.b, e->src.b, 16) == 0 && d->top_port == e->sport)
            d->top_count++;
    }
}

/* Packets sent by `side` travel from `up` to `down`; shift_s converts an
 * up-clock time into the down clock at arrival (offset + delay). The
 * matched packets are only counted (the downstream capture saw them, so it
 * was running); the unmatched ones are judged here. An unmatched packet
 * whose receiver acknowledged it downstream was missed by that capture,
 * unless a later copy of the same bytes (a retransmission) did reach it,
 * which explains the acknowledgement (window.c notes both facts). */
static void mark_direction(struct tw_direction_loss *d, tw_capture_run *up,
                           const tw_capture_run *down, enum tw_side side, double shift_s)
{
    uint64_t votes = 0;
    d->matched = up->matched[side].n;
    d->seen_upstream = d->matched;
    d->data_upstream = up->matched[side].n_data;
    for (size_t i = 0; i < up->n_seen; i++) {
        struct tw_seen *e = &up->seen[i];
        if (e->side != side || !downstream_was_running(down, e->ts_ns, shift_s))
            continue;
        d->seen_upstream++;
        if (e->payload_len > 0)
            d->data_upstream++;
        if (e->is_resegmented) {
            d->resegmented++;
        } else if (e->is_acked && !e->is_retransmitted) {
            d->missing_downstream++;
        } else {
            e->is_lost = true;
            count_lost(d, e);
            vote_top(d, e, &votes);
        }
    }
    finish_top(d, up);
    /* Seen downstream, absent upstream although that capture was running:
     * the upstream capture dropped it, not the network. */
    for (size_t i = 0; i < down->n_seen; i++) {
        const struct tw_seen *e = &down->seen[i];
        if (e->side != side || !downstream_was_running(up, e->ts_ns, -shift_s))
            continue;
        if (e->is_resegmented)
            d->resegmented_downstream++;
        else
            d->missing_upstream++;
    }
}

double tw_finite_or_zero(double x) { return isfinite(x) ? x : 0; }

static void mark(struct tw_correlation *c)
{
    double off = tw_finite_or_zero(c->offset_s);
    mark_direction(&c->c2s, c->client_run, c->server_run, TW_FROM_CLIENT, off + c->delay_c2s_s);
    mark_direction(&c->s2c, c->server_run, c->client_run, TW_FROM_SERVER, -off + c->delay_s2c_s);
    const tw_capture_run *a = c->client_run, *b = c->server_run;
    int64_t b_first = (int64_t)tw_ns_clamp_d((double)b->first_ns - off * NS);
    int64_t b_last = (int64_t)tw_ns_clamp_d((double)b->last_ns - off * NS);
    c->overlap_start_ns = a->first_ns > b_first ? a->first_ns : b_first;
    c->overlap_end_ns = a->last_ns < b_last ? a->last_ns : b_last;
}

/* ---- merging the judgments of one attempt ---------------------------------- */

/* When the two points disagree, the more specific story wins: a verdict
 * that names a mechanism beats "timeout", and anything beats "unknown". The
 * server sees server_ignored_syn where the client sees only a timeout; the
 * client sees a retransmitted SYN where the server sees a clean handshake. */
static const enum tw_verdict specificity[] = {
    TW_VERDICT_SYNACK_LOST_RST, TW_VERDICT_LATE_SYNACK_RST, TW_VERDICT_PORT_REUSE_CHALLENGE,
    TW_VERDICT_ACCEPT_QUEUE_FULL, TW_VERDICT_SERVER_IGNORED_SYN, TW_VERDICT_REFUSED,
    TW_VERDICT_ICMP_ERROR, TW_VERDICT_TIMEOUT, TW_VERDICT_OK_AFTER_RETRANS, TW_VERDICT_OK,
    TW_VERDICT_UNKNOWN,
};

static int rank(enum tw_verdict v)
{
    for (size_t i = 0; i < sizeof specificity / sizeof specificity[0]; i++)
        if (specificity[i] == v)
            return (int)i;
    return (int)(sizeof specificity / sizeof specificity[0]);
}

/* Appends s to the string in buf, cutting it to fit. */
static void append_text(char *buf, size_t size, const char *s)
{
    size_t used = strlen(buf), n = strlen(s);
    if (used + 1 >= size)
        return;
    if (n > size - used - 1)
        n = size - used - 1;
    memcpy(buf + used, s, n);
    buf[used + n] = '\0';
}

/* The handshake packets lost between the points, by attempt: built once
 * per correlation, sorted by ISN, so that each attempt finds its own with a
 * binary search (lost packets are few; attempts may be many). */
static int by_lost_isn(const void *pa, const void *pb)
{
    const struct tw_lost_hs *a = pa, *b = pb;
    return (a->isn > b->isn) - (a->isn < b->isn);
}

static void add_lost_of(struct tw_lost_index *ix, size_t *cap, const tw_capture_run *run,
                        enum tw_side side)
{
    for (size_t i = 0; i < run->n_seen; i++) {
        const struct tw_seen *e = &run->seen[i];
        bool is_handshake = e->role == TW_EV_SYN || e->role == TW_EV_SYNACK || e->role == TW_EV_ACK;
        if (e->side != side || !e->is_lost || !e->has_isn || !is_handshake)
            continue;
        if (!tw_grow((void **)&ix->v, cap, ix->n, sizeof *ix->v, 64, SIZE_MAX))
            return;
        ix->v[ix->n++] = (struct tw_lost_hs){e->isn, (uint8_t)side, e->role};
    }
}

static void build_lost_index(const struct tw_correlation *c, struct tw_lost_index *ix)
{
    size_t cap = 0;
    ix->v = NULL;
    ix->n = 0;
    add_lost_of(ix, &cap, c->client_run, TW_FROM_CLIENT);
    add_lost_of(ix, &cap, c->server_run, TW_FROM_SERVER);
    if (ix->n)
        qsort(ix->v, ix->n, sizeof *ix->v, by_lost_isn);
}

/* The handshake packets of attempt isn that left one point and never
 * reached the other, as bits, and in words ("4 SYN+ACKs left the server
 * side and never reached the client side"). */
static unsigned lost_between(const struct tw_lost_index *ix, uint32_t isn, bool is_localized,
                             char *what, size_t size)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->v[mid].isn < isn)
            lo = mid + 1;
        else
            hi = mid;
    }
    unsigned lost = 0;
    int n[2][3] = {{0, 0, 0}, {0, 0, 0}}; /* [side][syn, synack, ack] */
    for (size_t i = lo; i < ix->n && ix->v[i].isn == isn; i++) {
        int k = ix->v[i].role == TW_EV_SYN ? 0 : ix->v[i].role == TW_EV_SYNACK ? 1 : 2;
        n[ix->v[i].side][k]++;
        lost |= k == 0 ? TW_LOST_SYN : k == 1 ? TW_LOST_SYNACK : TW_LOST_ACK;
    }
    static const char *const one[3] = {"SYN", "SYN+ACK", "ACK"};
    static const char *const many[3] = {N_("SYNs"), N_("SYN+ACKs"), N_("ACKs")};
    static const char *const from[2] = {N_("client"), N_("server")};
    what[0] = '\0';
    for (int d = 0; d < 2; d++) {
        char part[160] = "";
        for (int k = 0; k < 3; k++) {
            if (!n[d][k])
                continue;
            size_t used = strlen(part);
            /* TRANSLATORS: a count of packets in a list: "2 SYN+ACKs", after ", " */
            snprintf(part + used, sizeof part - used, tw_tr(is_localized, "%s%d %s"),
                     used ? tw_tr(is_localized, ", ") : "", n[d][k],
                     n[d][k] == 1 ? one[k] : tw_tr(is_localized, many[k]));
        }
        if (!part[0])
            continue;
        size_t used_part = strlen(part);
        snprintf(part + used_part, sizeof part - used_part,
                 tw_tr(is_localized, " left the %s side and never reached the %s side"),
                 tw_tr(is_localized, from[d]), tw_tr(is_localized, from[!d]));
        if (what[0])
            append_text(what, size, tw_tr(is_localized, "; "));
        append_text(what, size, part);
    }
    return lost;
}

/* The unmatched packet of run with this frame number (kept in frame
 * order), or NULL. */
static const struct tw_seen *seen_by_frame(const tw_capture_run *run, uint64_t frame)
{
    size_t lo = 0, hi = run->n_seen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (run->seen[mid].frame < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < run->n_seen && run->seen[lo].frame == frame ? &run->seen[lo] : NULL;
}

static void add_evidence(struct tw_diagnosis *d, const struct tw_evidence *e,
                         const tw_capture_run *run)
{
    if (d->n_evidence >= TW_MAX_EVIDENCE)
        return;
    struct tw_evidence *ev = &d->evidence[d->n_evidence++];
    *ev = *e;
    ev->file = e->file ? e->file : run->file;
    const struct tw_seen *s = seen_by_frame(run, e->frame);
    ev->is_lost = s && s->is_lost;
}

/* The run's attempts with a known ISN, sorted by ISN, for lookups. */
static const tw_capture_run *isn_sort_run;

static int by_attempt_isn(const void *pa, const void *pb)
{
    uint32_t a = isn_sort_run->atts[*(const size_t *)pa].isn;
    uint32_t b = isn_sort_run->atts[*(const size_t *)pb].isn;
    if (a != b)
        return a < b ? -1 : 1;
    return (*(const size_t *)pa > *(const size_t *)pb) - (*(const size_t *)pa < *(const size_t *)pb);
}

static size_t *attempts_by_isn(const tw_capture_run *run, size_t *n_out)
{
    size_t *idx = malloc((run->n_atts ? run->n_atts : 1) * sizeof *idx), n = 0;
    if (!idx) {
        *n_out = 0;
        return NULL;
    }
    for (size_t i = 0; i < run->n_atts; i++)
        if (run->atts[i].is_isn_known)
            idx[n++] = i;
    isn_sort_run = run; /* single-threaded, as in match.c */
    if (n)
        qsort(idx, n, sizeof *idx, by_attempt_isn);
    *n_out = n;
    return idx;
}

/* The first attempt of run with this ISN, through the sorted index. */
static struct tw_attempt_record *find_attempt(tw_capture_run *run, const size_t *idx, size_t n,
                                              uint32_t isn, size_t *at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (run->atts[idx[mid]].isn < isn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || run->atts[idx[lo]].isn != isn)
        return NULL;
    *at = idx[lo];
    return &run->atts[idx[lo]];
}

/* Did the server-side capture run while this client-side attempt's packets
 * could reach it? */
bool tw_server_covers(const struct tw_correlation *c, const struct tw_attempt_record *rec)
{
    return downstream_was_running(c->server_run, rec->first_ns,
                                  tw_finite_or_zero(c->offset_s) + c->delay_c2s_s);
}

void tw_merge_attempt(const struct tw_correlation *c, const struct tw_lost_index *ix,
                      struct tw_attempt_record *cr, struct tw_attempt_record *sr)
{
    struct tw_diagnosis merged;
    memset(&merged, 0, sizeof merged);
    const struct tw_diagnosis *cd = &cr->diag;
    const struct tw_diagnosis *sd = sr ? &sr->diag : NULL;
    const struct tw_diagnosis *pick = sd && rank(sd->verdict) < rank(cd->verdict) ? sd : cd;
    merged.verdict = pick->verdict;
    merged.rests_on_timestamps = cd->rests_on_timestamps || (sd && sd->rests_on_timestamps);
    char what[400];
    bool is_localized = c->client_run->is_localized;
    merged.lost = lost_between(ix, cr->isn, is_localized, what, sizeof what);
    for (int i = 0; i < cd->n_evidence; i++)
        add_evidence(&merged, &cd->evidence[i], c->client_run);
    for (int i = 0; sd && i < sd->n_evidence; i++)
        add_evidence(&merged, &sd->evidence[i], c->server_run);
    const char *where =
        pick == sd ? tw_tr(is_localized, "server side") : tw_tr(is_localized, "client side");
    if (what[0])
        snprintf(merged.why, sizeof merged.why,
                 tw_tr(is_localized, "Between the captures: %.300s. At the %s: "), what, where);
    else if (!sr)
        snprintf(merged.why, sizeof merged.why,
                 tw_tr(is_localized,
                       "The server-side capture holds nothing of this attempt. At the %s: "),
                 where);
    else
        snprintf(
            merged.why, sizeof merged.why,
            tw_tr(is_localized, "No handshake packet was lost between the captures. At the %s: "),
            where);
    append_text(merged.why, sizeof merged.why, pick->why);
    cr->diag = merged;
    cr->vantage = TW_VANTAGE_BOTH;
    if (sr && sr->first_ns && (double)sr->first_ns - c->offset_s * NS < (double)cr->first_ns)
        cr->first_ns =
            (int64_t)tw_ns_clamp_d((double)sr->first_ns - tw_finite_or_zero(c->offset_s) * NS);
}

/* A RST lost between the points never reached its receiver, whatever its
 * sequence number says. */
static void mark_lost_rst(const tw_capture_run *run, struct tw_rst_record *r)
{
    const struct tw_seen *e = seen_by_frame(run, r->frame);
    if (!e || !e->is_lost)
        return;
    r->res.accepted = TW_ACCEPTED_NO;
    append_text(r->res.why, sizeof r->res.why,
                tw_tr(run->is_localized, " It never reached the other capture point: lost "
                                         "on the way, so it reset nothing."));
}

/* A RST that one side is said to have sent, which that side's own capture
 * does not hold although it was running: a box in the path forged it. */
static void unmask_forged(const tw_capture_run *run, struct tw_rst_record *r, enum tw_side claimed,
                          const tw_capture_run *sender_run, double shift_s)
{
    if (r->res.sender == TW_SENDER_MIDDLE)
        return;
    if ((claimed == TW_FROM_CLIENT) != (r->res.sender == TW_SENDER_CLIENT))
        return;
    const struct tw_seen *e = seen_by_frame(run, r->frame);
    /* e: noted and unmatched */
    if (!e || !downstream_was_running(sender_run, e->ts_ns, shift_s))
        return;
    char was[sizeof r->res.why];
    memcpy(was, r->res.why, sizeof was);
    r->res.sender = TW_SENDER_MIDDLE;
    r->res.cause = TW_RST_MIDDLEBOX;
    snprintf(r->res.why, sizeof r->res.why,
             tw_tr(run->is_localized, "Forged in the path: the %s's own capture (%s) holds no "
                                      "such RST although it was running. "),
             tw_tr(run->is_localized, claimed == TW_FROM_CLIENT ? N_("client") : N_("server")),
             sender_run->file);
    append_text(r->res.why, sizeof r->res.why, was);
}

void tw_correlate_fix_rst(const struct tw_correlation *c, const tw_capture_run *run,
                          struct tw_rst_record *r)
{
    mark_lost_rst(run, r);
    double off = tw_finite_or_zero(c->offset_s);
    if (run == c->client_run)
        unmask_forged(run, r, TW_FROM_SERVER, c->server_run, off - c->delay_s2c_s);
    else
        unmask_forged(run, r, TW_FROM_CLIENT, c->client_run, -off - c->delay_c2s_s);
}

void tw_mark_server_only(tw_capture_run *sv)
{
    for (size_t i = 0; i < sv->n_atts; i++) {
        struct tw_attempt_record *sr = &sv->atts[i];
        if (!sv->merged[i] && sr->is_isn_known)
            sr->vantage = TW_VANTAGE_BOTH;
    }
}

void tw_correlate_merge(struct tw_correlation *c)
{
    mark(c);
    tw_capture_run *cl = c->client_run, *sv = c->server_run;
    struct tw_lost_index ix;
    build_lost_index(c, &ix);
    /* With records on temporary files, a client record without a partner in
     * memory may find one there (spill.c): only then is it merged alone. */
    bool has_spill = cl->n_spilled_atts || sv->n_spilled_atts || cl->n_spilled_rsts ||
                     sv->n_spilled_rsts;
    bool *is_done = has_spill ? calloc(cl->n_atts ? cl->n_atts : 1, sizeof *is_done) : NULL;
    size_t n_idx;
    size_t *idx = attempts_by_isn(sv, &n_idx);
    for (size_t i = 0; i < cl->n_atts; i++) {
        struct tw_attempt_record *cr = &cl->atts[i];
        if (!cr->is_isn_known)
            continue;
        size_t at = 0;
        struct tw_attempt_record *sr = find_attempt(sv, idx, n_idx, cr->isn, &at);
        if (sr && sv->merged[at])
            sr = NULL; /* one server record per client record */
        if (!sr && (has_spill || !tw_server_covers(c, cr)))
            continue;
        tw_merge_attempt(c, &ix, cr, sr);
        if (sr)
            sv->merged[at] = true;
        if (is_done)
            is_done[i] = true;
    }
    free(idx);
    if (has_spill && !(is_done && tw_merge_spilled(c, &ix, is_done)))
        c->is_partial = true;
    free(is_done);
    free(ix.v);
    if (!cl->merge_later)
        tw_mark_server_only(sv);
    for (size_t i = 0; i < cl->n_rsts; i++)
        tw_correlate_fix_rst(c, cl, &cl->rsts[i]);
    for (size_t i = 0; i < sv->n_rsts; i++)
        tw_correlate_fix_rst(c, sv, &sv->rsts[i]);
}
