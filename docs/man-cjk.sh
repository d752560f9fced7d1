#!/bin/sh
# man-cjk.sh IN OUT: the roff IN with a zero-width break point (\:) after
# each CJK character of its text lines, so that groff may break a line
# there: Chinese has no spaces, and groff 1.22 (Debian 12) otherwise breaks
# lines only at spaces. None after an opening bracket or before closing
# punctuation. The Chinese man page (docs/tcpwhy.zh_CN.1.scd) is written one
# paragraph to a line for the same reason: a line end would be a space.
set -eu
LC_ALL=C awk '
  BEGIN {
    cjk = "[\343-\351\357][\200-\277][\200-\277]"
    # （ 「 《 “ : no break after
    opening = "\357\274\210|\343\200\214|\343\200\212|\342\200\234"
    # ， 。 、 ； ： ） 」 》 ！ ？ : no break before
    closing = "\357\274\214|\343\200\202|\343\200\201|\357\274\233|\357\274\232|\357\274\211|\343\200\215|\343\200\213|\357\274\201|\357\274\237"
  }
  /^[.\047]/ { print; next }
  { out = ""; s = $0
    while (match(s, cjk)) {
      c = substr(s, RSTART, 3)
      out = out substr(s, 1, RSTART - 1) c
      s = substr(s, RSTART + 3)
      if (c !~ "^(" opening ")$" && substr(s, 1, 3) !~ "^(" closing ")$")
        out = out "\\:"
    }
    print out s }' "$1" > "$2"
