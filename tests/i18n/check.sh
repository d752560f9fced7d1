#!/usr/bin/env bash
# What follows the language and what never does (issue 11).
#
#   check.sh TCPWHY
#
# - JSON (every golden fixture run with --format json) is byte for byte its
#   expected.jsonl, with the same exit status, under --lang zh_CN, under
#   LANGUAGE=zh_CN, and under LANG=zh_CN.UTF-8 when that locale exists;
#   under a locale writing decimal commas too, when one exists. So are the
#   JSON error texts (strerror() from glibc's catalogue included).
# - The seed case's explanation comes out in Chinese under --lang zh_CN,
#   LANGUAGE=zh_CN and LANG/LC_ALL=zh_CN.UTF-8 (when that locale exists; when
#   it does not, glibc falls back to "C" and English, and --lang still works);
#   --lang en gives English whatever the locale.
# - The Chinese ladder's columns line up on screen (CJK is two columns).
# - --help is translated, and fits 80 columns in both languages.
set -u
tcpwhy=${1:?usage: check.sh TCPWHY}
case "$tcpwhy" in /*) ;; *) tcpwhy=$PWD/$tcpwhy ;; esac
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
seed="$fixtures/synack_lost_rst_v4/client.pcap"
zh_explanation='服务端的 SYN+ACK（针对 ISN x = 3836830518）都没有到达客户端。'
en_explanation="The server's SYN+ACKs for ISN x = 3836830518 never reached the client."
unset LANGUAGE LC_ALL LC_MESSAGES LANG
fail=0
bad() { echo "FAIL: $*"; fail=1; }
has_locale() { locale -a 2>/dev/null | grep -qix "$1"; }

zh_locale=""
has_locale zh_CN.utf8 && zh_locale=zh_CN.UTF-8
comma_locale=""
for l in de_DE.utf8 fr_FR.utf8 ru_RU.utf8; do
  if has_locale "$l"; then comma_locale=$l; break; fi
done

# --- JSON never changes ---------------------------------------------------
# run_fixture DIR ENV [OPTION]: the fixture's command line, with ENV (a
# space-separated list of assignments) and OPTION (one word, or none)
run_fixture() {
  local dir=$1 envs=$2 option=${3:-}
  local -a args env_words extra=()
  read -r -a args < "$dir/args"
  read -r -a env_words <<< "$envs"
  [ -n "$option" ] && extra=("$option")
  local stdin=/dev/null
  [ -f "$dir/stdin.pcap" ] && stdin="$dir/stdin.pcap"
  (cd "$dir" && env "${env_words[@]}" "$tcpwhy" "${extra[@]}" "${args[@]}" 2>/dev/null <"$stdin")
}
n_json=0
for args in "$fixtures"/*/args; do
  dir=$(dirname "$args")
  grep -q -- '--format json' "$args" || continue
  n_json=$((n_json + 1))
  want_status=0
  [ -f "$dir/expected.exit" ] && want_status=$(cat "$dir/expected.exit")
  want=$(cat "$dir/expected.jsonl"; echo "exit=$want_status")
  runs=("LANG=C.UTF-8|--lang=zh_CN" "LANG=C.UTF-8 LANGUAGE=zh_CN|")
  [ -n "$zh_locale" ] && runs+=("LANG=$zh_locale LANGUAGE=zh_CN|")
  [ -n "$comma_locale" ] && runs+=("LC_ALL=$comma_locale|")
  for r in "${runs[@]}"; do
    out=$(run_fixture "$dir" "${r%%|*}" "${r#*|}"; echo "exit=$?")
    [ "$out" = "$want" ] || bad "$(basename "$dir"): JSON or exit status differs under ${r/|/ }"
  done
done
# Errors too: the summary's "error" text, libpcap's strerror() included.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for input in "$scratch" "$fixtures/bad_truncated/cut.pcap"; do
  want=$(LANG=C.UTF-8 "$tcpwhy" --format json "$input" 2>/dev/null; echo "exit=$?")
  case "$want" in *'"error":'*) ;; *) bad "no error record for $input" ;; esac
  for e in "LANG=C.UTF-8 LANGUAGE=zh_CN" ${zh_locale:+"LANG=$zh_locale"}; do
    read -r -a env_words <<< "$e"
    out=$(env "${env_words[@]}" "$tcpwhy" --format json "$input" 2>/dev/null; echo "exit=$?")
    [ "$out" = "$want" ] || bad "the JSON error for $input differs under $e"
  done
done
[ "$n_json" -gt 5 ] || bad "only $n_json JSON fixtures found"
echo "JSON unchanged in $n_json fixtures (--lang zh_CN, LANGUAGE=zh_CN${zh_locale:+, LANG=$zh_locale}${comma_locale:+, LC_ALL=$comma_locale})"

