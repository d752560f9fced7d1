/* Reporting in a thread of its own.
 *
 * A sink that hands the attempt, folded and RST records it gets to a
 * thread, which passes them, in the order they came, to the sink it wraps:
 * formatting and writing run beside the analysis (or beside the merge of
 * two captures' records). Records go through a bounded queue
 * (base/queue.h) as copies, so the caller's records may change as soon as
 * the call returns. Every other call (the summary first of all) waits until
 * the thread has passed on everything before it, stops the thread, and is
 * then forwarded in the caller's thread; later records are forwarded
 * directly. The wrapped sink is the caller's: freeing this one leaves it. */
#ifndef TW_REPORT_THREAD_H
#define TW_REPORT_THREAD_H

#include <stdbool.h>

#include "report/sink.h"

/* False when out of memory or the thread cannot start: use inner directly. */
bool tw_report_thread(struct tw_sink *sink, struct tw_sink *inner) TW_MUST_CHECK;

#endif
