#!/usr/bin/env bash
# Agreement with tshark: for every corpus file that tshark reads without
# error, tcpwhy's summary counts (packets, tcp_syn, tcp_synack, tcp_rst) must
# equal tshark's counts of the outermost TCP header of each frame
# (spec/verdicts.md, "Summary record").
#   tshark_agree.sh TCPWHY [CORPUS_DIR]
# Skips (exit 77) when the corpus or tshark is absent. Fails when the share of
# files with TCP that agree drops below MIN_PERCENT, the figure recorded in
# docs/robustness.md, which lists every disagreeing file and why.
# TW_AGREE_VERBOSE=1 prints every disagreement; TW_AGREE_JOBS sets parallelism.
#
# Starting tshark costs about 0.15 s of CPU, which over 2,300 files is more
# than the whole test may take, so the files tshark reads are concatenated in
# batches with mergecap (capinfos gives each file's frame count, which splits
# tshark's output back into files). A batch that mergecap refuses, or whose
# frame count does not add up, is done file by file.
set -u
export LC_ALL=C # sort and join must agree on the order
MIN_PERCENT=${TW_AGREE_MIN:-100}
tcpwhy=$1
corpus=${2:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/corpus}
[ -d "$corpus" ] || { echo "agree: SKIP: no corpus at $corpus"; exit 77; }
for t in tshark capinfos mergecap; do
  command -v $t >/dev/null || { echo "agree: SKIP: $t is not installed (Debian: tshark)"; exit 77; }
done
jobs=${TW_AGREE_JOBS:-2}
batch=${TW_AGREE_BATCH:-150}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tshark's view of frames, one line each: protocols, then the first SYN, ACK
# and RST flags. Reassembly is off, so a fragmented segment's TCP header is
# where tcpwhy sees it (the first fragment) and nothing is dissected twice;
# sequence analysis is off (not needed, and slow).
tshark_fields() {
  timeout 300 tshark -n -r "$1" \
    -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
    -o tcp.desegment_tcp_streams:FALSE -o tcp.analyze_sequence_numbers:FALSE \
    -T fields -E occurrence=f \
    -e frame.protocols -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.reset 2>/dev/null
}

# Reads "file<TAB>frames" lines (fd 3) and tshark's frame lines (stdin);
# prints "file<TAB>packets syn synack rst tcp". A frame counts when its first
# TCP layer is not inside an ICMP error (spec: "a TCP header quoted inside an
# ICMP error is not counted"): frame.protocols says where the first tcp is.
count_frames() {
  awk -F'\t' -v counts="$1" '
    function next_file() {
      while (left == 0) {
        if ((getline line < counts) <= 0) return 0
        split(line, c, "\t"); name = c[1]; left = c[2] + 0
        n = s = sa = r = tcp = 0
        if (left == 0) print name "\t0 0 0 0 0"
      }
      return 1
    }
    { if (!next_file()) exit 1
      n++
      k = split($1, p, ":"); first = 0
      for (i = 1; i <= k; i++) {
        if (p[i] == "icmp" || p[i] == "icmpv6") break
        if (p[i] == "tcp") { first = i; break }
      }
      if (first && $2 != "") {
        tcp++
        syn = ($2 == "1" || $2 == "True"); ack = ($3 == "1" || $3 == "True")
        if (syn && !ack) s++
        if (syn && ack) sa++
        if ($4 == "1" || $4 == "True") r++
      }
      if (--left == 0) print name "\t" n " " s " " sa " " r " " tcp }
    END { left = 0; while ((getline line < counts) > 0) { split(line, c, "\t"); print c[1] "\t0 0 0 0 0" } }'
}

# One batch: "file<TAB>frames" lines in $1; results to $1.out.
do_batch() {
  list=$1
  cut -f1 "$list" | tr '\n' '\0' > "$list.files"
  if xargs -0 mergecap -a -F pcapng -w "$list.pcapng" < "$list.files" 2>/dev/null; then
    tshark_fields "$list.pcapng" | count_frames "$list" > "$list.out"
    want=$(awk -F'\t' '{ s += $2 } END { print s + 0 }' "$list")
    got=$(awk -F'\t' '{ split($2, a, " "); s += a[1] } END { print s + 0 }' "$list.out")
    rm -f "$list.pcapng"
    [ "$want" = "$got" ] && [ "$(wc -l < "$list.out")" = "$(wc -l < "$list")" ] && return
  fi
  : > "$list.out"
  while IFS=$'\t' read -r f frames; do
    printf '%s\t%s\n' "$f" "$frames" > "$list.one"
    tshark_fields "$f" | count_frames "$list.one" >> "$list.out"
  done < "$list"
}

tw_counts() {
  for f in "$@"; do
    c=$("$tcpwhy" --format json "$f" 2>/dev/null | grep '"type":"summary"' | head -1 |
        sed -E 's/.*"packets":([0-9]+),"tcp_syn":([0-9]+),"tcp_synack":([0-9]+),"tcp_rst":([0-9]+).*/\1 \2 \3 \4/')
    printf '%s\t%s\n' "$f" "${c:-none}"
  done
}
export -f tshark_fields count_frames do_batch tw_counts
export tcpwhy

find "$corpus" -type f ! -name '*.md' -print0 | sort -z > "$tmp/all"
n_all=$(tr -cd '\0' < "$tmp/all" | wc -c)
# The files tshark reads: capinfos (the same file readers) reads them to the end.
xargs -0 capinfos -T -r -c -M -- < "$tmp/all" 2>/dev/null | awk -F'\t' 'NF == 2' > "$tmp/read"
split -l "$batch" -d -a 3 "$tmp/read" "$tmp/batch."
ls "$tmp"/batch.??? | xargs -r -n1 -P"$jobs" bash -c 'do_batch "$1"' _
cat "$tmp"/batch.???.out | sort > "$tmp/tshark"
cut -f1 "$tmp/read" | tr '\n' '\0' | xargs -0 -r -n 50 -P"$jobs" bash -c 'tw_counts "$@"' _ |
  sort > "$tmp/tcpwhy"

join -t $'\t' "$tmp/tshark" "$tmp/tcpwhy" | awk -F'\t' -v corpus="$corpus/" \
  -v verbose="${TW_AGREE_VERBOSE:-0}" -v min="$MIN_PERCENT" -v n_all="$n_all" '
  { split($2, t, " "); want = t[1] " " t[2] " " t[3] " " t[4]; tcp = t[5]
    split($3, w, " "); tw_tcp = w[2] + w[3] + w[4]
    f = substr($1, length(corpus) + 1)
    read++
    if (tcp == 0 && tw_tcp == 0) { notcp++; next }
    if (want == $3) { agree++; next }
    differ++
    lines[differ] = "differ: " f ": tshark " want ", tcpwhy " $3 }
  END {
    if (verbose == 1 || differ <= 40)
      for (i = 1; i <= differ; i++) print lines[i]
    withtcp = agree + differ
    if (withtcp == 0) { print "agree: no file with TCP"; exit 1 }
    pct = sprintf("%.2f", 100 * agree / withtcp)
    printf "agree: %d of %d files with TCP agree (%s %%, minimum %s %%); %d without TCP;" \
           " %d of %d files not read to the end by tshark\n",
           agree, withtcp, pct, min, notcp, n_all - read, n_all
    exit !(pct + 0 >= min + 0) }'
