/* -w: the problem attempts' packets into a pcap (see pcap_out.h).
 *
 * Selections are kept sorted by (input, 4-tuple) and evidence frames by
 * (input, frame), so the second pass looks each frame up in O(log n). An
 * attempt merged from two captures (vantage both) is noted in both: in its
 * own file with its time range, and in the other file with the range moved
 * onto that file's clock by the offset correlation measured, widened by
 * twice the one-way delays (its packets pass the other point a little
 * before or after), and with its evidence frames there. */
#include "report/pcap_out.h"

#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include "base/grow.h"
#include <string.h>

#include "decode/decode.h"

#define MAX_SELECTIONS 1000000
#define MAX_FRAMES 4000000
#define MAX_PAIRS 64
#define NS 1000000000.0

struct selection {
    size_t input;
    uint8_t key[36];       /* client addr, server addr, client port, server port */
    int64_t from_ns, to_ns;
};

struct frame_ref {
    size_t input;
    uint64_t frame;
};

/* Two inputs correlated: the server-side clock minus the client-side's. */
struct pair {
    size_t client_input, server_input;
    int64_t offset_ns, slack_ns;
};

struct tw_pcap_out {
    char *const *inputs;
    size_t n_inputs;
    struct tw_sink inner;
    struct selection *sels;
    size_t n_sels, cap_sels;
    struct frame_ref *frames;
    size_t n_frames, cap_frames;
    struct pair pairs[MAX_PAIRS];
    size_t n_pairs;
    uint64_t n_attempts, n_left_out;
    bool is_sorted;
    /* the output being written */
    size_t input;
    pcap_t *dead;
    pcap_dumper_t *dumper;
    char path[512];
    int linktype;
    struct tw_pcap_out_counts counts;
    /* the last frame read, when it was not written (see tw_pcap_out_close) */
    bool has_last;
    struct pcap_pkthdr last_hdr;
    uint8_t *last_bytes;
    size_t last_cap;
};

static void make_key(uint8_t key[36], const struct tw_addr *c, uint16_t cport,
                     const struct tw_addr *s, uint16_t sport)
{
    memcpy(key, c->b, 16);
    memcpy(key + 16, s->b, 16);
    key[32] = (uint8_t)(cport >> 8);
    key[33] = (uint8_t)cport;
    key[34] = (uint8_t)(sport >> 8);
    key[35] = (uint8_t)sport;
}


/* The input named file, or n_inputs when it is none of them. */
static size_t input_of(const tw_pcap_out *w, const char *file)
{
    for (size_t i = 0; file && i < w->n_inputs; i++)
        if (strcmp(w->inputs[i], file) == 0)
            return i;
    return w->n_inputs;
}

static bool add_selection(tw_pcap_out *w, size_t input, const struct tw_flow_key *k, int64_t from_ns,
                          int64_t to_ns)
{
    if (!tw_grow((void **)&w->sels, &w->cap_sels, w->n_sels, sizeof *w->sels, 256, MAX_SELECTIONS))
        return false;
    struct selection *s = &w->sels[w->n_sels++];
    s->input = input;
    make_key(s->key, &k->client, k->client_port, &k->server, k->server_port);
    s->from_ns = from_ns;
    s->to_ns = to_ns;
    w->is_sorted = false;
    return true;
}

static void add_frame(tw_pcap_out *w, size_t input, uint64_t frame)
{
    if (!tw_grow((void **)&w->frames, &w->cap_frames, w->n_frames, sizeof *w->frames, 256, MAX_FRAMES))
        return;
    w->frames[w->n_frames++] = (struct frame_ref){input, frame};
    w->is_sorted = false;
}

static const struct pair *pair_for(const tw_pcap_out *w, size_t a, size_t b)
{
    for (size_t i = 0; i < w->n_pairs; i++)
        if (w->pairs[i].client_input == a && w->pairs[i].server_input == b)
            return &w->pairs[i];
    return NULL;
}

