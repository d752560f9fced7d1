/* Live capture (-i) on the command line's side: giving up root once the
 * interface is open (-Z, as tcpdump does), and the periodic stats record
 * (--stats-interval). The analyzer calls both through the hooks in
 * analyze/analyzer.h; only this folder prints. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/analyzer.h"
#include "base/i18n.h"
#include "cli/options.h"

/* As root, an unknown -Z user is an error before anything is opened: going
 * on as root would be the opposite of what was asked. Not root: there is
 * nothing to give up, and -Z is ignored (as in tcpdump). */
int tw_cli_check_user(const char *user, struct tw_error *err)
{
    if (!user || geteuid() != 0)
        return 0;
    errno = 0;
    if (!getpwnam(user))
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-Z %s: %s; refusing to capture as root", user,
                       errno ? strerror(errno) : _("no such user"));
    return 0;
}

/* Groups first (setgroups/initgroups and setgid need root), then the user;
 * then make sure root cannot be had back. */
int tw_cli_drop_privileges(const char *user, struct tw_error *err)
{
    if (!user || geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw)
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-Z %s: no such user; refusing to go on as root", user);
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
        return tw_fail(err, TW_E_IO, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-Z %s: cannot change to user %lu, group %lu: %s", user,
                       (unsigned long)uid, (unsigned long)gid, strerror(errno));
    if (uid != 0 && setuid(0) == 0)
        return tw_fail(err, TW_E_IO, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-Z %s: root could be had back after dropping it", user);
    return 0;
}

static void print_verdict_counts(FILE *out, const struct tw_file_summary *s, bool is_json)
{
    bool first = true;
    for (int v = 0; v < TW_VERDICT_COUNT; v++) {
        if (!s->verdicts[v])
            continue;
        const char *name = tw_verdict_name((enum tw_verdict)v);
        if (is_json)
            fprintf(out, "%s\"%s\":%llu", first ? "" : ",", name,
                    (unsigned long long)s->verdicts[v]);
        else
            fprintf(out, "%s%s %llu", first ? "" : ", ", name, (unsigned long long)s->verdicts[v]);
        first = false;
    }
}

/* JSON: one {"type":"stats"} record on standard output, among the attempt
 * records (keys in a fixed order). Text: one line on standard error, so the
 * report on standard output stays the report. */
void tw_cli_print_stats(FILE *out, FILE *err, enum tw_format format,
                        const struct tw_file_summary *s)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char ts[48];
    tw_format_time((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, ts, sizeof ts);
    if (format == TW_FORMAT_JSON) {
        fputs("{\"type\":\"stats\",\"interface\":", out);
        tw_json_string(out, s->file);
        fprintf(out, ",\"time\":\"%s\",\"packets\":%llu,\"tcp_syn\":%llu,\"tcp_rst\":%llu,"
                     "\"attempts\":%llu,\"verdicts\":{",
                ts, (unsigned long long)s->packets, (unsigned long long)s->tcp_syn,
                (unsigned long long)s->tcp_rst, (unsigned long long)s->attempts);
        print_verdict_counts(out, s, true);
        fputc('}', out);
        if (s->has_capture_counters)
            fprintf(out, ",\"capture_received\":%llu,\"capture_drops\":%llu,"
                         "\"capture_ifdrops\":%llu",
                    (unsigned long long)s->capture_received, (unsigned long long)s->capture_drops,
                    (unsigned long long)s->capture_ifdrops);
        fprintf(out, ",\"flows_live\":%llu,\"flows_peak\":%llu,\"flows_capacity\":%zu,"
                     "\"flows_unsettled\":%llu,\"evicted\":%llu,\"released\":%llu,"
                     "\"expired\":%llu}\n",
                (unsigned long long)s->table.live, (unsigned long long)s->table.peak,
                s->table.capacity, (unsigned long long)s->unsettled,
                (unsigned long long)s->table.evicted, (unsigned long long)s->table.released,
                (unsigned long long)s->table.expired);
        fflush(out);
        return;
    }
    fprintf(err, _("tcpwhy: %s %s: %llu packets, %llu attempts"), s->file, ts,
            (unsigned long long)s->packets, (unsigned long long)s->attempts);
    if (s->attempts) {
        fputs(" (", err);
        print_verdict_counts(err, s, false);
        fputc(')', err);
    }
    if (s->has_capture_counters)
        fprintf(err, _("; dropped %llu by the kernel, %llu by the interface"),
                (unsigned long long)s->capture_drops, (unsigned long long)s->capture_ifdrops);
    fprintf(err, _("; flows %llu live, %llu peak of %zu, %llu awaiting a verdict, %llu evicted\n"),
            (unsigned long long)s->table.live, (unsigned long long)s->table.peak, s->table.capacity,
            (unsigned long long)s->unsettled, (unsigned long long)s->table.evicted);
    fflush(err);
}
