/* -w: read each input a second time and write the packets of its problem
 * attempts (report/pcap_out.c chooses them). The same BPF filter is applied
 * again, so frame numbers are those of the first pass. One output per
 * input: two captures of the same traffic would hold each packet twice, and
 * behind a NAT with other addresses. A pcapng input gives a pcapng output
 * (its link types and timestamp resolutions found by a survey of the
 * file), a pcap input a pcap. */
#include "cli/rewrite.h"

#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "capture/pcapng.h"
#include "report/progress.h"

/* "dir/client.pcap" -> "client" */
static void stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, size, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = '\0';
}

void tw_cli_write_path(const struct tw_cli_options *o, size_t i, char *buf, size_t size)
{
    if (o->n_files <= 1) {
        snprintf(buf, size, "%s", o->write_file);
        return;
    }
    char name[256], other[256];
    stem(o->files[i], name, sizeof name);
    bool is_shared = false;
    for (size_t k = 0; k < o->n_files && !is_shared; k++) {
        stem(o->files[k], other, sizeof other);
        is_shared = k != i && strcmp(name, other) == 0;
    }
    if (is_shared)
        snprintf(name, sizeof name, "%zu", i + 1);
    /* out.pcap -> out-<name>.pcap; out -> out-<name> */
    const char *w = o->write_file;
    const char *slash = strrchr(w, '/');
    const char *dot = strrchr(w, '.');
    if (dot && (!slash || dot > slash + 1))
        snprintf(buf, size, "%.*s-%s%s", (int)(dot - w), w, name, dot);
    else
        snprintf(buf, size, "%s-%s", w, name);
}

static void report_error(const struct tw_error *err)
{
    char msg[768];
    tw_error_format(err, true, msg, sizeof msg);
    fprintf(stderr, _("tcpwhy: %s\n"), msg);
}

static int write_one(const struct tw_cli_options *o, tw_pcap_out *w, size_t i,
                     volatile int *stop_flag, struct tw_progress *progress)
{
    char path[600];
    tw_cli_write_path(o, i, path, sizeof path);
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_capture *cap = tw_capture_open_file(o->files[i], o->filter, &err);
    if (!cap) {
        report_error(&err);
        return 2;
    }
    struct tw_pcapng_survey sv;
    memset(&sv, 0, sizeof sv);
    FILE *f = fopen(o->files[i], "rb");
    if (f) {
        tw_pcapng_survey(f, &sv);
        fclose(f);
    }
    struct tw_dump_tsresol res[TW_PCAPNG_SURVEY_LINKTYPES];
    for (size_t k = 0; k < sv.n_linktypes; k++)
        res[k] = (struct tw_dump_tsresol){sv.linktypes[k], sv.tsresols[k]};
    struct tw_dump_config cfg = {
        .path = path,
        .format = sv.is_pcapng ? TW_DUMP_PCAPNG : TW_DUMP_PCAP,
        .linktype = tw_capture_linktype(cap),
        .tsresols = res,
        .n_tsresols = sv.n_linktypes,
        .max_bytes = o->rotate_bytes,
        .period_ns = o->rotate_ns,
        .max_files = o->max_files,
    };
    if (tw_pcap_out_open(w, i, &cfg, &err) != TW_OK) {
        report_error(&err);
        tw_capture_free(cap);
        return 2;
    }
    if (progress)
        tw_progress_begin(progress, o->files[i], N_("writing problem packets from"),
                          tw_capture_file_bytes(cap));
    const struct tw_frame *fr;
    enum tw_status st = TW_OK;
    while (st == TW_OK && (fr = tw_capture_next(cap, &err)) != NULL) {
        st = tw_pcap_out_frame(w, fr, &err);
        if (progress)
            tw_progress_update(progress, tw_capture_bytes_read(cap), fr->number);
        if (stop_flag && *stop_flag)
            break;
    }
    if (progress)
        tw_progress_end(progress);
    int status = 0;
    if (st != TW_OK || err.status != TW_OK) {
        /* the first pass already said where an input is damaged; say it
         * again only when writing failed */
        if (st != TW_OK) {
            report_error(&err);
            status = 2;
        }
    }
    struct tw_pcap_out_counts counts;
    memset(&err, 0, sizeof err);
    if (tw_pcap_out_close(w, &counts, &err) != TW_OK) {
        report_error(&err);
        status = 2;
    }
    tw_capture_free(cap);
    bool is_noted = !status && !o->is_quiet; /* after an error, the error says it */
    if (is_noted && counts.files.n_files > 1)
        fprintf(stderr,
                _("tcpwhy: wrote %llu packets of problem attempts from %s to %u files, %s to "
                  "%s%s%s\n"),
                (unsigned long long)counts.n_written, o->files[i], counts.files.n_files,
                counts.files.first_path, counts.files.last_path,
                counts.files.n_removed ? _(" (the oldest removed, as -W asks)") : "",
                counts.n_end_marker ? _(" (and the input's last frame, to end it at the same time)")
                                    : "");
    else if (is_noted)
        fprintf(stderr, _("tcpwhy: wrote %llu packets of problem attempts from %s to %s%s\n"),
                (unsigned long long)counts.n_written, o->files[i], counts.files.first_path,
                counts.n_end_marker ? _(" (and the input's last frame, to end it at the same time)")
                                    : "");
    if (counts.n_other_linktype)
        fprintf(stderr,
                _("tcpwhy: warning: %llu of them are of another link type than the file's first "
                  "interface and cannot go into one pcap: left out of %s\n"),
                (unsigned long long)counts.n_other_linktype, path);
    return status;
}

