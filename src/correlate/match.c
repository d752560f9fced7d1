/* Relating two runs, orienting them, and estimating the clock offset
 * between them, from what the window (window.c) matched. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ns.h"
#include "correlate/internal.h"

#define NS 1e9

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

/* The deltas from the client side's point of view: tB - tA when a is the
 * client side, tA - tB otherwise. */
static struct tw_delta_stats oriented(const struct tw_delta_stats *d, bool a_is_client)
{
    if (a_is_client || !d->n)
        return *d;
    return (struct tw_delta_stats){d->n, -d->max, -d->min, -d->median};
}

/* Clock drift: the offset bounded separately in the first and second half
 * of the client side's time span (spans of matches, window.c); the slope
 * between the two midpoints. A half's bounds come from its extremes, which
 * lie near its ends when the clock drifts, so its midpoint belongs to the
 * middle of its time range, even when they cross (not to the mean time of its packets, which
 * uneven traffic pulls aside). Only over 10 s or more, where a few parts
 * per million show. */
static void estimate_drift(const struct tw_window_result *w, const tw_capture_run *cl,
                           bool a_is_client, struct tw_correlation *c)
{
    int64_t t0 = cl->first_ns, t1 = cl->last_ns;
    if (t1 - t0 < 10 * (int64_t)NS)
        return;
    /* the client side's middle, on a's clock */
    double mid_s = (double)tw_ns_add(t0 + (t1 - t0) / 2, -w->seg0_ns) / NS +
                   (a_is_client ? 0 : c->offset_s);
    double hi[2] = {INFINITY, INFINITY}, lo[2] = {-INFINITY, -INFINITY};
    double t_min[2] = {INFINITY, INFINITY}, t_max[2] = {-INFINITY, -INFINITY};
    for (size_t i = 0; i < w->n_segments; i++) {
        const struct tw_span *g = &w->seg[i];
        if (!g->n)
            continue;
        int h = (g->t_min_s + g->t_max_s) / 2 >= mid_s;
        /* client packets bound the offset from above, server packets from below */
        double c_hi = a_is_client ? g->min_delta[0] : -g->max_delta[0];
        double s_lo = a_is_client ? g->max_delta[1] : -g->min_delta[1];
        hi[h] = fmin(hi[h], c_hi);
        lo[h] = fmax(lo[h], s_lo);
        t_min[h] = fmin(t_min[h], g->t_min_s);
        t_max[h] = fmax(t_max[h], g->t_max_s);
    }
    /* Bounds that cross within a half still have their midpoint in the
     * middle of it: a drift larger than the delays crosses them. */
    for (int h = 0; h < 2; h++)
        if (!isfinite(hi[h]) || !isfinite(lo[h]))
            return;
    double m0 = (lo[0] + hi[0]) / 2, m1 = (lo[1] + hi[1]) / 2;
    double dt = (t_min[1] + t_max[1]) / 2 - (t_min[0] + t_max[0]) / 2;
    if (dt <= 0)
        return;
    c->has_drift = true;
    c->drift_ppm = (m1 - m0) / dt * 1e6;
}

bool tw_correlate(tw_capture_run *a, tw_capture_run *b, struct tw_correlation *c)
{
    memset(c, 0, sizeof *c);
    for (int k = 0; k < 2; k++) {
        tw_capture_run *run = k ? b : a;
        if (!run->is_streaming)
            tw_capture_run_finish(run); /* fed before: everything is there */
    }
    struct tw_window_result *w = malloc(sizeof *w);
    if (!w) {
        /* the readers must not wait on a full queue for ever */
        tw_run_drain(a);
        tw_run_drain(b);
    }
    if (!w || !tw_window_match(a, b, w)) {
        free(w);
        snprintf(c->why, sizeof c->why, "%s", tw_tr(a->is_localized, "out of memory"));
        return false;
    }
    c->n_matched = w->n_matched;
    c->window_s = w->window_s;
    c->has_nat = w->has_nat;
    c->is_partial = !a->is_whole || !b->is_whole || w->is_cut;
    c->n_uncompared = w->n_uncompared;
    c->n_clock_steps = w->n_clock_steps;
    uint64_t smaller = a->n_noted < b->n_noted ? a->n_noted : b->n_noted;
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
    if (!c->is_related) {
        free(w);
        return false;
    }

    /* Orientation. With A nearer the client, a client packet reaches B
     * after A (tB - tA = offset + delay) and a server packet reaches A after
     * B (tB - tA = offset - delay): client packets have the larger deltas.
     * Without matches both ways, the capture holding more of the client's
     * SYNs is nearer the client. */
    const struct tw_delta_stats *dc = &w->delta[TW_FROM_CLIENT], *ds = &w->delta[TW_FROM_SERVER];
    bool a_is_client;
    char orient[200];
    /* no delay either way, to the nanosecond: not two points of a path */
    bool is_copy = dc->n && ds->n && dc->min == 0 && dc->max == 0 && ds->min == 0 && ds->max == 0;
    if (is_copy) {
        a_is_client = true;
        snprintf(orient, sizeof orient, "%s",
                 tw_tr(a->is_localized,
                       "every shared packet has the same time in both: they are copies of one "
                       "capture (or one file given twice), neither nearer the client"));
    } else if (dc->n && ds->n) {
        a_is_client = dc->median >= ds->median;
        snprintf(
            orient, sizeof orient,
            tw_tr(a->is_localized,
                  "client packets reach %s %.3f ms later than server packets do, relative to %s"),
            a_is_client ? b->file : a->file, fabs(dc->median - ds->median) * 1e3,
            a_is_client ? a->file : b->file);
    } else {
        uint64_t a_syn = a->n_client_syns, b_syn = b->n_client_syns;
        a_is_client = a_syn >= b_syn;
        snprintf(orient, sizeof orient,
                 tw_tr(a->is_localized, "%s holds more of the client's SYNs (%llu against %llu)"),
                 a_is_client ? a->file : b->file, (unsigned long long)(a_is_client ? a_syn : b_syn),
                 (unsigned long long)(a_is_client ? b_syn : a_syn));
    }
    struct tw_delta_stats cs = oriented(dc, a_is_client), sc = oriented(ds, a_is_client);
    tw_capture_run *cl = a_is_client ? a : b, *sv = a_is_client ? b : a;
    c->client_run = cl;
    c->server_run = sv;
    c->n_client_packets = cl->n_noted;
    c->n_server_packets = sv->n_noted;
    size_t len = strlen(c->why);
    snprintf(c->why + len, sizeof c->why - len,
             is_copy ? tw_tr(a->is_localized, "; %s is taken as the client side: %s")
                     : tw_tr(a->is_localized, "; %s is nearer the client: %s"),
             cl->file, orient);

    /* Clock: offset = the server side's clock - the client side's. A client
     * packet cannot reach the server side before it left the client side:
     * offset <= min(delta). A server packet cannot reach the client side
     * before it left the server side: offset >= max(delta). */
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
    if (c->n_clock_steps) {
        /* the window's step is in tB - tA, at a time on a's clock */
        c->last_step_s = a_is_client ? w->last_step_s : -w->last_step_s;
        c->last_step_ns = a_is_client ? w->last_step_ns
                                      : tw_ns_add(w->last_step_ns,
                                                  -(int64_t)tw_ns_clamp_d(
                                                      tw_finite_or_zero(c->offset_s) * NS));
    }
    estimate_drift(w, cl, a_is_client, c);
    free(w);
    return true;
}
