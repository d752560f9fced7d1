/* Command-line options. */
#ifndef TW_CLI_OPTIONS_H
#define TW_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

enum tw_format { TW_FORMAT_TEXT, TW_FORMAT_JSON };
enum tw_color { TW_COLOR_AUTO, TW_COLOR_ALWAYS, TW_COLOR_NEVER };

struct tw_cli_options {
    enum tw_format format;
    int vantage;              /* -1: infer */
    size_t memcap_bytes;
    int64_t idle_ns;
    int64_t app_timeout_ns;   /* --app-timeout; 0: none */
    size_t max_flows;
    int n_threads;            /* --threads; 0: one per core */
    bool is_verbose;
    bool is_separate;         /* --separate: never correlate several inputs */
    const char *interface;    /* -i: live capture */
    char **files;             /* borrowed from argv, except the array */
    size_t n_files;
    char *filter;             /* BPF expression joined from the remaining words, or NULL */
    /* report/ features (issue 6) */
    enum tw_color color;      /* --color */
    int width_cols;           /* --width; 0: the terminal's, or 80 */
    bool has_ladder;          /* false with --no-ladder */
    bool is_wsfilter;         /* --filter: print a Wireshark display filter instead */
    const char *write_file;   /* -w: problem packets to this capture (per input with several) */
    uint64_t rotate_bytes;    /* -C: a new -w file before one would pass this size; 0: never */
    int64_t rotate_ns;        /* -G: a new -w file each period of packet time; 0: never */
    unsigned max_files;       /* -W: keep at most this many -w files per input; 0: all */
    const char *wsfilter_file; /* --filter=FILE: only the filter for this input */
    bool is_quiet;            /* -q: no progress meter */
    const char *html_file;    /* --html: also write the self-contained HTML report here */
    bool has_aggregates;      /* --aggregates: json aggregate and timeline records */
    /* live capture (-i, issue 9) */
    int buffer_kib;           /* -B: kernel capture buffer; 0: libpcap's default */
    int snaplen;              /* -s: bytes kept per packet; 0: not given
                                 (TW_LIVE_DEFAULT_SNAPLEN) */
    const char *user;         /* -Z: drop to this user once the interface is open */
    int64_t stats_interval_ns; /* --stats-interval; 0: none */
    bool is_default_filter_off; /* --no-default-filter */
};

/* What -i captures when no filter is given (see docs/tcpwhy.1, LIVE MODE):
 * every SYN, FIN, RST and PSH segment, every TCP segment without payload
 * (the handshake's ACK among them), and ICMP and ICMPv6. For IPv6 the TCP
 * header is looked for right after the fixed header (libpcap 1.10 cannot
 * index "tcp[]" over IPv6). */
#define TW_LIVE_DEFAULT_FILTER                                                                     \
    "(tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst|tcp-push) != 0)"                                   \
    " or (ip and tcp and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0)"         \
    " or (ip6 and ip6[6] == 6 and (ip6[53] & 0x0f != 0"                                           \
    " or ip6[4:2] - ((ip6[52] & 0xf0) >> 2) == 0))"                                               \
    " or icmp or icmp6"

/* Live snap length unless -s says otherwise: the headers tcpwhy reads, with
 * room for a tunnel, IPv6 and TCP options. Not libpcap's 262144: in
 * immediate mode (TPACKET_V2, fixed-size slots) on an interface whose MTU it
 * cannot know, such as "any", libpcap sizes each slot of the ring for the
 * snap length, and the default 2 MiB ring then holds 8 packets (the lab's
 * live_check saw 10 of 35 dropped). */
#define TW_LIVE_DEFAULT_SNAPLEN 512

/* 0: run with *o. Nonzero: stop; err->status says whether it was an error
 * (usage) or a request that has been answered (--help, --version). */
int tw_cli_parse(int argc, char **argv, struct tw_cli_options *o, struct tw_error *err);
void tw_cli_options_fini(struct tw_cli_options *o);

void tw_cli_usage(void);

/* lang.c: the language of the human-facing text, from the locale or from
 * --lang (looked for in argv before the options are parsed, so that --help
 * and the usage errors are in it too). Call first. */
void tw_cli_set_language(int argc, char **argv);
/* For JSON output: system error texts (strerror) in English whatever the
 * language. */
void tw_cli_english_system_messages(void);

/* live.c: the -Z user checked before the capture opens (an unknown user is
 * refused as root); privileges dropped once it is open; the periodic stats
 * record (--stats-interval): JSON on out, or one text line on err. */
struct tw_error;
struct tw_file_summary;
int tw_cli_check_user(const char *user, struct tw_error *err);
int tw_cli_drop_privileges(const char *user, struct tw_error *err);
void tw_cli_print_stats(FILE *out, FILE *err, enum tw_format format,
                        const struct tw_file_summary *sum);

/* rewrite.c: the output path of -w for input i of n ("out.pcap" alone;
 * "out-<input name>.pcap" with several, or "out-<i+1>.pcap" when two
 * inputs share a name). */
void tw_cli_write_path(const struct tw_cli_options *o, size_t i, char *buf, size_t size);

/* terminal.c: colour and width for output on fd (see there). */
bool tw_cli_use_color(enum tw_color c, int fd);
int tw_cli_width(int fd, int given_cols);

#endif