static void note_attempt(tw_pcap_out *w, const struct tw_attempt_record *r)
{
    size_t own = input_of(w, r->file);
    if (own == w->n_inputs)
        return;
    if (!add_selection(w, own, &r->key, r->first_ns, r->last_ns)) {
        w->n_left_out++;
        return;
    }
    w->n_attempts++;
    /* the other capture of a merged record: its frames, and the range there */
    bool has_other = false;
    size_t other = w->n_inputs;
    int64_t lo = 0, hi = 0;
    for (int i = 0; i < r->diag.n_evidence; i++) {
        const struct tw_evidence *e = &r->diag.evidence[i];
        size_t in = e->file ? input_of(w, e->file) : own;
        if (in == w->n_inputs)
            continue;
        add_frame(w, in, e->frame);
        if (in == own)
            continue;
        if (!has_other || e->ts_ns < lo)
            lo = e->ts_ns;
        if (!has_other || e->ts_ns > hi)
            hi = e->ts_ns;
        has_other = true;
        other = in;
    }
    if (!has_other)
        return;
    const struct pair *p = pair_for(w, own, other);
    if (p) {
        if (r->first_ns + p->offset_ns - p->slack_ns < lo)
            lo = r->first_ns + p->offset_ns - p->slack_ns;
        if (r->last_ns + p->offset_ns + p->slack_ns > hi)
            hi = r->last_ns + p->offset_ns + p->slack_ns;
    }
    add_selection(w, other, &r->key, lo, hi);
}

static void out_attempt(void *ctx, const struct tw_attempt_record *r)
{
    tw_pcap_out *w = ctx;
    if (tw_report_is_problem(r))
        note_attempt(w, r);
    w->inner.attempt(w->inner.ctx, r);
}

static void out_rst(void *ctx, const struct tw_rst_record *r)
{
    tw_pcap_out *w = ctx;
    w->inner.rst(w->inner.ctx, r);
}

static double finite_or_zero(double v) { return isfinite(v) ? v : 0; }

static void out_correlation(void *ctx, const struct tw_correlation *c)
{
    tw_pcap_out *w = ctx;
    if (c->is_related && w->n_pairs < MAX_PAIRS) {
        size_t a = input_of(w, tw_capture_run_file(c->client_run));
        size_t b = input_of(w, tw_capture_run_file(c->server_run));
        double delay = finite_or_zero(c->delay_c2s_s) > finite_or_zero(c->delay_s2c_s)
                           ? finite_or_zero(c->delay_c2s_s)
                           : finite_or_zero(c->delay_s2c_s);
        if (a < w->n_inputs && b < w->n_inputs)
            w->pairs[w->n_pairs++] = (struct pair){
                a, b, (int64_t)(finite_or_zero(c->offset_s) * NS),
                (int64_t)((2 * delay + 0.001) * NS)};
    }
    w->inner.correlation(w->inner.ctx, c);
}

static void out_settled(void *ctx, int64_t now_ns, const struct tw_attempt_brief *open,
                        size_t n_open)
{
    tw_pcap_out *w = ctx;
    if (w->inner.settled)
        w->inner.settled(w->inner.ctx, now_ns, open, n_open);
}

static void out_summary(void *ctx, const struct tw_file_summary *s)
{
    tw_pcap_out *w = ctx;
    w->inner.summary(w->inner.ctx, s);
}

static void out_finish(void *ctx)
{
    tw_pcap_out *w = ctx;
    if (w->inner.finish)
        w->inner.finish(w->inner.ctx);
}

static void out_free(void *ctx)
{
    tw_pcap_out *w = ctx;
    w->inner.free(w->inner.ctx);
}

void tw_pcap_out_sink(tw_pcap_out *w, struct tw_sink *sink, const struct tw_sink *inner)
{
    w->inner = *inner;
    memset(sink, 0, sizeof *sink);
    sink->ctx = w;
    sink->attempt = out_attempt;
    sink->rst = out_rst;
    sink->correlation = out_correlation;
    sink->settled = out_settled;
    sink->summary = out_summary;
    sink->finish = out_finish;
    sink->free = out_free;
}

