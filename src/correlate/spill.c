/* Merging the records a run kept on a temporary file (past its budget).
 *
 * Memory stays bounded: the records are split by ISN into as many shares
 * as it takes for one share of the server side's to fit in the budget of
 * the records; each share is merged in memory (server records indexed by
 * ISN, client records streamed past them), and every record goes back to
 * its own place in its run's file, so that they are written in the order
 * they came. The merged server records on file are marked in a bitmap (a
 * bit per record) and left out when written. */
#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"

/* A record on file, with its place there. */
struct placed {
    struct tw_attempt_record rec;
    uint64_t at;
};

static size_t share_of(uint32_t isn, size_t n_shares)
{
    uint64_t h = (uint64_t)isn * 0x9e3779b97f4a7c15ULL;
    return (size_t)((h >> 32) % n_shares);
}

static bool write_at(FILE *f, uint64_t at, const struct tw_attempt_record *rec)
{
    return fseek(f, (long)(at * sizeof *rec), SEEK_SET) == 0 && fwrite(rec, sizeof *rec, 1, f) == 1;
}

/* Splits a run's file of records into shares (one temporary file each). */
static bool split(tw_capture_run *run, FILE **share, size_t n_shares)
{
    if (!run->spill_atts || fseek(run->spill_atts, 0, SEEK_SET) != 0)
        return run->n_spilled_atts == 0;
    struct placed p;
    for (p.at = 0; p.at < run->n_spilled_atts; p.at++) {
        if (fread(&p.rec, sizeof p.rec, 1, run->spill_atts) != 1)
            return false;
        if (!p.rec.is_isn_known)
            continue;
        FILE **f = &share[share_of(p.rec.isn, n_shares)];
        if (!*f)
            *f = tmpfile();
        if (!*f || fwrite(&p, sizeof p, 1, *f) != 1)
            return false;
    }
    return true;
}

/* Candidates on the server side for one share, indexed by ISN (stable: in
 * the order they came, memory first). */
struct candidate {
    struct tw_attempt_record *rec;
    uint64_t at; /* place on file, or UINT64_MAX: in memory (index mem) */
    size_t mem;
    bool is_merged;
};

static int by_isn(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->rec->isn != b->rec->isn)
        return a->rec->isn < b->rec->isn ? -1 : 1;
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
        if (v[mid].rec->isn < isn)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && v[lo].rec->isn == isn; lo++)
        if (!v[lo].is_merged)
            return &v[lo];
    return NULL;
}

static void mark_merged(tw_capture_run *sv, struct candidate *k)
{
    k->is_merged = true;
    if (k->at == UINT64_MAX)
        sv->merged[k->mem] = true;
    else
        sv->spill_merged[k->at / 8] |= (uint8_t)(1u << (k->at % 8));
}

/* Merges one share: the server side's candidates loaded, the client side's
 * records streamed past them. */
static bool merge_share(struct tw_correlation *c, const struct tw_lost_index *ix,
                        const bool *is_done, size_t s, size_t n_shares, FILE *sv_share,
                        FILE *cl_share)
{
    tw_capture_run *cl = c->client_run, *sv = c->server_run;
    size_t n_file = 0;
    struct placed *loaded = NULL;
    if (sv_share) {
        long bytes = fseek(sv_share, 0, SEEK_END) == 0 ? ftell(sv_share) : -1;
        if (bytes < 0 || fseek(sv_share, 0, SEEK_SET) != 0)
            return false;
        n_file = (size_t)bytes / sizeof *loaded;
        loaded = malloc((n_file ? n_file : 1) * sizeof *loaded);
        if (!loaded || fread(loaded, sizeof *loaded, n_file, sv_share) != n_file) {
            free(loaded);
            return false;
        }
    }
    size_t n = 0;
    struct candidate *v = malloc((sv->n_atts + n_file + 1) * sizeof *v);
    if (!v) {
        free(loaded);
        return false;
    }
    for (size_t i = 0; i < sv->n_atts; i++)
        if (!sv->merged[i] && sv->atts[i].is_isn_known && share_of(sv->atts[i].isn, n_shares) == s)
            v[n++] = (struct candidate){&sv->atts[i], UINT64_MAX, i, false};
    for (size_t i = 0; i < n_file; i++)
        v[n++] = (struct candidate){&loaded[i].rec, loaded[i].at, 0, false};
    qsort(v, n, sizeof *v, by_isn);

    bool ok = true;
    /* client records in memory first, as they came; then those on file */
    for (size_t i = 0; i < cl->n_atts; i++) {
        struct tw_attempt_record *cr = &cl->atts[i];
        if (is_done[i] || !cr->is_isn_known || share_of(cr->isn, n_shares) != s)
            continue;
        struct candidate *k = find(v, n, cr->isn);
        if (!k && !tw_server_covers(c, cr))
            continue;
        tw_merge_attempt(c, ix, cr, k ? k->rec : NULL);
        if (k)
            mark_merged(sv, k);
    }
    struct placed p;
    if (cl_share && fseek(cl_share, 0, SEEK_SET) != 0)
        ok = false;
    while (ok && cl_share && fread(&p, sizeof p, 1, cl_share) == 1) {
        struct candidate *k = find(v, n, p.rec.isn);
        if (!k && !tw_server_covers(c, &p.rec))
            continue;
        tw_merge_attempt(c, ix, &p.rec, k ? k->rec : NULL);
        if (k)
            mark_merged(sv, k);
        ok = write_at(cl->spill_atts, p.at, &p.rec);
    }
    /* the server records on file left alone: only the server side saw them */
    for (size_t i = 0; ok && i < n_file; i++) {
        struct tw_attempt_record *sr = &loaded[i].rec;
        if (sv->spill_merged[loaded[i].at / 8] & (1u << (loaded[i].at % 8)))
            continue;
        sr->vantage = TW_VANTAGE_BOTH;
        ok = write_at(sv->spill_atts, loaded[i].at, sr);
    }
    free(v);
    free(loaded);
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

bool tw_merge_spilled(struct tw_correlation *c, const struct tw_lost_index *ix, const bool *is_done)
{
    tw_capture_run *cl = c->client_run, *sv = c->server_run;
    bool ok = fix_rsts(c, cl) && fix_rsts(c, sv);
    if (!ok || (!cl->n_spilled_atts && !sv->n_spilled_atts))
        return ok;
    sv->spill_merged = calloc(sv->n_spilled_atts / 8 + 1, 1);
    /* the readers and the window are done: a share may take what the
     * window had (half the run's budget) */
    size_t per_share = cl->budget_bytes / 2 / sizeof(struct placed) + 1;
    size_t n_shares = (size_t)(sv->n_spilled_atts / per_share) + 1;
    FILE **sv_share = calloc(n_shares, sizeof *sv_share);
    FILE **cl_share = calloc(n_shares, sizeof *cl_share);
    ok = sv->spill_merged && sv_share && cl_share && split(sv, sv_share, n_shares) &&
         split(cl, cl_share, n_shares);
    for (size_t s = 0; ok && s < n_shares; s++)
        ok = merge_share(c, ix, is_done, s, n_shares, sv_share[s], cl_share[s]);
    for (size_t s = 0; s < n_shares; s++) {
        if (sv_share && sv_share[s])
            fclose(sv_share[s]);
        if (cl_share && cl_share[s])
            fclose(cl_share[s]);
    }
    free(sv_share);
    free(cl_share);
    return ok;
}
