/* The HTML report's inline CSS and JavaScript (html_assets.c). */
#ifndef TW_REPORT_HTML_ASSETS_H
#define TW_REPORT_HTML_ASSETS_H

extern const char tw_html_css[];
extern const char tw_html_js[];

#endif