tw_pcap_out *tw_pcap_out_new(char *const *inputs, size_t n_inputs)
{
    tw_pcap_out *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->inputs = inputs;
    w->n_inputs = n_inputs;
    return w;
}

void tw_pcap_out_free(tw_pcap_out *w)
{
    if (!w)
        return;
    if (w->dumper)
        pcap_dump_close(w->dumper);
    if (w->dead)
        pcap_close(w->dead);
    free(w->sels);
    free(w->frames);
    free(w->last_bytes);
    free(w);
}

uint64_t tw_pcap_out_n_attempts(const tw_pcap_out *w) { return w->n_attempts; }
uint64_t tw_pcap_out_n_left_out(const tw_pcap_out *w) { return w->n_left_out; }

static int cmp_size(size_t a, size_t b) { return (a > b) - (a < b); }

static int by_selection(const void *pa, const void *pb)
{
    const struct selection *a = pa, *b = pb;
    int c = cmp_size(a->input, b->input);
    return c ? c : memcmp(a->key, b->key, sizeof a->key);
}

static int by_frame(const void *pa, const void *pb)
{
    const struct frame_ref *a = pa, *b = pb;
    int c = cmp_size(a->input, b->input);
    return c ? c : (a->frame > b->frame) - (a->frame < b->frame);
}

enum tw_status tw_pcap_out_open(tw_pcap_out *w, size_t input, const char *path, int linktype,
                                struct tw_error *err)
{
    if (!w->is_sorted) {
        if (w->n_sels)
            qsort(w->sels, w->n_sels, sizeof *w->sels, by_selection);
        if (w->n_frames)
            qsort(w->frames, w->n_frames, sizeof *w->frames, by_frame);
        w->is_sorted = true;
    }
    w->input = input;
    w->linktype = linktype;
    memset(&w->counts, 0, sizeof w->counts);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, PCAP_TSTAMP_PRECISION_NANO);
    if (!w->dead)
        return tw_fail(err, TW_E_NOMEM, path, TW_OFFSET_UNKNOWN, 0, "out of memory");
    w->dumper = pcap_dump_open(w->dead, path);
    if (!w->dumper) {
        tw_fail(err, TW_E_IO, path, TW_OFFSET_UNKNOWN, 0, "cannot write: %s", pcap_geterr(w->dead));
        pcap_close(w->dead);
        w->dead = NULL;
        return err->status;
    }
    return TW_OK;
}

static bool has_frame(const tw_pcap_out *w, uint64_t frame)
{
    struct frame_ref want = {w->input, frame};
    return w->n_frames && bsearch(&want, w->frames, w->n_frames, sizeof *w->frames, by_frame) != NULL;
}

