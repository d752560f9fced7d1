/* -w: the second pass over the inputs that writes the problem packets, and
 * the live -w. */
#ifndef TW_CLI_REWRITE_H
#define TW_CLI_REWRITE_H

#include "cli/options.h"
#include "report/live_out.h"
#include "report/pcap_out.h"

struct tw_progress;

/* Reads every input again and writes its problem packets (see
 * report/pcap_out.h) to tw_cli_write_path(). Prints what it wrote and any
 * error on stderr; returns 0, or 2 when an output could not be written or
 * an input not read again. stop_flag ends it early, like the analysis.
 * progress may be NULL. */
int tw_cli_write_problems(const struct tw_cli_options *o, tw_pcap_out *w,
                          volatile int *stop_flag, struct tw_progress *progress);

/* Live -w (-i): the writer for o's -w, -C, -G and -W (pcapng when the
 * name ends in .pcapng, else pcap), keeping up to --memcap of packets; and
 * at the end, closing it and saying what it wrote. NULL when out of
 * memory; finish returns 0, or 2 when writing failed. */
tw_live_out *tw_cli_live_out_new(const struct tw_cli_options *o);
int tw_cli_live_out_finish(const struct tw_cli_options *o, tw_live_out *lo);

#endif
