#ifndef TW_BASE_I18N_H
#define TW_BASE_I18N_H
/* Human-facing text goes through gettext (glibc's, no extra library):
 * wrap it in _() where it is printed and in N_() where it is only stored
 * (a table of strings translated when shown). Machine-facing text (JSON
 * names, verdict and cause identifiers) is never wrapped. Until the
 * programme binds its text domain, gettext() returns its argument. */
#include <libintl.h>

#define _(msgid) gettext(msgid)
#define N_(msgid) (msgid)

#endif
