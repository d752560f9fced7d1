#ifndef TW_BASE_I18N_H
#define TW_BASE_I18N_H
/* Human-facing text goes through gettext (glibc's, no extra library):
 * wrap it in _() where it is printed and in N_() where it is only stored
 * (a table of strings translated when shown). Machine-facing text (JSON
 * names, verdict and cause identifiers) is never wrapped. Until the
 * programme binds its text domain, gettext() returns its argument.
 *
 * Explanations kept in records (why an attempt failed, why a RST came)
 * are written once, for the run's one output: in the user's language for
 * the text report, in English for JSON, whose content never changes with
 * the locale. tw_tr(is_localized, msgid) picks; xgettext knows it as a
 * keyword (po/CMakeLists.txt). */
#include <libintl.h>
#include <stdbool.h>

#define _(msgid) gettext(msgid)
#define N_(msgid) (msgid)
/* A sentence with a count: the singular or plural form as n asks (in
 * English, "1 SYN ... dropped it"; other languages have other rules). */
#define P_(singular, plural, n) ngettext(singular, plural, n)

#if defined(__GNUC__)
#define TW_FORMAT_ARG(n) __attribute__((format_arg(n)))
#else
#define TW_FORMAT_ARG(n)
#endif

/* format_arg: the compiler checks a format msgid against its arguments. */
static inline TW_FORMAT_ARG(2) const char *tw_tr(bool is_localized, const char *msgid)
{
    return is_localized ? gettext(msgid) : msgid;
}

/* tw_tr with a count: singular or plural, as P_(). */
static inline TW_FORMAT_ARG(2) TW_FORMAT_ARG(3) const char *tw_trn(bool is_localized,
                                                                 const char *singular,
                                                                 const char *plural,
                                                                 unsigned long n)
{
    return is_localized ? ngettext(singular, plural, n) : n == 1 ? singular : plural;
}

/* The BCP 47 tag of the language the text is written in ("en", "zh-CN"),
 * for the HTML report's lang attribute (browsers pick CJK fonts by it). */
const char *tw_lang_tag(void);

/* Columns s takes on a terminal: East Asian wide characters take two.
 * By code point, not by the locale, so that the layout is the same
 * whatever LC_CTYPE says (base/i18n.c). */
int tw_text_cols(const char *s);

#endif
