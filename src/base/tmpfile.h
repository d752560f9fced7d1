/* Temporary files for what does not fit in memory (records and briefs past
 * --memcap), where the user says: $TMPDIR, as sort(1) and most tools take
 * it, else /tmp. tmpfile(3) always uses /tmp, which on many systems is a
 * tmpfs held in memory: the budget would then not bound memory at all. */
#ifndef TW_BASE_TMPFILE_H
#define TW_BASE_TMPFILE_H

#include <stdio.h>

/* A new temporary file, open for reading and writing, already unlinked
 * (it goes when closed, or when the process ends); NULL when it cannot be
 * made (errno says why). */
FILE *tw_tmpfile(void);

/* Where tw_tmpfile() makes its files: $TMPDIR, else /tmp. */
const char *tw_tmp_dir(void);

#endif
