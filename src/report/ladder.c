/* Ladder diagrams: the evidence of one attempt drawn between its two hosts
 * (see ladder.h for what is shown and how numbers are named).
 *
 * Rows are built from the evidence list; with two captures, a packet of the
 * second file with the same fingerprint (direction, flags, seq, ack, length,
 * TSval, TSecr) as an unpaired packet of the first is the same packet seen
 * at the other point, and the nearest in time is taken. Packets lost between
 * the points are never paired (they reached only one of them). Times are on
 * the record's file's clock (the client side's, for a merged record); a
 * packet only the other file holds is moved onto it by an offset bounded
 * from the pairs themselves, as correlate/ does (a client packet reaches the
 * server side after it left, a server packet leaves before it arrives). */
#include "report/ladder.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "base/seq.h"
#include "report/sink.h"

#define MIN_ARROW 18
#define MAX_ARROW 36
#define MIN_WIDTH 40
#define LINE_MAX 2048
#define MAX_TOKENS 12
#define TOKEN_MAX 64
#define MAX_NAMES 3

/* ANSI SGR colours */
#define C_CLIENT "36"      /* cyan: client -> server */
#define C_SERVER "32"      /* green: server -> client */
#define C_RST "1;31"       /* bold red */
#define C_LOST "1;31"
#define C_ODD "1;33"       /* bold yellow: stale and challenge ACKs */
#define C_RETRANS "33"     /* yellow */
#define C_DIM "2"

struct row {
    const struct tw_evidence *ev;   /* the packet's fields, from its first sighting */
    bool is_seen[2];                /* [0]: the record's own file, [1]: the other one */
    uint64_t frame[2];
    int64_t ts_ns[2];
    int64_t t_ns;                   /* on the record's file's clock */
    bool is_lost;
    int order;
};

/* Names for ISNs (x, z, v for the client; y, w, u for the server) and for
 * each side's first TSval. */
struct names {
    uint32_t client[MAX_NAMES], server[MAX_NAMES];
    int n_client, n_server;
    bool has_tc, has_ts;
    uint32_t tc, ts;
};

static const char client_letters[MAX_NAMES] = {'x', 'z', 'v'};
static const char server_letters[MAX_NAMES] = {'y', 'w', 'u'};

/* A line being built: bytes, and the columns they take on screen (colour
 * codes take none). */
struct line {
    char buf[LINE_MAX];
    size_t len;
    int cols;
    bool is_color;
};

static void put_raw(struct line *l, const char *s, int cols)
{
    size_t n = strlen(s);
    if (n >= sizeof l->buf - l->len)
        n = sizeof l->buf - l->len - 1;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
    l->cols += cols;
}

/* Text in a colour (NULL: none). */
static void put(struct line *l, const char *color, const char *s)
{
    if (color && l->is_color) {
        put_raw(l, "\x1b[", 0);
        put_raw(l, color, 0);
        put_raw(l, "m", 0);
    }
    put_raw(l, s, tw_text_cols(s));
    if (color && l->is_color)
        put_raw(l, "\x1b[0m", 0);
}

static void put_spaces(struct line *l, int n)
{
    for (int i = 0; i < n; i++)
        put_raw(l, " ", 1);
}

static void put_right(struct line *l, const char *s, int width)
{
    put_spaces(l, width - tw_text_cols(s));
    put(l, NULL, s);
}

static void flush_line(FILE *out, struct line *l)
{
    /* no trailing blanks */
    while (l->len && l->buf[l->len - 1] == ' ')
        l->buf[--l->len] = '\0';
    fputs(l->buf, out);
    fputc('\n', out);
    l->len = 0;
    l->cols = 0;
    l->buf[0] = '\0';
}

static void add_name(uint32_t *set, int *n, uint32_t v)
{
    for (int i = 0; i < *n; i++)
        if (set[i] == v)
            return;
    if (*n < MAX_NAMES)
        set[(*n)++] = v;
}