int tw_cli_write_problems(const struct tw_cli_options *o, tw_pcap_out *w,
                          volatile int *stop_flag, struct tw_progress *progress)
{
    int status = 0;
    for (size_t i = 0; i < o->n_files && !(stop_flag && *stop_flag); i++) {
        int s = write_one(o, w, i, stop_flag, progress);
        if (s)
            status = s;
    }
    if (tw_pcap_out_n_left_out(w))
        fprintf(stderr, _("tcpwhy: warning: %llu problem attempts left out of -w (too many)\n"),
                (unsigned long long)tw_pcap_out_n_left_out(w));
    return status;
}

tw_live_out *tw_cli_live_out_new(const struct tw_cli_options *o)
{
    size_t len = strlen(o->write_file);
    bool is_pcapng = len > 7 && strcmp(o->write_file + len - 7, ".pcapng") == 0;
    struct tw_dump_config cfg = {
        .path = o->write_file,
        .format = is_pcapng ? TW_DUMP_PCAPNG : TW_DUMP_PCAP,
        .linktype = -1,
        .max_bytes = o->rotate_bytes,
        .period_ns = o->rotate_ns,
        .max_files = o->max_files,
    };
    return tw_live_out_new(&cfg, o->memcap_bytes);
}

int tw_cli_live_out_finish(const struct tw_cli_options *o, tw_live_out *lo)
{
    struct tw_live_out_counts counts;
    struct tw_error err;
    memset(&err, 0, sizeof err);
    if (tw_live_out_close(lo, &counts, &err) != TW_OK) {
        report_error(&err);
        return 2;
    }
    if (!o->is_quiet)
        fprintf(stderr, _("tcpwhy: wrote %llu packets of %llu problem attempts to %s%s%s\n"),
                (unsigned long long)counts.n_written, (unsigned long long)counts.n_attempts,
                counts.files.n_files > 1 ? counts.files.last_path : counts.files.first_path,
                counts.files.n_files > 1 ? _(" (the last of the files)") : "",
                counts.files.n_removed ? _(" (the oldest removed, as -W asks)") : "");
    if (counts.n_late)
        fprintf(stderr,
                _("tcpwhy: warning: %llu problem attempts lost packets from memory (--memcap) "
                  "before their verdict: written in part\n"),
                (unsigned long long)counts.n_late);
    if (counts.n_other_linktype)
        fprintf(stderr,
                _("tcpwhy: warning: %llu packets of another link type than the first cannot go "
                  "into one pcap: left out (name the file .pcapng to keep them)\n"),
                (unsigned long long)counts.n_other_linktype);
    return 0;
}