# --- the text follows the language ----------------------------------------
# expect WHAT TEXT ENV [OPTION]: tcpwhy's report on the seed holds TEXT
expect() {
  local what=$1 text=$2 envs=$3 option=${4:-}
  local -a env_words extra=()
  read -r -a env_words <<< "$envs"
  [ -n "$option" ] && extra=("$option")
  local out
  out=$(env "${env_words[@]}" "$tcpwhy" "${extra[@]}" --no-ladder "$seed" 2>&1)
  case "$out" in *"$text"*) echo "ok: $what" ;; *) bad "$what: no '$text' in:"; echo "$out" | head -12 ;; esac
}
expect "--lang zh_CN" "$zh_explanation" "LANG=C" --lang=zh_CN
expect "--lang zh_CN.UTF-8" "$zh_explanation" "LANG=C" --lang=zh_CN.UTF-8
expect "LANGUAGE=zh_CN over LANG=C.UTF-8" "$zh_explanation" "LANG=C.UTF-8 LANGUAGE=zh_CN"
expect "LANG=C: English" "$en_explanation" "LANG=C"
expect "LANGUAGE ignored under LANG=C (glibc)" "$en_explanation" "LANG=C LANGUAGE=zh_CN"
if [ -n "$zh_locale" ]; then
  expect "LANG=$zh_locale" "$zh_explanation" "LANG=$zh_locale"
  expect "LC_ALL=$zh_locale" "$zh_explanation" "LANG=C LC_ALL=$zh_locale"
  expect "LC_MESSAGES=$zh_locale" "$zh_explanation" "LANG=C.UTF-8 LC_MESSAGES=$zh_locale"
  expect "--lang en over LANG=$zh_locale" "$en_explanation" "LANG=$zh_locale" --lang=en
else
  echo "skipped: zh_CN.UTF-8 is not generated here (scripts/setup.sh generates it)"
  expect "LANG=zh_CN.UTF-8 without the locale: English, as glibc does" "$en_explanation" \
         "LANG=zh_CN.UTF-8"
  expect "--lang zh_CN without the locale" "$zh_explanation" "LANG=zh_CN.UTF-8" --lang=zh_CN
fi

# --- --help ---------------------------------------------------------------
help=$("$tcpwhy" --lang zh_CN --help)
for t in '用法：tcpwhy' '选项：' '实时抓包' '判定结果：' '退出状态：' '三次握手完成，没有重传'; do
  case "$help" in *"$t"*) ;; *) bad "--help in Chinese lacks '$t'" ;; esac
done
for t in 'Usage:' 'Options:' 'Verdicts:' 'Exit status:' 'handshake completed'; do
  case "$help" in *"$t"*) bad "--help in Chinese still says '$t'" ;; esac
done

if command -v python3 >/dev/null 2>&1; then
  for lang in zh_CN en; do
    wide=$("$tcpwhy" --lang $lang --help | python3 -c '
import sys, unicodedata
for l in sys.stdin.read().split("\n"):
    if sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l) > 80: print(l)')
    [ -z "$wide" ] || bad "--help ($lang) has lines wider than 80 columns: $wide"
  done
fi

# --- the Chinese ladder lines up on screen ---------------------------------
ladder=$("$tcpwhy" --lang zh_CN --width 80 "$fixtures/synack_lost_rst_v4/client.pcap" \
         "$fixtures/synack_lost_rst_v4/server.pcap")
if command -v python3 >/dev/null 2>&1; then
  if ! printf '%s\n' "$ladder" | python3 -c '
import sys, unicodedata
def cols(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.stdin.read().split("\n")
bad = 0; n = 0
for i, l in enumerate(lines):
    if "客户端" in l and "服务端" in l and "|" not in l:   # a ladder header
        right = cols(l)                                  # the bars end where 服务端 ends
        left = cols(l[:l.index("客户端")])
        for r in lines[i + 1:]:
            if "|" not in r: break
            n += 1
            if cols(r[:r.index("|")]) != left or cols(r[:r.rindex("|") + 1]) != right:
                print("misaligned:", r); bad = 1
        for r in lines:
            if max(cols(r), 0) > 80 and "|" in r: print("too wide:", r); bad = 1
if n == 0: print("no ladder rows found"); bad = 1
sys.exit(bad)'; then
    bad "the Chinese ladder does not line up"
  else
    echo "ok: the Chinese ladder lines up"
  fi
else
  echo "skipped: ladder alignment (no python3)"
fi
exit $fail
