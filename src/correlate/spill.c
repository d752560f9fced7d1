/* The records a run keeps on a temporary file (past its budget), and their
 * merge.
 *
 * On file an attempt record is packed: its fixed fields, only the evidence
 * it holds and its explanation up to the end of the text (a few hundred
 * bytes instead of the whole record's 1.7 KB), after its size.
 *
 * Memory stays bounded: the server side's records are indexed by ISN a
 * share of the ISNs at a time (as many shares as it takes for one index to
 * fit in half the run's budget); for each share the client side's records
 * are streamed past the index, in the order they came, and written to a
 * fresh file, merged with their partner (read back from its place in the
 * server side's file) or as they were. The last share (the only one unless
 * --memcap is small) is merged as the client side's file is read to be
 * written (tw_capture_run_replay_spilled), not rewritten: the records are
 * formatted in another thread meanwhile (cli), so merging and writing
 * overlap. The merged server records on file are marked in a bitmap (a bit
 * per record) and left out when written; the others are given vantage both
 * as they are written. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/grow.h"
#include "base/tmpfile.h"
#include "correlate/internal.h"

/* The packed record's fixed part: everything before the evidence. */
#define HEAD_BYTES offsetof(struct tw_attempt_record, diag.evidence)

/* A packed record: its size, then the bytes. */
struct packed {
    uint32_t n;
    unsigned char b[sizeof(struct tw_attempt_record)];
};

static void pack(const struct tw_attempt_record *rec, struct packed *p)
{
    const struct tw_diagnosis *d = &rec->diag;
    size_t n_ev = d->n_evidence <= TW_MAX_EVIDENCE ? d->n_evidence : TW_MAX_EVIDENCE;
    size_t ev_bytes = n_ev * sizeof d->evidence[0];
    size_t why_bytes = strnlen(d->why, sizeof d->why - 1);
    memcpy(p->b, rec, HEAD_BYTES);
    memcpy(p->b + HEAD_BYTES, d->evidence, ev_bytes);
    memcpy(p->b + HEAD_BYTES + ev_bytes, d->why, why_bytes);
    p->n = (uint32_t)(HEAD_BYTES + ev_bytes + why_bytes);
}

/* False when the bytes are not a packed record. */
static bool unpack(const unsigned char *b, size_t n, struct tw_attempt_record *rec)
{
    if (n < HEAD_BYTES || n > sizeof *rec)
        return false;
    memset(rec, 0, sizeof *rec);
    memcpy(rec, b, HEAD_BYTES);
    struct tw_diagnosis *d = &rec->diag;
    size_t ev_bytes = (size_t)d->n_evidence * sizeof d->evidence[0];
    if (d->n_evidence > TW_MAX_EVIDENCE || HEAD_BYTES + ev_bytes > n ||
        n - HEAD_BYTES - ev_bytes >= sizeof d->why)
        return false;
    memcpy(d->evidence, b + HEAD_BYTES, ev_bytes);
    memcpy(d->why, b + HEAD_BYTES + ev_bytes, n - HEAD_BYTES - ev_bytes);
    return true;
}

static bool write_packed(FILE *f, const struct tw_attempt_record *rec)
{
    struct packed p;
    pack(rec, &p);
    return fwrite(&p, sizeof p.n + p.n, 1, f) == 1;
}

/* The next record of f; false at the end (or on a damaged file). */
static bool read_packed(FILE *f, struct tw_attempt_record *rec)
{
    uint32_t n = 0;
    unsigned char b[sizeof(struct tw_attempt_record)];
    return fread(&n, sizeof n, 1, f) == 1 && n <= sizeof b && fread(b, n, 1, f) == 1 &&
           unpack(b, n, rec);
}

/* The record at byte offset `at` of f (flushed). */
static bool read_packed_at(FILE *f, uint64_t at, struct tw_attempt_record *rec)
{
    struct packed p;
    ssize_t got = pread(fileno(f), &p, sizeof p, (off_t)at);
    return got >= (ssize_t)sizeof p.n && p.n <= sizeof p.b &&
           (size_t)got >= sizeof p.n + p.n && unpack(p.b, p.n, rec);
}

bool tw_spill_attempt(tw_capture_run *run, const struct tw_attempt_record *rec)
{
    if (!run->spill_atts)
        run->spill_atts = tw_tmpfile();
    return run->spill_atts && write_packed(run->spill_atts, rec);
}

static bool is_folded(const tw_capture_run *run, uint64_t i)
{
    return run->spill_merged && (run->spill_merged[i / 8] & (1u << (i % 8)));
}

static size_t share_of(uint32_t isn, size_t n_shares)
{
    uint64_t h = (uint64_t)isn * 0x9e3779b97f4a7c15ULL;
    return (size_t)((h >> 32) % n_shares);
}

