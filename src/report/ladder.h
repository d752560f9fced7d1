/* Ladder (sequence) diagrams of an attempt's evidence packets, for the text
 * report.
 *
 * Part of the report stage. One entry point: tw_report_ladder() draws the
 * evidence of one judged attempt between the client and the server, one row
 * per packet, time going down. Sequence and acknowledgement numbers are
 * written relative to the ISNs, named in a legend (x = the attempt's ISN,
 * y = the server's, z = a later client ISN on the same 4-tuple), so that the
 * numbers that decide a verdict read as such (the stale ACK's ack = x+1).
 * TCP timestamps are relative to each side's first TSval (C and S), so a
 * TSecr echoing the first SYN reads TSecr=C. With two captures of the same
 * traffic, a packet seen at both points is drawn once; one lost between them
 * ends in an X before the far side. Writes only to the FILE it is given. */
#ifndef TW_REPORT_LADDER_H
#define TW_REPORT_LADDER_H

#include <stdbool.h>
#include <stdio.h>

#include "diagnose/diagnose.h"

struct tw_ladder_style {
    int width_cols;   /* columns to fit in; below 40 is taken as 40 */
    bool is_color;    /* ANSI colours */
    const char *indent; /* written before every line */
};

void tw_report_ladder(FILE *out, const struct tw_attempt_record *r,
                      const struct tw_ladder_style *style);

#endif