/* v as "x", "x+1", "y-1", or absolute when no name is near. */
static void seq_text(char *buf, size_t size, uint32_t v, const uint32_t *set, int n,
                     const char *letters)
{
    for (int i = 0; i < n; i++) {
        int32_t d = tw_seq_diff(set[i], v);
        if (d == 0) {
            snprintf(buf, size, "%c", letters[i]);
            return;
        }
        if (d > 0 && d < (1 << 24)) {
            snprintf(buf, size, "%c+%ld", letters[i], (long)d);
            return;
        }
        if (d < 0 && d > -16) {
            snprintf(buf, size, "%c%ld", letters[i], (long)d);
            return;
        }
    }
    snprintf(buf, size, "%lu", (unsigned long)v);
}

/* A TCP timestamp relative to a side's first TSval (RFC 7323 clocks tick
 * between 1 ms and 1 s, so a handshake stays within a few thousand). */
static void ts_text(char *buf, size_t size, uint32_t v, bool has_base, uint32_t base,
                    const char *name)
{
    int32_t d = has_base ? tw_seq_diff(base, v) : 0;
    if (!has_base || d > 100000000 || d < -100000000)
        snprintf(buf, size, "%lu", (unsigned long)v);
    else if (d == 0)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%s%+ld", name, (long)d);
}

static const char *icmp_kind(uint8_t type, bool is_v6)
{
    if (!is_v6)
        switch (type) {
        case 3:
            return N_("unreachable");
        case 4:
            return N_("source quench");
        case 11:
            return N_("time exceeded");
        case 12:
            return N_("parameter problem");
        default:
            return N_("error");
        }
    switch (type) {
    case 1:
        return N_("unreachable");
    case 2:
        return N_("packet too big");
    case 3:
        return N_("time exceeded");
    case 4:
        return N_("parameter problem");
    default:
        return N_("error");
    }
}

static void flags_text(char *buf, size_t size, uint8_t f)
{
    static const struct { uint8_t bit; const char *name; } order[] = {
        {TW_TCP_SYN, "SYN"}, {TW_TCP_FIN, "FIN"}, {TW_TCP_RST, "RST"},
        {TW_TCP_PSH, "PSH"}, {TW_TCP_URG, "URG"}, {TW_TCP_ACK, "ACK"},
    };
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(f & order[i].bit))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? "+" : "", order[i].name);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
    if (!len)
        snprintf(buf, size, "none");
}

static bool same_packet(const struct tw_evidence *a, const struct tw_evidence *b)
{
    return a->is_from_client == b->is_from_client && a->tcp_flags == b->tcp_flags &&
           a->seq == b->seq && a->ack == b->ack && a->payload_len == b->payload_len &&
           a->has_ts == b->has_ts && (!a->has_ts || (a->tsval == b->tsval && a->tsecr == b->tsecr)) &&
           a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code;
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

/* Rows from the evidence; returns how many. */
static int build_rows(const struct tw_attempt_record *r, struct row *rows, bool *has_two,
                      const char **other_file)
{
    int n = 0;
    *has_two = false;
    *other_file = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < r->diag.n_evidence; i++) {
            const struct tw_evidence *e = &r->diag.evidence[i];
            int fi = !e->file || strcmp(e->file, r->file) == 0 ? 0 : 1;
            if (fi != pass)
                continue;
            if (fi == 1) {
                *has_two = true;
                *other_file = e->file;
            }
            struct row *match = NULL;
            if (fi == 1 && !e->is_lost)
                for (int k = 0; k < n; k++) {
                    struct row *c = &rows[k];
                    if (c->is_seen[1] || c->is_lost || !same_packet(c->ev, e))
                        continue;
                    if (!match || abs64(c->ts_ns[0] - e->ts_ns) < abs64(match->ts_ns[0] - e->ts_ns))
                        match = c;
                }
            if (!match) {
                match = &rows[n];
                memset(match, 0, sizeof *match);
                match->ev = e;
                match->order = n++;
            }
            match->is_seen[fi] = true;
            match->frame[fi] = e->frame;
            match->ts_ns[fi] = e->ts_ns;
            match->is_lost = match->is_lost || e->is_lost;
        }
    }
    return n;
}