/* A server record a client record may meet: in memory (at UINT64_MAX,
 * index mem) or on file (at: its number there, offset: its place). */
struct candidate {
    uint32_t isn;
    bool is_merged;
    uint64_t at, offset;
    size_t mem;
};

/* By ISN; stable: in the order they came, memory first. */
static int by_isn(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->isn != b->isn)
        return a->isn < b->isn ? -1 : 1;
    if ((a->at == UINT64_MAX) != (b->at == UINT64_MAX))
        return a->at == UINT64_MAX ? -1 : 1;
    return a->at == UINT64_MAX ? (a->mem > b->mem) - (a->mem < b->mem)
                               : (a->at > b->at) - (a->at < b->at);
}

/* The first candidate not yet merged with this ISN. */
static struct candidate *find(struct candidate *v, size_t n, uint32_t isn)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].isn < isn)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && v[lo].isn == isn; lo++)
        if (!v[lo].is_merged)
            return &v[lo];
    return NULL;
}

/* One share's server candidates, sorted: the records in memory not merged
 * yet, then the ones on file. NULL when out of memory or the file failed. */
static struct candidate *index_share(tw_capture_run *sv, size_t s, size_t n_shares, size_t *n_out)
{
    struct candidate *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < sv->n_atts; i++) {
        const struct tw_attempt_record *r = &sv->atts[i];
        if (sv->merged[i] || !r->is_isn_known || share_of(r->isn, n_shares) != s)
            continue;
        if (!tw_grow((void **)&v, &cap, n, sizeof *v, 256, SIZE_MAX / sizeof *v))
            goto fail;
        v[n++] = (struct candidate){r->isn, false, UINT64_MAX, 0, i};
    }
    if (sv->spill_atts) {
        if (fseek(sv->spill_atts, 0, SEEK_SET) != 0)
            goto fail;
        struct tw_attempt_record r;
        uint64_t offset = 0;
        for (uint64_t at = 0; at < sv->n_spilled_atts; at++) {
            if (!read_packed(sv->spill_atts, &r))
                goto fail;
            uint64_t here = offset;
            offset = (uint64_t)ftell(sv->spill_atts);
            if (!r.is_isn_known || share_of(r.isn, n_shares) != s)
                continue;
            if (!tw_grow((void **)&v, &cap, n, sizeof *v, 256, SIZE_MAX / sizeof *v))
                goto fail;
            v[n++] = (struct candidate){r.isn, false, at, here, 0};
        }
    }
    if (n)
        qsort(v, n, sizeof *v, by_isn);
    *n_out = n;
    return v ? v : malloc(1);
fail:
    free(v);
    return NULL;
}

/* Merges client record cr with the first server candidate of its ISN, or
 * alone when the server side was running and holds nothing of it. False
 * when a record on file could not be read. */
static bool merge_one(struct tw_correlation *c, const struct tw_lost_index *ix,
                      struct candidate *v, size_t n, struct tw_attempt_record *cr)
{
    tw_capture_run *sv = c->server_run;
    struct candidate *k = find(v, n, cr->isn);
    if (!k) {
        if (tw_server_covers(c, cr))
            tw_merge_attempt(c, ix, cr, NULL);
        return true;
    }
    struct tw_attempt_record on_file;
    struct tw_attempt_record *sr = &sv->atts[k->mem];
    if (k->at != UINT64_MAX) {
        sr = &on_file;
        if (!read_packed_at(sv->spill_atts, k->offset, sr))
            return false;
    }
    tw_merge_attempt(c, ix, cr, sr);
    k->is_merged = true;
    if (k->at == UINT64_MAX)
        sv->merged[k->mem] = true;
    else
        sv->spill_merged[k->at / 8] |= (uint8_t)(1u << (k->at % 8));
    return true;
}

/* The last share's merge of the client side's file, done as its records
 * are written (tw_capture_run_replay_spilled): the file is not rewritten. */
struct tw_merge_later {
    struct tw_correlation *c;
    struct tw_lost_index ix;
    struct candidate *v;
    size_t n, share, n_shares;
};

void tw_merge_later_free(struct tw_merge_later *m)
{
    if (!m)
        return;
    free(m->ix.v);
    free(m->v);
    free(m);
}

/* Merges one share: the client records in memory without a partner yet,
 * then the client side's file, rewritten in order, or (is_last) later, as
 * it is written: the file's records then meet the index in the client
 * run's merge_later, which takes ix. */
