/* Matching two runs packet by packet, relating them, orienting them, and
 * estimating the clock offset between them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

#define NS 1e9

/* Sorting indices of a run by (fingerprint, time, frame): equal packets pair
 * up in the order they were seen, so a retransmission that looks exactly
 * like its original (no timestamps, IPv6) still pairs first with first. */
static const struct tw_seen *sort_base;

static int by_fp(const void *pa, const void *pb)
{
    const struct tw_seen *a = &sort_base[*(const size_t *)pa];
    const struct tw_seen *b = &sort_base[*(const size_t *)pb];
    if (a->fp != b->fp)
        return a->fp < b->fp ? -1 : 1;
    if (a->ts_ns != b->ts_ns)
        return a->ts_ns < b->ts_ns ? -1 : 1;
    return (a->frame > b->frame) - (a->frame < b->frame);
}

static size_t *sorted_indices(const tw_capture_run *run)
{
    size_t *idx = malloc((run->n_seen ? run->n_seen : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0; i < run->n_seen; i++)
        idx[i] = i;
    sort_base = run->seen; /* single-threaded: correlation runs after the readers */
    if (run->n_seen)
        qsort(idx, run->n_seen, sizeof *idx, by_fp);
    return idx;
}

static uint64_t pair_packets(tw_capture_run *a, tw_capture_run *b)
{
    for (size_t i = 0; i < a->n_seen; i++)
        a->seen[i].match = -1;
    for (size_t i = 0; i < b->n_seen; i++)
        b->seen[i].match = -1;
    size_t *ia = sorted_indices(a), *ib = sorted_indices(b);
    uint64_t n = 0;
    if (!ia || !ib) {
        free(ia);
        free(ib);
        return 0;
    }
    size_t i = 0, j = 0;
    while (i < a->n_seen && j < b->n_seen) {
        uint64_t fa = a->seen[ia[i]].fp, fb = b->seen[ib[j]].fp;
        if (fa < fb) {
            i++;
        } else if (fb < fa) {
            j++;
        } else {
            a->seen[ia[i]].match = (int64_t)ib[j];
            b->seen[ib[j]].match = (int64_t)ia[i];
            n++;
            i++;
            j++;
        }
    }
    free(ia);
    free(ib);
    return n;
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Median of deltas (tB - tA, seconds) of matched packets sent by `side`. */
struct deltas {
    double *v;
    size_t n;
    double min, max, median;
};

static bool collect_deltas(const tw_capture_run *a, const tw_capture_run *b, enum tw_side side,
                           struct deltas *d)
{
    memset(d, 0, sizeof *d);
    d->v = malloc((a->n_seen ? a->n_seen : 1) * sizeof *d->v);
    if (!d->v)
        return false;
    for (size_t i = 0; i < a->n_seen; i++) {
        const struct tw_seen *e = &a->seen[i];
        if (e->match < 0 || e->side != side)
            continue;
        d->v[d->n++] = ((double)b->seen[e->match].ts_ns - (double)e->ts_ns) / NS;
    }
    if (d->n) {
        qsort(d->v, d->n, sizeof *d->v, cmp_double);
        d->min = d->v[0];
        d->max = d->v[d->n - 1];
        d->median = d->v[d->n / 2];
    }
    return true;
}

static bool shares_address(const tw_capture_run *a, const tw_capture_run *b)
{
    for (size_t i = 0; i < a->n_addrs; i++)
        for (size_t j = 0; j < b->n_addrs; j++)
            if (memcmp(a->addrs[i].b, b->addrs[j].b, 16) == 0)
                return true;
    return false;
}

static bool overlap_in_time(const tw_capture_run *a, const tw_capture_run *b)
{
    return a->n_frames && b->n_frames && a->first_ns <= b->last_ns && b->first_ns <= a->last_ns;
}

/* How many of run's packets were sent by the client side. */
static uint64_t count_side(const tw_capture_run *run, enum tw_side side, bool syn_only)
{
    uint64_t n = 0;
    for (size_t i = 0; i < run->n_seen; i++)
        if (run->seen[i].side == side &&
            (!syn_only || (run->seen[i].tcp_flags & 0x12) == 0x02))
            n++;
    return n;
}

/* Clock drift: the offset bounded separately in the first and second half
 * of the matched packets' time span; the slope between the two midpoints.
 * Only over 10 s or more, where a few parts per million show. */
static void estimate_drift(const tw_capture_run *a, const tw_capture_run *b,
                           struct tw_correlation *c)
{
    int64_t t0 = a->first_ns, t1 = a->last_ns;
    if (t1 - t0 < 10 * (int64_t)NS)
        return;
    int64_t mid = t0 + (t1 - t0) / 2;
    double hi[2] = {INFINITY, INFINITY}, lo[2] = {-INFINITY, -INFINITY}, tsum[2] = {0, 0};
    uint64_t n[2] = {0, 0};
    for (size_t i = 0; i < a->n_seen; i++) {
        const struct tw_seen *e = &a->seen[i];
        if (e->match < 0)
            continue;
        int h = e->ts_ns >= mid;
        double delta = ((double)b->seen[e->match].ts_ns - (double)e->ts_ns) / NS;
        if (e->side == TW_FROM_CLIENT && delta < hi[h])
            hi[h] = delta;
        if (e->side == TW_FROM_SERVER && delta > lo[h])
            lo[h] = delta;
        tsum[h] += (double)(e->ts_ns - t0) / NS;
        n[h]++;
    }
    for (int h = 0; h < 2; h++)
        if (!n[h] || !isfinite(hi[h]) || !isfinite(lo[h]) || lo[h] > hi[h])
            return;
    double m0 = (lo[0] + hi[0]) / 2, m1 = (lo[1] + hi[1]) / 2;
    double dt = tsum[1] / (double)n[1] - tsum[0] / (double)n[0];
    if (dt <= 0)
        return;
    c->has_drift = true;
    c->drift_ppm = (m1 - m0) / dt * 1e6;
}

bool tw_correlate(tw_capture_run *a, tw_capture_run *b, struct tw_correlation *c)
{
    memset(c, 0, sizeof *c);
    c->n_matched = pair_packets(a, b);
    c->is_partial = !a->is_whole || !b->is_whole || a->n_spilled_atts || b->n_spilled_atts;
    size_t smaller = a->n_seen < b->n_seen ? a->n_seen : b->n_seen;
    if (c->n_matched > 0) {
        /* Random 64-bit fingerprints do not collide by chance: a shared
         * packet means shared traffic. Require a share of the smaller
         * capture too (1 %), so that a stray duplicate in a big capture
         * does not weld two captures of mostly other traffic. */
        c->is_related = c->n_matched * 100 >= smaller;
        snprintf(c->why, sizeof c->why,
                 tw_tr(a->is_localized, "%llu packets appear in both captures"),
                 (unsigned long long)c->n_matched);
    } else if (smaller == 0 && overlap_in_time(a, b) && shares_address(a, b)) {
        /* One capture holds no TCP at all but ran at the same time on the
         * same hosts: the traffic never reached it. */
        c->is_related = true;
        snprintf(
            c->why, sizeof c->why,
            tw_tr(a->is_localized,
                  "no packet appears in both, but they ran at the same time on the same hosts and "
                  "one holds no TCP: nothing reached it"));
    } else {
        snprintf(c->why, sizeof c->why, tw_tr(a->is_localized, "no packet appears in both%s"),
                 overlap_in_time(a, b)
                     ? ""
                     : tw_tr(a->is_localized, " and they do not overlap in time"));
    }
    if (!c->is_related)
        return false;

    /* Orientation. With A nearer the client, a client packet reaches B
     * after A (tB - tA = offset + delay) and a server packet reaches A after
     * B (tB - tA = offset - delay): client packets have the larger deltas.
     * Without matches both ways, the capture holding the client's SYNs
     * first, or the one whose SYNs nobody else saw, is nearer the client. */
    struct deltas cs, sc;
    if (!collect_deltas(a, b, TW_FROM_CLIENT, &cs) || !collect_deltas(a, b, TW_FROM_SERVER, &sc)) {
        free(cs.v);
        c->is_related = false;
        snprintf(c->why, sizeof c->why, "%s", tw_tr(a->is_localized, "out of memory"));
        return false;
    }
    bool a_is_client;
    char orient[200];
    if (cs.n && sc.n) {
        a_is_client = cs.median >= sc.median;
        snprintf(
            orient, sizeof orient,
            tw_tr(a->is_localized,
                  "client packets reach %s %.3f ms later than server packets do, relative to %s"),
            a_is_client ? b->file : a->file, fabs(cs.median - sc.median) * 1e3,
            a_is_client ? a->file : b->file);
    } else {
        uint64_t a_syn = count_side(a, TW_FROM_CLIENT, true), b_syn = count_side(b, TW_FROM_CLIENT, true);
        a_is_client = a_syn >= b_syn;
        snprintf(orient, sizeof orient,
                 tw_tr(a->is_localized, "%s holds more of the client's SYNs (%llu against %llu)"),
                 a_is_client ? a->file : b->file, (unsigned long long)(a_is_client ? a_syn : b_syn),
                 (unsigned long long)(a_is_client ? b_syn : a_syn));
    }
    if (!a_is_client) {
        /* Redo the deltas from the client side's point of view. */
        free(cs.v);
        free(sc.v);
        tw_capture_run *t = a;
        a = b;
        b = t;
        if (!collect_deltas(a, b, TW_FROM_CLIENT, &cs) || !collect_deltas(a, b, TW_FROM_SERVER, &sc)) {
            free(cs.v);
            c->is_related = false;
            return false;
        }
    }
    c->client_run = a;
    c->server_run = b;
    c->n_client_packets = a->n_seen;
    c->n_server_packets = b->n_seen;
    size_t len = strlen(c->why);
    snprintf(c->why + len, sizeof c->why - len,
             tw_tr(a->is_localized, "; %s is nearer the client: %s"), a->file, orient);

    /* Clock: offset = B's clock - A's. A client packet cannot reach B
     * before it left A: offset <= min(tB - tA). A server packet cannot reach
     * A before it left B: offset >= max(tB - tA). */
    if (cs.n || sc.n) {
        double hi = cs.n ? cs.min : INFINITY, lo = sc.n ? sc.max : -INFINITY;
        c->offset_low_s = lo;
        c->offset_high_s = hi;
        c->is_offset_consistent = lo <= hi;
        if (cs.n && sc.n)
            c->offset_s = (lo + hi) / 2;
        else
            c->offset_s = cs.n ? hi : lo;
        c->delay_c2s_s = cs.n ? cs.median - c->offset_s : 0;
        c->delay_s2c_s = sc.n ? c->offset_s - sc.median : 0;
    } else {
        c->offset_low_s = -INFINITY;
        c->offset_high_s = INFINITY;
    }
    free(cs.v);
    free(sc.v);
    estimate_drift(a, b, c);

    /* NAT: the same packet named by other addresses or ports. */
    for (size_t i = 0; i < a->n_seen && !c->has_nat; i++) {
        const struct tw_seen *e = &a->seen[i];
        if (e->match < 0)
            continue;
        const struct tw_seen *f = &b->seen[e->match];
        c->has_nat = memcmp(e->src.b, f->src.b, 16) != 0 || e->sport != f->sport ||
                     e->dport != f->dport;
    }
    return true;
}
