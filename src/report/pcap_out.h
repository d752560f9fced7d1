/* -w: a capture holding only the packets of problem attempts.
 *
 * Part of the report stage. Problems are known only at the end of a file,
 * so this works in two steps. First a sink that wraps the real reporter
 * (everything is passed on unchanged) notes every problem attempt (failed
 * or degraded verdict, tw_report_is_problem) as each capture saw it: its
 * 4-tuple and time range, its evidence frames, and the RSTs filed under it.
 * An attempt merged from two captures is noted in the other capture through
 * that capture's own record of it (the sink's folded()), with the addresses
 * and ports seen there, so NAT between the captures does not matter. Then
 * the caller reads each input again and hands every frame to
 * tw_pcap_out_frame(), which writes those of a problem attempt (TCP on the
 * 4-tuple within the time range, ICMP errors quoting it, evidence frames,
 * filed RSTs) through report/dump.h (pcap or pcapng, rotated or not). --filter
 * (wsfilter.c) selects the same packets in Wireshark. When the input's last
 * frame is none of these, it is written last anyway, so that the output ends
 * when the input did and an attempt that went quiet long before the end is
 * judged the same (timeout, not "still in progress"). One output per input;
 * the caller names them. */
#ifndef TW_REPORT_PCAP_OUT_H
#define TW_REPORT_PCAP_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "capture/capture.h"
#include "report/dump.h"
#include "report/sink.h"

typedef struct tw_pcap_out tw_pcap_out;

/* inputs are the capture files as given on the command line (borrowed:
 * they must outlive the handle). NULL when out of memory. */
tw_pcap_out *tw_pcap_out_new(char *const *inputs, size_t n_inputs);
void tw_pcap_out_free(tw_pcap_out *w);

/* Fills *sink with a sink that passes every call on to inner and notes the
 * problem attempts. Freeing sink frees inner too, not w. */
void tw_pcap_out_sink(tw_pcap_out *w, struct tw_sink *sink, const struct tw_sink *inner);

/* Problem attempts noted (in any input), and those left out past the bound. */
uint64_t tw_pcap_out_n_attempts(const tw_pcap_out *w);
uint64_t tw_pcap_out_n_left_out(const tw_pcap_out *w);

/* Starts writing the problem packets of input number `input` as cfg says
 * (see report/dump.h). Files are created as frames come; tw_pcap_out_close
 * makes one when none was. */
enum tw_status tw_pcap_out_open(tw_pcap_out *w, size_t input, const struct tw_dump_config *cfg,
                                struct tw_error *err) TW_MUST_CHECK;

/* Writes fr if it belongs to a problem attempt of the open input. Frames of
 * another link type than a classic pcap's (pcapng input with several
 * interfaces, written as pcap) cannot go into it: they are counted and
 * skipped. */
enum tw_status tw_pcap_out_frame(tw_pcap_out *w, const struct tw_frame *fr,
                                 struct tw_error *err) TW_MUST_CHECK;

struct tw_pcap_out_counts {
    uint64_t n_written;           /* packets of problem attempts */
    uint64_t n_end_marker;        /* 1: the input's last frame was added to end the output */
    uint64_t n_other_linktype;    /* selected, but not writable in this pcap */
    struct tw_dump_files files;
};

/* Finishes the open output (flushes and closes it). */
enum tw_status tw_pcap_out_close(tw_pcap_out *w, struct tw_pcap_out_counts *counts,
                                 struct tw_error *err) TW_MUST_CHECK;

/* The 4-tuple a frame is about, as 36 bytes (source address, destination
 * address, source port, destination port; addresses as in struct tw_addr):
 * a TCP segment's own, or the one an ICMP error quotes. False for others.
 * tw_pcap_out_attempt_key gives an attempt's in the same layout, as its
 * client sends (or, is_from_server, as its server sends). Shared with the
 * live -w (live_out.c). */
bool tw_pcap_out_frame_key(const struct tw_frame *fr, uint8_t key[36]);
void tw_pcap_out_attempt_key(const struct tw_flow_key *k, bool is_from_server, uint8_t key[36]);

#endif
