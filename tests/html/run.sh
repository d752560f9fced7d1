#!/usr/bin/env bash
# The HTML report (--html) in a real browser: for each case, tcpwhy writes
# the page from lab fixtures, headless Chromium (Debian's package) loads it
# from disk and dumps the DOM after the page's script ran, and the checks
# are:
#   - the script ran to its end (data-rendered) and recorded no error
#     (data-errors, filled by window.onerror and console.error), and
#     Chromium logged no console message;
#   - the charts are drawn: the timeline's bars add up, per verdict, to the
#     attempts of that verdict, and the connect-time chart has its 7 bars;
#   - every number the page marks with data-check equals the one computed
#     with jq from `tcpwhy --format json` on the same input (attempts per
#     verdict, failures per server / client subnet / minute, RSTs per sender
#     and cause, loss per direction, connect times, ...), and the page shows
#     exactly the set of numbers jq expects;
#   - one table row per attempt, one ladder per problem attempt; the
#     table's verdict menu, "problems only", search and sorting work;
#   - --html leaves the text report, --filter and -w as they are without it;
#   - a file name holding markup is shown as text, never run as markup.
#   - in Chinese (--lang zh_CN), every label translated and the characters
#     drawn with a CJK font, not as boxes (group_zh).
# The seed case's page is left as a screenshot in the build folder
# (html-report.png, html-report-zh.png). Skipped (77) without chromium or
# jq; fails without a CJK font (fonts-wqy-zenhei, scripts/setup.sh).
#
#   run.sh TCPWHY OUTDIR
set -u
tcpwhy=${1:?usage: run.sh TCPWHY OUTDIR}
outdir=${2:?usage: run.sh TCPWHY OUTDIR}
case "$tcpwhy" in /*) ;; *) tcpwhy=$PWD/$tcpwhy ;; esac
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "chromium not installed: skipped"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "jq not installed: skipped"; exit 77; }
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL [$case]: $*"; fail=1; touch "$tmp/failed"; }

# browser PAGE OUT MODE...: a fresh profile each time, no network, no GPU;
# runs as root in CI, hence --no-sandbox. MODE is --dump-dom or --screenshot=F.
browser() {
  local page=$1 out=$2
  shift 2
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --user-data-dir="$out.profile" --enable-logging=stderr --v=0 \
    --virtual-time-budget=3000 "$@" "file://$page" >"$out" 2>"$out.log"
}

# key value lines: the numbers the page shows, summed per key
dom_numbers() {
  grep -o 'data-check="[^"]*">[^<]*' "$1" |
    sed -e 's/^data-check="\([^"]*\)">/\1 /' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' |
    awk '{ v = $NF; $NF = ""; sub(/ $/, ""); n[$0] += v } END { for (k in n) print k, n[k] }' |
    LC_ALL=C sort
}

# The same numbers from the JSON Lines output.
json_numbers() {
  jq -rs '
    def failure: . != "ok" and . != "ok_after_retrans" and . != "unknown";
    def count(f): map(select(f)) | length;
    def subnet: split(":")[0] | split(".") | .[0:3] + ["0"] | join(".") + "/24";
    [.[] | select(.type == "attempt")] as $a
    | [.[] | select(.type == "summary")] as $s
    | [.[] | select(.type == "rst")] as $r
    | [.[] | select(.type == "loss")] as $l
    | ["attempts \($s | map(.attempts) | add // 0)",
       "failed \($a | count(.verdict | failure))",
       "degraded \($a | count(.verdict == "ok_after_retrans"))",
       "rsts \($r | length)",
       "packets \($s | map(.packets) | add // 0)",
       "rows \($a | length)",
       "connects \($s | map(.connects) | add // 0)",
       "connects_retried \($s | map(.connects_retried) | add // 0)",
       "connects_failed \($s | map(.connects_failed) | add // 0)"]
    + ($a | group_by(.verdict) | map("verdict:\(.[0].verdict) \(length)"))
    + ($s[0].connect_time | keys_unsorted
       | map(. as $k | "connect:\($k) \($s | map(.connect_time[$k]) | add)"))
    + ($a | group_by([.file, .server]) | map(
         "server:\(.[0].file):\(.[0].server):attempts \(length)",
         "server:\(.[0].file):\(.[0].server):failed \(count(.verdict | failure))"))
    + ($a | group_by([.file, (.client | subnet)]) | map(
         "client_subnet:\(.[0].file):\(.[0].client | subnet):attempts \(length)",
         "client_subnet:\(.[0].file):\(.[0].client | subnet):failed \(count(.verdict | failure))"))
    + ($a | group_by([.file, .start[0:16]]) | map(
         "minute:\(.[0].file):\(.[0].start[0:16])Z:attempts \(length)",
         "minute:\(.[0].file):\(.[0].start[0:16])Z:failed \(count(.verdict | failure))"))
    + ($r | group_by(.sender) | map("rst:\(.[0].sender):total \(length)"))
    + ($r | group_by([.sender, .cause]) | map("rst:\(.[0].sender):\(.[0].cause) \(length)"))
    + ($l | map(.direction as $d
         | "loss:\($d):upstream_packets \(.upstream_packets)", "loss:\($d):matched \(.matched)",
           "loss:\($d):lost \(.lost)", "loss:\($d):lost_syn \(.lost_syn)",
           "loss:\($d):lost_synack \(.lost_synack)", "loss:\($d):lost_ack \(.lost_ack)",
           "loss:\($d):lost_rst \(.lost_rst)", "loss:\($d):lost_data \(.lost_data)",
           "loss:\($d):capture_missing \(.capture_missing + .capture_missing_downstream)"))
    | .[]' "$1" | LC_ALL=C sort
}

# The timeline bars, summed per verdict, as "verdict:V N" lines.
dom_timeline() {
  grep -o '<rect[^>]*data-verdict="[a-z_]*" data-n="[0-9]*"' "$1" |
    sed 's/.*data-verdict="\([a-z_]*\)" data-n="\([0-9]*\)"/\1 \2/' |
    awk '{ n[$1] += $2 } END { for (v in n) print "verdict:" v, n[v] }' | LC_ALL=C sort
}

check_page() { # DIR ARGS...: run in DIR (bare file names, as the golden tests)
  local dir=$1 before=$fail
  shift
  local page="$tmp/$case.html" dom="$tmp/$case.dom"
  (cd "$dir" && "$tcpwhy" --html "$page" "$@" >"$tmp/$case.txt" 2>"$tmp/$case.err")
  local rc=$?
  [ $rc -le 1 ] || { bad "tcpwhy --html exited $rc: $(cat "$tmp/$case.err")"; return; }
  (cd "$dir" && "$tcpwhy" "$@" >"$tmp/$case.plain.txt" 2>/dev/null)
  cmp -s "$tmp/$case.txt" "$tmp/$case.plain.txt" || bad "the text report changes with --html"
  (cd "$dir" && "$tcpwhy" --format json "$@" >"$tmp/$case.jsonl" 2>/dev/null)
  grep -q 'src=\|href="http\|url(' "$page" && bad "the page refers to something outside itself"
  browser "$page" "$dom" --dump-dom || { bad "chromium failed: $(tail -3 "$dom.log")"; return; }
  grep -q '<html[^>]* data-errors=""' "$dom" || bad "script errors: $(grep -o 'data-errors="[^"]*"' "$dom")"
  grep -q '<html[^>]* data-rendered="1"' "$dom" || bad "the script did not run to its end"
  grep -q 'CONSOLE' "$dom.log" && bad "console messages: $(grep CONSOLE "$dom.log" | head -3)"
  local want have
  want=$(json_numbers "$tmp/$case.jsonl")
  have=$(dom_numbers "$dom")
  [ -n "$want" ] && [ "$want" = "$have" ] ||
    bad "numbers differ from --format json (< json, > page):$(echo; diff <(echo "$want") <(echo "$have"))"
  want=$(echo "$want" | grep '^verdict:')
  have=$(dom_timeline "$dom")
  [ "$want" = "$have" ] || bad "timeline bars ($have) do not add up to the verdicts ($want)"
  [ "$(grep -o '<rect[^>]*data-bucket=' "$dom" | wc -l)" -eq 7 ] || bad "connect-time chart not drawn"
  local rows problems ladders
  rows=$(grep -o '<tr [^>]*data-verdict=' "$dom" | wc -l)
  [ "$rows" -eq "$(grep -c '"type":"attempt"' "$tmp/$case.jsonl")" ] ||
    bad "$rows table rows, not one per attempt"
  problems=$(jq -s '[.[] | select(.type == "attempt" and .verdict != "ok" and .verdict != "unknown")] | length' "$tmp/$case.jsonl")
  ladders=$(grep -o '<pre class="ladder">' "$dom" | wc -l)
  [ "$ladders" -eq "$problems" ] || bad "$ladders ladders for $problems problem attempts"
  [ $fail -eq $before ] && echo "ok [$case]: $(echo "$have" | wc -l) timeline verdicts, $(dom_numbers "$dom" | wc -l) numbers, $rows rows, $ladders ladders"
}

# Two groups of cases side by side (each Chromium has its own profile).
group_a() {
case=seed_both
check_page "$fixtures/synack_lost_rst_v4" client.pcap server.pcap
grep -q 'data-check="loss:server_to_client:lost_synack">4<' "$tmp/$case.dom" ||
  bad "the 4 lost SYN+ACKs are not shown"
grep -q 'STALE ACK' "$tmp/$case.dom" || bad "no ladder marks the stale ACK"
browser "$tmp/$case.html" "$tmp/shot.out" --window-size=1280,2000 \
  --screenshot="$outdir/html-report.png" && [ -s "$outdir/html-report.png" ] ||
  bad "no screenshot"

case=rst_server_killed
check_page "$fixtures/rst_server_killed" server.pcap
}

group_b() {
case=rst_forged_both
check_page "$fixtures/rst_forged_by_router" client.pcap server.pcap
case=connect_retry
check_page "$fixtures/connect_retry_new_ports" --app-timeout 1s client.pcap

# The table's controls, driven by a script added to a copy of the page (the
# test's, not the product's): the verdict menu, "problems only", a search
# word and sorting by duration, compared with jq on the same records.
case=table_controls
cat >"$tmp/drive.js" <<'JS'
<script>
(function () {
  var out = [], t = document.getElementById('attempts');
  var search = document.querySelector('.controls input[type=search]');
  var menu = document.querySelector('.controls select');
  var only = document.getElementById('problems-only');
  var count = document.querySelector('.controls .count');
  function shown() { return count.getAttribute('data-shown'); }
  menu.value = 'ok'; menu.dispatchEvent(new Event('input'));
  out.push('ok=' + shown());
  menu.value = ''; menu.dispatchEvent(new Event('input'));
  only.checked = true; only.dispatchEvent(new Event('change'));
  out.push('problems=' + shown());
  only.checked = false; only.dispatchEvent(new Event('change'));
  search.value = '40003'; search.dispatchEvent(new Event('input'));
  out.push('port_40003=' + shown());
  search.value = ''; search.dispatchEvent(new Event('input'));
  var heads = t.querySelectorAll('thead th');
  var dur = heads[heads.length - 2];
  dur.click(); dur.click();
  out.push('longest=' + t.querySelector('tbody tr td').textContent);
  document.documentElement.setAttribute('data-drive', out.join(' '));
})();
</script>
JS
sed -e '/<\/body>/{r '"$tmp/drive.js"'' -e '}' "$tmp/connect_retry.html" > "$tmp/drive.html"
browser "$tmp/drive.html" "$tmp/drive.dom" --dump-dom || bad "chromium failed"
want=$(jq -rs '[.[] | select(.type == "attempt")] as $a
  | "ok=\($a | map(select(.verdict == "ok")) | length)"
  + " problems=\($a | map(select(.verdict != "ok" and .verdict != "unknown")) | length)"
  + " port_40003=\($a | map(select(.client | endswith(":40003"))) | length)"
  + " longest=\($a | to_entries | max_by(.value.duration_s) | .key + 1)"' "$tmp/connect_retry.jsonl")
have=$(sed -n 's/.*data-drive="\([^"]*\)".*/\1/p' "$tmp/drive.dom")
[ "$want" = "$have" ] && echo "ok [$case]: $have" || bad "table controls give '$have', jq '$want'"
grep -q '<html[^>]* data-errors=""' "$tmp/drive.dom" || bad "script errors while driving the table"
}