/* The other file's clock minus the record's file's, bounded by causality. */
static int64_t estimate_offset(const struct row *rows, int n)
{
    bool has_hi = false, has_lo = false;
    int64_t hi = 0, lo = 0;
    for (int i = 0; i < n; i++) {
        if (!rows[i].is_seen[0] || !rows[i].is_seen[1])
            continue;
        int64_t d = rows[i].ts_ns[1] - rows[i].ts_ns[0];
        if (rows[i].ev->is_from_client) {
            if (!has_hi || d < hi)
                hi = d;
            has_hi = true;
        } else {
            if (!has_lo || d > lo)
                lo = d;
            has_lo = true;
        }
    }
    if (has_hi && has_lo)
        return lo + (hi - lo) / 2;
    return has_hi ? hi : has_lo ? lo : 0;
}

static void sort_rows(struct row *rows, int n)
{
    for (int i = 1; i < n; i++) {
        struct row tmp = rows[i];
        int j = i - 1;
        while (j >= 0 && (rows[j].t_ns > tmp.t_ns ||
                          (rows[j].t_ns == tmp.t_ns && rows[j].order > tmp.order))) {
            rows[j + 1] = rows[j];
            j--;
        }
        rows[j + 1] = tmp;
    }
}

static void collect_names(const struct tw_attempt_record *r, const struct row *rows, int n,
                          struct names *nm)
{
    memset(nm, 0, sizeof *nm);
    if (r->is_isn_known)
        add_name(nm->client, &nm->n_client, r->isn);
    for (int i = 0; i < n; i++) {
        const struct tw_evidence *e = rows[i].ev;
        if (!e->tcp_flags)
            continue;
        if (e->is_from_client && (e->tcp_flags & (TW_TCP_SYN | TW_TCP_ACK)) == TW_TCP_SYN)
            add_name(nm->client, &nm->n_client, e->seq);
        if (!e->is_from_client && (e->tcp_flags & (TW_TCP_SYN | TW_TCP_ACK)) == (TW_TCP_SYN | TW_TCP_ACK))
            add_name(nm->server, &nm->n_server, e->seq);
        if (e->has_ts && e->is_from_client && !nm->has_tc) {
            nm->has_tc = true;
            nm->tc = e->tsval;
        }
        if (e->has_ts && !e->is_from_client && !nm->has_ts) {
            nm->has_ts = true;
            nm->ts = e->tsval;
        }
    }
}

struct tokens {
    char text[MAX_TOKENS][TOKEN_MAX];
    const char *color[MAX_TOKENS];
    int n;
};

