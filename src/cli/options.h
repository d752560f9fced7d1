/* Command-line options. */
#ifndef TW_CLI_OPTIONS_H
#define TW_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    const char *write_file;   /* -w: problem packets to this pcap (per input with several) */
    bool is_quiet;            /* -q: no progress meter */
};

/* 0: run with *o. Nonzero: stop; err->status says whether it was an error
 * (usage) or a request that has been answered (--help, --version). */
int tw_cli_parse(int argc, char **argv, struct tw_cli_options *o, struct tw_error *err);
void tw_cli_options_fini(struct tw_cli_options *o);

void tw_cli_usage(void);

/* rewrite.c: the output path of -w for input i of n ("out.pcap" alone;
 * "out-<input name>.pcap" with several, or "out-<i+1>.pcap" when two
 * inputs share a name). */
void tw_cli_write_path(const struct tw_cli_options *o, size_t i, char *buf, size_t size);

/* terminal.c: colour and width for output on fd (see there). */
bool tw_cli_use_color(enum tw_color c, int fd);
int tw_cli_width(int fd, int given_cols);

#endif