/* Is there a selection of the open input on key covering ts_ns? */
static bool in_selection(const tw_pcap_out *w, const uint8_t key[36], int64_t ts_ns)
{
    size_t lo = 0, hi = w->n_sels;
    struct selection want;
    want.input = w->input;
    memcpy(want.key, key, sizeof want.key);
    while (lo < hi) { /* first selection >= want */
        size_t mid = lo + (hi - lo) / 2;
        if (by_selection(&w->sels[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < w->n_sels && by_selection(&w->sels[i], &want) == 0; i++)
        if (ts_ns >= w->sels[i].from_ns && ts_ns <= w->sels[i].to_ns)
            return true;
    return false;
}

static bool wanted(const tw_pcap_out *w, const struct tw_frame *fr)
{
    if (has_frame(w, fr->number))
        return true;
    struct tw_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    tw_decode_frame(fr->linktype, fr->bytes, fr->caplen, fr->wirelen, &pkt);
    const struct tw_addr *src, *dst;
    uint16_t sport, dport;
    if (pkt.l4 == TW_L4_TCP) {
        src = &pkt.src;
        dst = &pkt.dst;
        sport = pkt.tcp.sport;
        dport = pkt.tcp.dport;
    } else if (pkt.l4 == TW_L4_ICMP_ERROR && pkt.icmp.quoted_proto == 6) {
        src = &pkt.icmp.quoted_src;
        dst = &pkt.icmp.quoted_dst;
        sport = pkt.icmp.quoted_sport;
        dport = pkt.icmp.quoted_dport;
    } else {
        return false;
    }
    uint8_t key[36];
    make_key(key, src, sport, dst, dport);   /* sent by the client */
    if (in_selection(w, key, fr->ts_ns))
        return true;
    make_key(key, dst, dport, src, sport);   /* sent by the server */
    return in_selection(w, key, fr->ts_ns);
}

static void fill_header(struct pcap_pkthdr *hdr, const struct tw_frame *fr)
{
    memset(hdr, 0, sizeof *hdr);
    int64_t sec = fr->ts_ns / 1000000000, frac = fr->ts_ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    hdr->ts.tv_sec = (time_t)sec;
    hdr->ts.tv_usec = (suseconds_t)frac; /* nanoseconds: the dumper is nano precision */
    hdr->caplen = fr->caplen;
    hdr->len = fr->wirelen;
}

/* Keeps a copy of a frame that was not written, in case it is the last. */
static void keep_last(tw_pcap_out *w, const struct tw_frame *fr)
{
    w->has_last = false;
    if (fr->linktype != w->linktype)
        return;
    if (fr->caplen > w->last_cap) {
        uint8_t *b = realloc(w->last_bytes, fr->caplen);
        if (!b)
            return;
        w->last_bytes = b;
        w->last_cap = fr->caplen;
    }
    memcpy(w->last_bytes, fr->bytes, fr->caplen);
    fill_header(&w->last_hdr, fr);
    w->has_last = true;
}

enum tw_status tw_pcap_out_frame(tw_pcap_out *w, const struct tw_frame *fr, struct tw_error *err)
{
    if (!w->dumper)
        return TW_OK;
    if (!wanted(w, fr)) {
        keep_last(w, fr);
        return TW_OK;
    }
    w->has_last = false;
    if (fr->linktype != w->linktype) {
        w->counts.n_other_linktype++;
        return TW_OK;
    }
    struct pcap_pkthdr hdr;
    fill_header(&hdr, fr);
    pcap_dump((u_char *)w->dumper, &hdr, fr->bytes);
    w->counts.n_written++;
    if (ferror(pcap_dump_file(w->dumper)))
        return tw_fail(err, TW_E_IO, w->path, TW_OFFSET_UNKNOWN, 0, "cannot write: %s",
                       strerror(errno));
    return TW_OK;
}

enum tw_status tw_pcap_out_close(tw_pcap_out *w, struct tw_pcap_out_counts *counts,
                                 struct tw_error *err)
{
    enum tw_status st = TW_OK;
    if (w->dumper && w->has_last && w->n_sels) {
        /* The input's last frame ends the output too, so the written capture
         * lasts as long as the input: an attempt quiet since long before the
         * end is judged timeout there as here, not "still in progress". */
        pcap_dump((u_char *)w->dumper, &w->last_hdr, w->last_bytes);
        w->counts.n_end_marker = 1;
    }
    w->has_last = false;
    if (w->dumper) {
        if (pcap_dump_flush(w->dumper) != 0 || ferror(pcap_dump_file(w->dumper)))
            st = tw_fail(err, TW_E_IO, w->path, TW_OFFSET_UNKNOWN, 0, "cannot write: %s",
                         strerror(errno));
        pcap_dump_close(w->dumper);
        w->dumper = NULL;
    }
    if (w->dead) {
        pcap_close(w->dead);
        w->dead = NULL;
    }
    *counts = w->counts;
    return st;
}