static bool merge_share(struct tw_correlation *c, struct tw_lost_index *ix, const bool *is_done,
                        size_t s, size_t n_shares, bool is_last)
{
    tw_capture_run *cl = c->client_run, *sv = c->server_run;
    size_t n = 0;
    struct candidate *v = index_share(sv, s, n_shares, &n);
    if (!v)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < cl->n_atts; i++) {
        struct tw_attempt_record *cr = &cl->atts[i];
        if (!is_done[i] && cr->is_isn_known && share_of(cr->isn, n_shares) == s)
            ok = merge_one(c, ix, v, n, cr);
    }
    if (ok && cl->spill_atts && is_last) {
        cl->merge_later = malloc(sizeof *cl->merge_later);
        if (!cl->merge_later) {
            free(v);
            return false;
        }
        *cl->merge_later = (struct tw_merge_later){c, *ix, v, n, s, n_shares};
        ix->v = NULL;
        ix->n = 0;
        return true;
    }
    if (ok && cl->spill_atts) {
        FILE *out = tw_tmpfile();
        ok = out && fseek(cl->spill_atts, 0, SEEK_SET) == 0;
        struct tw_attempt_record cr;
        for (uint64_t at = 0; ok && at < cl->n_spilled_atts; at++) {
            ok = read_packed(cl->spill_atts, &cr);
            if (ok && cr.is_isn_known && share_of(cr.isn, n_shares) == s)
                ok = merge_one(c, ix, v, n, &cr);
            ok = ok && write_packed(out, &cr);
        }
        if (ok) {
            fclose(cl->spill_atts);
            cl->spill_atts = out;
        } else if (out) {
            fclose(out);
        }
    }
    free(v);
    return ok;
}

/* The RSTs on file, judged again with the other capture. */
static bool fix_rsts(const struct tw_correlation *c, tw_capture_run *run)
{
    struct tw_rst_record r;
    for (uint64_t i = 0; run->spill_rsts && i < run->n_spilled_rsts; i++) {
        long at = (long)(i * sizeof r);
        if (fseek(run->spill_rsts, at, SEEK_SET) != 0 ||
            fread(&r, sizeof r, 1, run->spill_rsts) != 1)
            return false;
        tw_correlate_fix_rst(c, run, &r);
        if (fseek(run->spill_rsts, at, SEEK_SET) != 0 ||
            fwrite(&r, sizeof r, 1, run->spill_rsts) != 1)
            return false;
    }
    return true;
}

bool tw_merge_spilled(struct tw_correlation *c, struct tw_lost_index *ix, const bool *is_done)
{
    tw_capture_run *cl = c->client_run, *sv = c->server_run;
    bool ok = fix_rsts(c, cl) && fix_rsts(c, sv);
    if (!ok || (!cl->n_spilled_atts && !sv->n_spilled_atts))
        return ok;
    sv->spill_merged = calloc(sv->n_spilled_atts / 8 + 1, 1);
    sv->is_server_side = true;
    if (!sv->spill_merged || (sv->spill_atts && fflush(sv->spill_atts) != 0))
        return false;
    /* the readers and the window are done: an index may take what the
     * window had (half the run's budget) */
    size_t per_share = cl->budget_bytes / 2 / sizeof(struct candidate) + 1;
    size_t n_shares = (size_t)((sv->n_spilled_atts + sv->n_atts) / per_share) + 1;
    for (size_t s = 0; ok && s < n_shares; s++)
        ok = merge_share(c, ix, is_done, s, n_shares, s + 1 == n_shares);
    return ok;
}

void tw_capture_run_replay_spilled(tw_capture_run *run,
                                   void (*attempt)(void *ctx, const struct tw_attempt_record *rec),
                                   void (*rst)(void *ctx, const struct tw_rst_record *rec),
                                   void *ctx)
{
    if (run->spill_rsts && fseek(run->spill_rsts, 0, SEEK_SET) == 0) {
        struct tw_rst_record r;
        while (fread(&r, sizeof r, 1, run->spill_rsts) == 1)
            rst(ctx, &r);
    }
    struct tw_merge_later *m = run->merge_later;
    if (run->spill_atts && fseek(run->spill_atts, 0, SEEK_SET) == 0) {
        struct tw_attempt_record a;
        for (uint64_t i = 0; read_packed(run->spill_atts, &a); i++) {
            if (is_folded(run, i))
                continue; /* folded into the other run's record */
            /* a partner that cannot be read back leaves the record as it
             * was, as a record that cannot be read back ends the replay */
            if (m && a.is_isn_known && share_of(a.isn, m->n_shares) == m->share)
                merge_one(m->c, &m->ix, m->v, m->n, &a);
            if (run->is_server_side && a.is_isn_known)
                a.vantage = TW_VANTAGE_BOTH; /* only the server side saw it */
            attempt(ctx, &a);
        }
    }
    if (m) {
        tw_mark_server_only(m->c->server_run);
        tw_merge_later_free(m);
        run->merge_later = NULL;
    }
}