group_c() {
# --html beside --filter and -w: their own output stays as it is.
case=with_filter_and_w
dir=$fixtures/port_reuse_stale
(cd "$dir" && "$tcpwhy" --filter client.pcap >"$tmp/filter.plain")
(cd "$dir" && "$tcpwhy" --filter -w "$tmp/w.pcap" --html "$tmp/f.html" client.pcap >"$tmp/filter.html" 2>/dev/null)
cmp -s "$tmp/filter.plain" "$tmp/filter.html" || bad "--filter output changes with --html"
[ -s "$tmp/w.pcap" ] || bad "-w wrote nothing beside --html"
grep -q '"type":"attempt"' "$tmp/f.html" || bad "--html beside --filter has no attempts"

# A file name holding markup: shown as text, never parsed as markup.
case=escaping
evil='x<img src=q onerror=alert(1)>&amp;.pcap'
cp "$fixtures/refused_v4/client.pcap" "$tmp/$evil"
(cd "$tmp" && "$tcpwhy" --html "$tmp/evil.html" "$evil" >/dev/null 2>&1)
browser "$tmp/evil.html" "$tmp/evil.dom" --dump-dom || bad "chromium failed"
grep -q '<img' "$tmp/evil.dom" && bad "markup from a file name became an element"
grep -q 'x&lt;img src=q onerror=alert(1)&gt;&amp;amp;.pcap' "$tmp/evil.dom" ||
  bad "the file name is not shown as text"
grep -q '<html[^>]* data-errors=""' "$tmp/evil.dom" || bad "script errors with a hostile file name"
}

