/* Writing the records of captures read for correlation (correlate/).
 *
 * The inputs are first analysed into collectors (report/sink.h:
 * tw_report_collect), their records kept in runs; once correlated, these
 * write them: a pair's pairing record, then the client side's records
 * (merged at vantage both) and the server side's, each with its summary
 * recounted to what was written. */
#ifndef TW_ANALYZE_PAIR_H
#define TW_ANALYZE_PAIR_H

#include "analyze/analyzer.h"
#include "correlate/correlate.h"
#include "report/sink.h"

/* A run's records: its RSTs, then the attempts not folded into the other
 * run of its pair (those go to sink->folded, if any), then those kept on a
 * temporary file, then its summary. res counts the attempts written. */
void tw_pair_emit_run(struct tw_collector *col, struct tw_sink *sink,
                      struct tw_analyze_result *res);

/* A pair correlated (c from tw_correlate): merges it, then writes the
 * pairing records, the client side's records and the server side's.
 * Unrelated: the pairing record, then each alone. With more than one
 * thread (n_threads as tw_analyze_threads takes it), the records are
 * formatted and written in a thread of their own while this one reads them
 * back (and merges them). */
void tw_pair_emit(struct tw_correlation *c, struct tw_collector *ci, struct tw_collector *cj,
                  struct tw_sink *sink, struct tw_analyze_result *res, int n_threads);

#endif
