/* -w: the problem attempts' packets into capture files (see pcap_out.h).
 *
 * Selections are kept sorted by (input, 4-tuple) and evidence frames by
 * (input, frame), so the second pass looks each frame up in O(log n).
 * Folded records (the other capture's view of a merged attempt) and RSTs
 * arrive in any order with respect to what they belong to: both are kept
 * until the first output opens, then resolved: a folded record counts when
 * it shares a frame with the evidence a problem record names in its file,
 * an RST when a selection of its file has its 4-tuple and ISN. */
#include "report/pcap_out.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "decode/decode.h"

#define MAX_SELECTIONS 1000000
#define MAX_FRAMES 4000000
#define MAX_RSTS 1000000

struct selection {
    size_t input;
    uint8_t key[36];       /* client addr, server addr, client port, server port */
    bool is_isn_known;
    uint32_t isn;
    int64_t from_ns, to_ns;
};

struct frame_ref {
    size_t input;
    uint64_t frame;
};

struct rst_ref {
    size_t input;
    uint8_t key[36];
    uint32_t isn;
    uint64_t frame;
};

/* A folded record, until resolved. */
struct folded {
    struct tw_attempt_view v;
    uint8_t n_frames;
    uint64_t frames[TW_MAX_EVIDENCE];
};

struct tw_pcap_out {
    struct tw_sink inner;        /* first: see tw_sink_pass_through */
    char *const *inputs;
    size_t n_inputs;
    struct selection *sels;
    size_t n_sels, cap_sels;
    struct frame_ref *frames;
    size_t n_frames, cap_frames;
    struct frame_ref *foreign;   /* evidence of problem records in another capture */
    size_t n_foreign, cap_foreign;
    struct folded *folded;
    size_t n_folded, cap_folded;
    struct rst_ref *rsts;
    size_t n_rsts, cap_rsts;
    uint64_t n_attempts, n_left_out;
    bool is_resolved;
    /* the output being written */
    size_t input;
    tw_dump *dump;
    bool has_failed;       /* a write failed: said once, not again at close */
    bool has_first_ts;
    int64_t first_ts_ns;
    struct tw_pcap_out_counts counts;
    /* the last frame read, when it was not written (see tw_pcap_out_close) */
    bool has_last;
    struct tw_frame last;
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

static void flow_key(uint8_t key[36], const struct tw_flow_key *k)
{
    make_key(key, &k->client, k->client_port, &k->server, k->server_port);
}

void tw_pcap_out_attempt_key(const struct tw_flow_key *k, bool is_from_server, uint8_t key[36])
{
    if (is_from_server)
        make_key(key, &k->server, k->server_port, &k->client, k->client_port);
    else
        flow_key(key, k);
}

bool tw_pcap_out_frame_key(const struct tw_frame *fr, uint8_t key[36])
{
    struct tw_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    tw_decode_frame(fr->linktype, fr->bytes, fr->caplen, fr->wirelen, &pkt);
    if (pkt.l4 == TW_L4_TCP)
        make_key(key, &pkt.src, pkt.tcp.sport, &pkt.dst, pkt.tcp.dport);
    else if (pkt.l4 == TW_L4_ICMP_ERROR && pkt.icmp.quoted_proto == 6)
        make_key(key, &pkt.icmp.quoted_src, pkt.icmp.quoted_sport, &pkt.icmp.quoted_dst,
                 pkt.icmp.quoted_dport);
    else
        return false;
    return true;
}

/* The input named file, or n_inputs when it is none of them. */
static size_t input_of(const tw_pcap_out *w, const char *file)
{
    return tw_input_index(w->inputs, w->n_inputs, file);
}

static bool add_selection(tw_pcap_out *w, const struct tw_attempt_view *v)
{
    if (!tw_grow((void **)&w->sels, &w->cap_sels, w->n_sels, sizeof *w->sels, 256, MAX_SELECTIONS))
        return false;
    struct selection *s = &w->sels[w->n_sels++];
    s->input = v->input;
    flow_key(s->key, &v->key);
    s->is_isn_known = v->is_isn_known;
    s->isn = v->isn;
    s->from_ns = v->first_ns;
    s->to_ns = v->last_ns;
    return true;
}

static void add_ref(struct frame_ref **list, size_t *n, size_t *cap, size_t input, uint64_t frame)
{
    if (tw_grow((void **)list, cap, *n, sizeof **list, 256, MAX_FRAMES))
        (*list)[(*n)++] = (struct frame_ref){input, frame};
}

static void note_attempt(tw_pcap_out *w, const struct tw_attempt_record *r)
{
    size_t own = input_of(w, r->file);
    if (own == w->n_inputs)
        return;
    struct tw_attempt_view v;
    tw_attempt_view_of(&v, own, r);
    if (!add_selection(w, &v)) {
        w->n_left_out++;
        return;
    }
    w->n_attempts++;
    for (int i = 0; i < r->diag.n_evidence; i++) {
        const struct tw_evidence *e = &r->diag.evidence[i];
        size_t in = e->file ? input_of(w, e->file) : own;
        if (in == w->n_inputs)
            continue;
        add_ref(&w->frames, &w->n_frames, &w->cap_frames, in, e->frame);
        if (in != own)
            add_ref(&w->foreign, &w->n_foreign, &w->cap_foreign, in, e->frame);
    }
}

static void out_attempt(void *ctx, const struct tw_attempt_record *r)
{
    tw_pcap_out *w = ctx;
    if (tw_report_is_problem(r))
        note_attempt(w, r);
    w->inner.attempt(w->inner.ctx, r);
}

static void out_folded(void *ctx, const struct tw_attempt_record *r)
{
    tw_pcap_out *w = ctx;
    size_t in = input_of(w, r->file);
    if (in < w->n_inputs && tw_grow((void **)&w->folded, &w->cap_folded, w->n_folded,
                                    sizeof *w->folded, 64, MAX_SELECTIONS)) {
        struct folded *f = &w->folded[w->n_folded++];
        memset(f, 0, sizeof *f);
        tw_attempt_view_of(&f->v, in, r);
        for (int i = 0; i < r->diag.n_evidence; i++)
            if (!r->diag.evidence[i].file || input_of(w, r->diag.evidence[i].file) == in)
                f->frames[f->n_frames++] = r->diag.evidence[i].frame;
    }
    if (w->inner.folded)
        w->inner.folded(w->inner.ctx, r);
}

static void out_rst(void *ctx, const struct tw_rst_record *r)
{
    tw_pcap_out *w = ctx;
    size_t in = input_of(w, r->file);
    if (r->is_isn_known && in < w->n_inputs &&
        tw_grow((void **)&w->rsts, &w->cap_rsts, w->n_rsts, sizeof *w->rsts, 64, MAX_RSTS)) {
        struct rst_ref *s = &w->rsts[w->n_rsts++];
        s->input = in;
        flow_key(s->key, &r->key);
        s->isn = r->isn;
        s->frame = r->frame;
    }
    w->inner.rst(w->inner.ctx, r);
}

void tw_pcap_out_sink(tw_pcap_out *w, struct tw_sink *sink, const struct tw_sink *inner)
{
    w->inner = *inner;
    tw_sink_pass_through(sink, w);
    sink->attempt = out_attempt;
    sink->folded = out_folded;
    sink->rst = out_rst;
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
    tw_dump_free(w->dump);
    free(w->sels);
    free(w->frames);
    free(w->foreign);
    free(w->folded);
    free(w->rsts);
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

static bool has_ref(const struct frame_ref *list, size_t n, size_t input, uint64_t frame)
{
    struct frame_ref want = {input, frame};
    return n && bsearch(&want, list, n, sizeof *list, by_frame) != NULL;
}

/* The first selection of input on key (sorted selections), or n_sels. */
static size_t first_selection(const tw_pcap_out *w, size_t input, const uint8_t key[36])
{
    size_t lo = 0, hi = w->n_sels;
    struct selection want;
    want.input = input;
    memcpy(want.key, key, sizeof want.key);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (by_selection(&w->sels[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool is_same(const struct selection *s, size_t input, const uint8_t key[36])
{
    return s->input == input && memcmp(s->key, key, 36) == 0;
}

/* Once, before the first output: folded records, then RSTs (see the top). */
static void resolve(tw_pcap_out *w)
{
    if (w->n_foreign)
        qsort(w->foreign, w->n_foreign, sizeof *w->foreign, by_frame);
    for (size_t i = 0; i < w->n_folded; i++) {
        const struct folded *f = &w->folded[i];
        bool is_problem = false;
        for (int k = 0; k < f->n_frames && !is_problem; k++)
            is_problem = has_ref(w->foreign, w->n_foreign, f->v.input, f->frames[k]);
        if (!is_problem ||
            !add_selection(w, &f->v))
            continue;
        for (int k = 0; k < f->n_frames; k++)
            add_ref(&w->frames, &w->n_frames, &w->cap_frames, f->v.input, f->frames[k]);
    }
    if (w->n_sels)
        qsort(w->sels, w->n_sels, sizeof *w->sels, by_selection);
    for (size_t i = 0; i < w->n_rsts; i++) {
        const struct rst_ref *r = &w->rsts[i];
        for (size_t k = first_selection(w, r->input, r->key);
             k < w->n_sels && is_same(&w->sels[k], r->input, r->key); k++)
            if (w->sels[k].is_isn_known && w->sels[k].isn == r->isn) {
                add_ref(&w->frames, &w->n_frames, &w->cap_frames, r->input, r->frame);
                break;
            }
    }
    if (w->n_frames)
        qsort(w->frames, w->n_frames, sizeof *w->frames, by_frame);
    free(w->folded);
    free(w->rsts);
    free(w->foreign);
    w->folded = NULL;
    w->rsts = NULL;
    w->foreign = NULL;
    w->n_folded = w->n_rsts = w->n_foreign = 0;
    w->is_resolved = true;
}

enum tw_status tw_pcap_out_open(tw_pcap_out *w, size_t input, const struct tw_dump_config *cfg,
                                struct tw_error *err)
{
    if (!w->is_resolved)
        resolve(w);
    w->input = input;
    w->has_failed = false;
    w->has_first_ts = false;
    w->has_last = false;
    memset(&w->counts, 0, sizeof w->counts);
    tw_dump_free(w->dump);
    w->dump = tw_dump_new(cfg);
    if (!w->dump)
        return tw_fail(err, TW_E_NOMEM, cfg->path, TW_OFFSET_UNKNOWN, 0, "out of memory");
    return TW_OK;
}

/* Is there a selection of the open input on key covering ts_ns? */
static bool in_selection(const tw_pcap_out *w, const uint8_t key[36], int64_t ts_ns)
{
    for (size_t i = first_selection(w, w->input, key);
         i < w->n_sels && is_same(&w->sels[i], w->input, key); i++)
        if (ts_ns >= w->sels[i].from_ns && ts_ns <= w->sels[i].to_ns)
            return true;
    return false;
}

static bool wanted(const tw_pcap_out *w, const struct tw_frame *fr)
{
    if (has_ref(w->frames, w->n_frames, w->input, fr->number))
        return true;
    uint8_t key[36], back[36];
    if (!tw_pcap_out_frame_key(fr, key))
        return false;
    /* sent by the client, or by the server */
    memcpy(back, key + 16, 16);
    memcpy(back + 16, key, 16);
    memcpy(back + 32, key + 34, 2);
    memcpy(back + 34, key + 32, 2);
    return in_selection(w, key, fr->ts_ns) || in_selection(w, back, fr->ts_ns);
}

/* Keeps a copy of a frame that was not written, in case it is the last. */
static void keep_last(tw_pcap_out *w, const struct tw_frame *fr)
{
    w->has_last = false;
    if (fr->caplen > w->last_cap) {
        uint8_t *b = realloc(w->last_bytes, fr->caplen);
        if (!b)
            return;
        w->last_bytes = b;
        w->last_cap = fr->caplen;
    }
    memcpy(w->last_bytes, fr->bytes, fr->caplen);
    w->last = *fr;
    w->last.bytes = w->last_bytes;
    w->has_last = true;
}

static enum tw_status write_frame(tw_pcap_out *w, const struct tw_frame *fr, struct tw_error *err)
{
    bool is_written;
    if (w->has_failed)
        return TW_OK;
    if (tw_dump_frame(w->dump, fr, &is_written, err) != TW_OK) {
        w->has_failed = true;
        return err->status;
    }
    if (is_written)
        w->counts.n_written++;
    else
        w->counts.n_other_linktype++;
    return TW_OK;
}

enum tw_status tw_pcap_out_frame(tw_pcap_out *w, const struct tw_frame *fr, struct tw_error *err)
{
    if (!w->dump)
        return TW_OK;
    if (!w->has_first_ts) {
        w->first_ts_ns = fr->ts_ns;
        w->has_first_ts = true;
    }
    if (!wanted(w, fr)) {
        keep_last(w, fr);
        return TW_OK;
    }
    w->has_last = false;
    return write_frame(w, fr, err);
}

enum tw_status tw_pcap_out_close(tw_pcap_out *w, struct tw_pcap_out_counts *counts,
                                 struct tw_error *err)
{
    enum tw_status st = TW_OK;
    if (w->dump && w->has_last && w->n_sels) {
        /* The input's last frame ends the output too, so the written capture
         * lasts as long as the input: an attempt quiet since long before the
         * end is judged timeout there as here, not "still in progress". */
        uint64_t n_before = w->counts.n_written;
        st = write_frame(w, &w->last, err);
        if (w->counts.n_written > n_before) {
            w->counts.n_written = n_before;
            w->counts.n_end_marker = 1;
        } else if (st == TW_OK) {
            w->counts.n_other_linktype--; /* not selected: not counted */
        }
    }
    w->has_last = false;
    if (w->dump) {
        enum tw_status fst = tw_dump_finish(w->dump, w->has_failed || st != TW_OK,
                                            w->has_first_ts ? w->first_ts_ns : 0,
                                            &w->counts.files, err);
        if (st == TW_OK && !w->has_failed) /* a failed write was said already */
            st = fst;
        tw_dump_free(w->dump);
        w->dump = NULL;
    }
    *counts = w->counts;
    return st;
}