# The seed case in Chinese (--lang zh_CN): the same numbers and no script
# error (check_page), the labels and lang="zh-CN" from the catalogue, no
# English label left in what a reader sees, and the Chinese really drawn
# with a CJK font: a probe script (the test's, added to a copy of the page)
# draws every Han character the page shows on a canvas in the page's own
# font stack; with no CJK font they all come out as the same .notdef box,
# so they must come out as pairwise different, inked glyphs, none equal to
# an unassigned code point's box. Leaves html-report-zh.png.
group_zh() {
case=seed_zh
local before=$fail
check_page "$fixtures/synack_lost_rst_v4" --lang zh_CN client.pcap server.pcap
local page=$tmp/seed_zh.html dom=$tmp/seed_zh.dom
grep -q '<html lang="zh-CN"' "$dom" || bad "no lang=\"zh-CN\" on the page"
labels() { sed -n '/id="tcpwhy-labels">/,/<\/script>/p' "$1" | sed '1d;$d'; }
(cd "$fixtures/synack_lost_rst_v4" && LANGUAGE=C "$tcpwhy" --lang en --html "$tmp/seed_en.html" client.pcap server.pcap >/dev/null 2>&1)
cat >"$tmp/probe.js" <<'JS'
<script>
(function () {
  var main = document.getElementById('report');
  var seen = [main.innerText];
  document.querySelectorAll('[title], [placeholder], [aria-label]').forEach(function (e) {
    ['title', 'placeholder', 'aria-label'].forEach(function (a) {
      if (e.getAttribute(a)) seen.push(e.getAttribute(a));
    });
  });
  document.querySelectorAll('title').forEach(function (e) { seen.push(e.textContent); });
  var font = '32px ' + getComputedStyle(document.querySelector('h2')).fontFamily;
  function glyph(ch) {
    var c = document.createElement('canvas');
    c.width = c.height = 48;
    var x = c.getContext('2d');
    x.font = font;
    x.textBaseline = 'top';
    x.fillText(ch, 8, 8);
    var d = x.getImageData(0, 0, 48, 48).data, ink = 0, h = 0;
    for (var i = 3; i < d.length; i += 4) { if (d[i]) ink++; h = (h * 31 + d[i]) >>> 0; }
    return ink ? ink + ':' + h : 'blank';
  }
  var han = {}, n = 0;
  (seen.join(' ').match(/[\u4e00-\u9fff]/g) || []).forEach(function (ch) { han[ch] = 1; });
  var box = glyph('\u0378'), shapes = {}, boxes = 0, blank = 0;
  Object.keys(han).forEach(function (ch) {
    var g = glyph(ch);
    n++;
    if (g === box) boxes++;
    if (g === 'blank') blank++;
    shapes[g] = 1;
  });
  var probe = document.createElement('pre');
  probe.id = 'probe';
  probe.setAttribute('data-glyphs', 'han=' + n + ' shapes=' + Object.keys(shapes).length +
    ' boxes=' + boxes + ' blank=' + blank);
  probe.textContent = seen.join('\n');
  document.body.appendChild(probe);
})();
</script>
JS
sed -e '/<\/body>/{r '"$tmp/probe.js"'' -e '}' "$page" >"$tmp/probe.html"
browser "$tmp/probe.html" "$tmp/probe.dom" --dump-dom || bad "chromium failed"
grep -q '<html[^>]* data-errors=""' "$tmp/probe.dom" || bad "script errors in the Chinese page"
# what a reader sees, less the input's file names
sed -n '/<pre id="probe"/,/<\/pre>/p' "$tmp/probe.dom" | sed -e 's/^.*<pre id="probe"[^>]*>//' \
  -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' -e 's/client\.pcap\|server\.pcap//g' >"$tmp/zh.text"
# Every label: in Chinese where the catalogue changes it, and its English
# text nowhere (whole words; short ones like "s" skipped).
local key en zh missing=0 english=0
while IFS=$'\t' read -r key en zh; do
  [ "$en" = "$zh" ] && continue
  grep -qF -- "$zh" "$page" || { bad "label $key ('$zh') not in the page"; missing=1; }
  [ ${#en} -ge 3 ] && grep -qwF -- "$en" "$tmp/zh.text" && { bad "English '$en' ($key) shown on the Chinese page"; english=1; }
done < <(jq -rn --slurpfile e <(labels "$tmp/seed_en.html") --slurpfile z <(labels "$page") \
  '$e[0] | keys[] as $k | [$k, $e[0][$k], $z[0][$k]] | @tsv')
for key in title summary over_time connect_time by_server loss rst_by table details frames; do
  zh=$(labels "$page" | jq -r ".$key")
  grep -qF -- "$zh" "$tmp/zh.text" || bad "the page does not show '$zh' ($key)"
done
grep -qE '丢失|起始于|概览' "$tmp/zh.text" || bad "no Chinese text shown"
local glyphs han shapes
glyphs=$(sed -n 's/.*<pre id="probe" data-glyphs="\([^"]*\)".*/\1/p' "$tmp/probe.dom")
han=$(echo "$glyphs" | sed -n 's/.*han=\([0-9]*\).*/\1/p')
shapes=$(echo "$glyphs" | sed -n 's/.*shapes=\([0-9]*\).*/\1/p')
[ "${han:-0}" -ge 30 ] && [ "$han" = "$shapes" ] && [[ $glyphs == *" boxes=0 blank=0" ]] ||
  bad "Chinese not drawn with a CJK font (tofu; apt-get install fonts-wqy-zenhei): $glyphs"
browser "$page" "$tmp/shot_zh.out" --window-size=1280,2700 \
  --screenshot="$outdir/html-report-zh.png" && [ -s "$outdir/html-report-zh.png" ] ||
  bad "no Chinese screenshot"
[ $fail -eq $before ] && echo "ok [$case]: lang zh-CN, labels translated, $glyphs"
}

{ group_a; group_c; } >"$tmp/a.log" 2>&1 &
{ group_b; group_zh; } >"$tmp/b.log" 2>&1
wait
cat "$tmp/a.log" "$tmp/b.log"
[ ! -e "$tmp/failed" ]
