/* Command-line options. */
#ifndef TW_CLI_OPTIONS_H
#define TW_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum tw_format { TW_FORMAT_TEXT, TW_FORMAT_JSON };

struct tw_cli_options {
    enum tw_format format;
    int vantage;              /* -1: infer */
    size_t memcap_bytes;
    int64_t idle_ns;
    size_t max_flows;
    bool is_verbose;
    bool is_separate;         /* --separate: never correlate several inputs */
    const char *interface;    /* -i: live capture */
    char **files;             /* borrowed from argv, except the array */
    size_t n_files;
    char *filter;             /* BPF expression joined from the remaining words, or NULL */
};

/* 0: run with *o. Nonzero: stop; err->status says whether it was an error
 * (usage) or a request that has been answered (--help, --version). */
int tw_cli_parse(int argc, char **argv, struct tw_cli_options *o, struct tw_error *err);
void tw_cli_options_fini(struct tw_cli_options *o);

void tw_cli_usage(void);

#endif
