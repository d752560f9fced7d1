/* Display width of UTF-8 text (i18n.h). */
#include "base/i18n.h"

#include <stdint.h>

/* The wide ranges of Unicode's East Asian Width property (W and F), the
 * ones CJK text uses: Hangul Jamo, CJK punctuation to Yi, Hangul
 * syllables, compatibility ideographs, vertical and fullwidth forms, and
 * the supplementary ideograph planes. */
static bool is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
}

int tw_text_cols(const char *s)
{
    int cols = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp = *p;
        int n = cp < 0x80 ? 0 : cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
        if (n)
            cp &= 0x3fu >> n;
        p++;
        for (; n > 0 && (*p & 0xc0) == 0x80; n--, p++)
            cp = cp << 6 | (*p & 0x3fu);
        cols += is_wide(cp) ? 2 : 1;
    }
    return cols;
}

const char *tw_lang_tag(void)
{
    /* TRANSLATORS: your language's BCP 47 tag, e.g. zh-CN (HTML lang attribute) */
    return _("en");
}