static void add_token(struct tokens *t, const char *color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_token(struct tokens *t, const char *color, const char *fmt, ...)
{
    if (t->n == MAX_TOKENS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->text[t->n], TOKEN_MAX, fmt, ap);
    va_end(ap);
    t->color[t->n++] = color;
}

static int tokens_cols(const struct tokens *t)
{
    int cols = 0;
    for (int i = 0; i < t->n; i++)
        cols += tw_text_cols(t->text[i]) + (i ? 1 : 0);
    return cols;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_rst(const struct tw_evidence *e) { return (e->tcp_flags & TW_TCP_RST) != 0; }

static bool is_odd_ack(const struct tw_evidence *e)
{
    return strcmp(e->role, "stale_ack") == 0 || strcmp(e->role, "challenge_ack") == 0;
}

/* The fields and marks written to the right of a row's arrow. */
static void row_tokens(const struct tw_attempt_record *r, const struct row *row,
                       const struct names *nm, struct tokens *t)
{
    const struct tw_evidence *e = row->ev;
    bool is_v6 = !tw_addr_is_v4(&r->key.client);
    char a[32], b[32];
    memset(t, 0, sizeof *t);
    if (!e->tcp_flags) {
        add_token(t, NULL, "%s %u/%u", _(icmp_kind(e->icmp_type, is_v6)), e->icmp_type,
                  e->icmp_code);
        seq_text(a, sizeof a, e->seq, nm->client, nm->n_client, client_letters);
        add_token(t, NULL, _("quotes seq=%s"), a);
    } else {
        const uint32_t *own = e->is_from_client ? nm->client : nm->server;
        const uint32_t *peer = e->is_from_client ? nm->server : nm->client;
        int n_own = e->is_from_client ? nm->n_client : nm->n_server;
        int n_peer = e->is_from_client ? nm->n_server : nm->n_client;
        const char *own_l = e->is_from_client ? client_letters : server_letters;
        const char *peer_l = e->is_from_client ? server_letters : client_letters;
        seq_text(a, sizeof a, e->seq, own, n_own, own_l);
        add_token(t, NULL, "seq=%s", a);
        if (e->tcp_flags & TW_TCP_ACK) {
            seq_text(b, sizeof b, e->ack, peer, n_peer, peer_l);
            add_token(t, is_odd_ack(e) ? C_ODD : NULL, "ack=%s", b);
        }
        if (e->payload_len)
            add_token(t, NULL, "len=%lu", (unsigned long)e->payload_len);
        if (e->has_ts) {
            ts_text(a, sizeof a, e->tsval, e->is_from_client ? nm->has_tc : nm->has_ts,
                    e->is_from_client ? nm->tc : nm->ts, e->is_from_client ? "Tc" : "Ts");
            add_token(t, NULL, "TSval=%s", a);
            if ((e->tcp_flags & TW_TCP_ACK) || e->tsecr) {
                ts_text(b, sizeof b, e->tsecr, e->is_from_client ? nm->has_ts : nm->has_tc,
                        e->is_from_client ? nm->ts : nm->tc, e->is_from_client ? "Ts" : "Tc");
                add_token(t, NULL, "TSecr=%s", b);
            }
        }
    }
    if (has_suffix(e->role, "_retrans"))
        add_token(t, C_RETRANS, "%s", _("retrans"));
    if (strcmp(e->role, "retry_syn") == 0)
        add_token(t, NULL, "%s", _("new ISN"));
    if (strcmp(e->role, "stale_ack") == 0)
        add_token(t, C_ODD, "%s", _("STALE ACK"));
    if (strcmp(e->role, "challenge_ack") == 0)
        add_token(t, C_ODD, "%s", _("CHALLENGE ACK"));
    if (row->is_lost)
        add_token(t, C_LOST, "%s", _("LOST"));
}

/* The arrow between the two bars, inner_cols wide. */
static void put_arrow(struct line *l, const struct row *row, int inner_cols)
{
    const struct tw_evidence *e = row->ev;
    char label[24], arrow[MAX_ARROW + 1];
    if (e->tcp_flags)
        flags_text(label, sizeof label, e->tcp_flags);
    else
        snprintf(label, sizeof label, "%s", "ICMP");
    char body = is_rst(e) ? '=' : '-';
    int len = inner_cols;
    memset(arrow, body, (size_t)len);
    arrow[len] = '\0';
    /* a lost packet stops three quarters of the way, in an X */
    int reach = row->is_lost ? len * 3 / 4 : len;
    int from, to; /* the drawn span [from, to) */
    if (e->is_from_client) {
        from = 0;
        to = reach;
        arrow[to - 1] = row->is_lost ? 'X' : '>';
        for (int i = to; i < len; i++)
            arrow[i] = ' ';
    } else {
        from = len - reach;
        to = len;
        arrow[from] = row->is_lost ? 'X' : '<';
        for (int i = 0; i < from; i++)
            arrow[i] = ' ';
    }
    int span = to - from - 4; /* keep two body chars at each end */
    int n = (int)strlen(label);
    if (n > span)
        n = span > 0 ? span : 0;
    if (n > 0) {
        int at = from + 2 + (span - n) / 2;
        arrow[at - 1] = ' ';
        memcpy(arrow + at, label, (size_t)n);
        arrow[at + n] = ' ';
    }
    const char *color = row->is_lost || is_rst(e) ? C_RST
                        : is_odd_ack(e)           ? C_ODD
                        : e->is_from_client       ? C_CLIENT
                                                  : C_SERVER;
    put(l, NULL, "|");
    put(l, color, arrow);
    put(l, NULL, "|");
}

static void time_text(char *buf, size_t size, int64_t ns)
{
    snprintf(buf, size, "%.3f", (double)ns / 1e6);
}

static void frame_text(char *buf, size_t size, const struct row *row, int fi)
{
    if (row->is_seen[fi])
        snprintf(buf, size, "%llu", (unsigned long long)row->frame[fi]);
    else
        snprintf(buf, size, "-");
}

/* Tokens after a prefix, wrapped onto continuation lines (prefix drawn by
 * cont()) when they do not fit in width_cols. */
static void put_tokens(FILE *out, struct line *l, const struct tokens *t, int width_cols,
                       void (*cont)(struct line *l, const void *ctx), const void *ctx)
{
    int start = l->cols;
    for (int i = 0; i < t->n; i++) {
        int w = tw_text_cols(t->text[i]);
        if (l->cols > start && l->cols + 1 + w > width_cols) {
            flush_line(out, l);
            cont(l, ctx);
            start = l->cols;
        }
        if (l->cols > start)
            put(l, NULL, " ");
        put(l, t->color[i], t->text[i]);
    }
    flush_line(out, l);
}

struct layout {
    const char *indent;
    int frame_cols;    /* single file: one column; two files: two */
    int frame_cols2;
    bool has_two;
    int time_cols;
    int arrow_inner;
    int rest_at;       /* column where the tokens begin */
};

static void put_prefix_blank(struct line *l, const void *ctx)
{
    const struct layout *lay = ctx;
    put(l, NULL, lay->indent);
    put_spaces(l, lay->frame_cols + (lay->has_two ? 1 + lay->frame_cols2 : 0) + 2 + lay->time_cols + 2);
    put(l, NULL, "|");
    put_spaces(l, lay->arrow_inner);
    put(l, NULL, "|  ");
}

static void put_legend_cont(struct line *l, const void *ctx)
{
    put(l, NULL, (const char *)ctx);
    put(l, NULL, "  ");
}

static void print_legend(FILE *out, const struct names *nm, const struct layout *lay,
                         const char *file0, const char *file1, int width_cols, bool is_color)
{
    struct tokens t;
    memset(&t, 0, sizeof t);
    static const char *const client_what[MAX_NAMES] = {N_("client ISN"), N_("later client ISN"),
                                                       N_("third client ISN")};
    static const char *const server_what[MAX_NAMES] = {N_("server ISN"), N_("its other ISN"),
                                                       N_("third server ISN")};
    for (int i = 0; i < nm->n_client; i++)
        add_token(&t, NULL, "%c=%lu %s%s", client_letters[i], (unsigned long)nm->client[i],
                  _(client_what[i]), i + 1 < nm->n_client || nm->n_server ? "," : "");
    for (int i = 0; i < nm->n_server; i++)
        add_token(&t, NULL, "%c=%lu %s%s", server_letters[i], (unsigned long)nm->server[i],
                  _(server_what[i]), i + 1 < nm->n_server ? "," : "");
    if (nm->has_tc || nm->has_ts) {
        if (t.n)
            snprintf(t.text[t.n - 1] + strlen(t.text[t.n - 1]),
                     TOKEN_MAX - strlen(t.text[t.n - 1]), ";");
        if (nm->has_tc)
            add_token(&t, NULL, "Tc=%lu%s", (unsigned long)nm->tc, nm->has_ts ? "," : "");
        if (nm->has_ts)
            add_token(&t, NULL, "Ts=%lu", (unsigned long)nm->ts);
        add_token(&t, NULL, "%s", _("first TSvals"));
    }
    struct line l = {.is_color = is_color};
    if (t.n) {
        put(&l, NULL, lay->indent);
        put(&l, C_DIM, _("where"));
        put(&l, NULL, " ");
        put_tokens(out, &l, &t, width_cols, put_legend_cont, lay->indent);
    }
    if (lay->has_two) {
        char buf[600];
        snprintf(buf, sizeof buf, _("frames: C = %s (client side), S = %s (server side)"), file0,
                 file1);
        put(&l, NULL, lay->indent);
        put(&l, NULL, buf);
        flush_line(out, &l);
    }
}

void tw_report_ladder(FILE *out, const struct tw_attempt_record *r,
                      const struct tw_ladder_style *style)
{
    struct row rows[TW_MAX_EVIDENCE];
    bool has_two;
    const char *other_file;
    int n = build_rows(r, rows, &has_two, &other_file);
    if (n == 0)
        return;
    int64_t offset = estimate_offset(rows, n);
    int64_t base = r->first_ns;
    for (int i = 0; i < n; i++) {
        rows[i].t_ns = rows[i].is_seen[0] ? rows[i].ts_ns[0] : rows[i].ts_ns[1] - offset;
        if (rows[i].t_ns < base || base == 0)
            base = rows[i].t_ns;
    }
    sort_rows(rows, n);
    struct names nm;
    collect_names(r, rows, n, &nm);

    int width = style->width_cols < MIN_WIDTH ? MIN_WIDTH : style->width_cols;
    struct layout lay = {.indent = style->indent ? style->indent : "", .has_two = has_two};
    lay.frame_cols = has_two ? 1 : tw_text_cols(_("frame"));
    lay.frame_cols2 = 1;
    lay.time_cols = 2; /* "ms" */
    int rest_max = 0;
    struct tokens toks[TW_MAX_EVIDENCE];
    for (int i = 0; i < n; i++) {
        char buf[48];
        frame_text(buf, sizeof buf, &rows[i], 0);
        if ((int)strlen(buf) > lay.frame_cols)
            lay.frame_cols = (int)strlen(buf);
        frame_text(buf, sizeof buf, &rows[i], 1);
        if ((int)strlen(buf) > lay.frame_cols2)
            lay.frame_cols2 = (int)strlen(buf);
        time_text(buf, sizeof buf, rows[i].t_ns - base);
        if ((int)strlen(buf) > lay.time_cols)
            lay.time_cols = (int)strlen(buf);
        row_tokens(r, &rows[i], &nm, &toks[i]);
        if (tokens_cols(&toks[i]) > rest_max)
            rest_max = tokens_cols(&toks[i]);
    }
    int prefix = (int)strlen(lay.indent) + lay.frame_cols + (has_two ? 1 + lay.frame_cols2 : 0) +
                 2 + lay.time_cols + 2;
    int arrow = width - prefix - 2 - rest_max;
    arrow = arrow < MIN_ARROW ? MIN_ARROW : arrow > MAX_ARROW ? MAX_ARROW : arrow;
    lay.arrow_inner = arrow - 2;
    lay.rest_at = prefix + arrow + 2;

    print_legend(out, &nm, &lay, r->file, other_file, width, style->is_color);

    /* header: frame column(s), "ms", then the two hosts over their bars */
    struct line l = {.is_color = style->is_color};
    put(&l, NULL, lay.indent);
    if (has_two) {
        put_right(&l, "C", lay.frame_cols);
        put(&l, NULL, " ");
        put_right(&l, "S", lay.frame_cols2);
    } else {
        put_right(&l, _("frame"), lay.frame_cols);
    }
    put(&l, NULL, "  ");
    put_right(&l, "ms", lay.time_cols);
    put(&l, NULL, "  ");
    const char *client = _("client"), *server = _("server");
    put(&l, C_DIM, client);
    put_spaces(&l, arrow - tw_text_cols(client) - tw_text_cols(server));
    put(&l, C_DIM, server);
    flush_line(out, &l);

    for (int i = 0; i < n; i++) {
        char buf[48];
        put(&l, NULL, lay.indent);
        frame_text(buf, sizeof buf, &rows[i], 0);
        put_right(&l, buf, lay.frame_cols);
        if (has_two) {
            put(&l, NULL, " ");
            frame_text(buf, sizeof buf, &rows[i], 1);
            put_right(&l, buf, lay.frame_cols2);
        }
        put(&l, NULL, "  ");
        time_text(buf, sizeof buf, rows[i].t_ns - base);
        put_right(&l, buf, lay.time_cols);
        put(&l, NULL, "  ");
        put_arrow(&l, &rows[i], lay.arrow_inner);
        put(&l, NULL, "  ");
        put_tokens(out, &l, &toks[i], width, put_prefix_blank, &lay);
    }
}
