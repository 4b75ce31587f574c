# keyword-parse-fast.jq - keyword-parse's built-in packs as the fastest jq program we found
#
# SPDX-License-Identifier: MIT
# Usage: jq -nc -f bench/keyword-parse-fast.jq < replies.ndjson
# jq 1.6 compiles a regex at every test() call, so regexes are what cost.
# With -n and `inputs` a table of every exact reply (each keyword in lower
# case, upper case and full width, alone and wrapped in the usual
# punctuation and brackets) is built once; most replies are one object
# lookup, on the text and then on its ascii_downcase.  The rest pays one
# guard regex, and only texts that may match anything go on to the chain
# of keyword-parse-obvious.jq.  Adds .intent = {name, entities}.

def num: explode | map(if . >= 65296 and . <= 65305 then . - 65248
	elif . >= 9312 and . <= 9320 then . - 9263 else . end) | implode | tonumber;
def order_no: [match("(?<![A-Za-z0-9])[A-Za-z]{0,4}-?[0-9]{5,}[A-Za-z0-9]*")]
	| if length > 0 then {order: (.[0].string | ascii_upcase)} else {} end;
# ASCII to full width
def fullwidth: explode | map(if . > 32 and . < 127 then . + 65248 else . end) | implode;
# a keyword as customers wrap it
def wrapped: . as $k | ($k, $k + ".", $k + "。", $k + "!", $k + "！", $k + "!!!",
	$k + "！！！", $k + "?", $k + "？", $k + "、", $k + "\n", " " + $k + " ", "【" + $k + "】",
	"［" + $k + "］", "[" + $k + "]", "(" + $k + ")", "（" + $k + "）");
# a keyword's spellings: as is (lower case), and for ASCII words also
# full width in lower, upper and capitalised case
def spellings: ., (select(test("^[a-z]+$"))
	| (fullwidth, (ascii_upcase | fullwidth), ((.[:1] | ascii_upcase) + .[1:] | fullwidth)));

def table: [
	{v: {name: "csat", entities: {satisfied: false}}, k: ["不满意", "不滿意", "不太满意",
	  "不太滿意", "非常不满意", "非常不滿意", "一般", "差", "👎", "not satisfied",
	  "unsatisfied", "bad"]},
	{v: {name: "csat", entities: {satisfied: true}}, k: ["满意", "滿意", "非常满意",
	  "非常滿意", "很满意", "很滿意", "满意的", "👍", "satisfied", "very satisfied", "good"]},
	(range(1; 10) as $s | {v: {name: "csat", entities: {score: $s, scale: 9}},
	  k: ["\($s)分", "\($s)/9", ("\($s)" | fullwidth) + "分"]}),
	{v: {name: "csat", entities: {score: 10, scale: 10}}, k: ["10分"]},
	(range(1; 6) as $s | {v: {name: "csat", entities: {score: $s, scale: 5}},
	  k: ["\($s)星", "\($s) stars", "\($s) star", "\($s)/5", ("\($s)" | fullwidth) + "星",
	  ("\($s)/5" | fullwidth)]}),
	{v: {name: "language", entities: {lang: "en"}}, k: ["en", "english", "英文", "英语", "英語"]},
	{v: {name: "language", entities: {lang: "zh-CN"}}, k: ["cn", "中文", "简体", "简体中文",
	  "普通话", "簡體", "簡體中文", "普通話"]},
	{v: {name: "language", entities: {lang: "zh-TW"}}, k: ["繁體", "繁体", "繁體中文",
	  "繁体中文", "正體", "正体"]},
	(range(0; 10) as $d | {v: {name: "menu", entities: {choice: $d}},
	  k: (["\($d)", ("\($d)" | fullwidth)] + (if $d > 0 then [[9311 + $d] | implode] else [] end))}),
	{v: {name: "order_query", entities: {action: "refund"}}, k: ["退款", "refund"]},
	{v: {name: "order_query", entities: {action: "status"}}, k: ["查询", "查詢", "查", "查一下", "status"]},
	{v: {name: "order_query", entities: {action: "progress"}}, k: ["进度", "進度", "progress", "到哪了"]},
	{v: {name: "help", entities: {}}, k: ["help", "info", "帮助", "幫助"]},
	{v: {name: "opt_in", entities: {}}, k: ["start", "yes", "unstop", "开始", "開始"]},
	{v: {name: "opt_out", entities: {}}, k: ["stop", "stopall", "unsubscribe", "cancel",
	  "end", "quit", "revoke", "optout", "td", "t", "r", "退订", "退訂", "退定", "取消订阅",
	  "取消訂閱", "拒收"]}
	] | map(.v as $v | .k[] | spellings | wrapped | {key: ., value: $v}) | from_entries;

# The texts the table does not hold, lower-cased ($l): regexes without
# the "i" flag (it makes jq compile them four times slower), and cheap
# contains() checks before any regex.
def has($a): . as $l | any($a[]; . as $k | $l | contains($k));
def P: "[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*";
def slow: . as $l |
  if test("[0-9]{5}") then
    if has(["退款", "refund"]) then {name: "order_query", entities: ({action: "refund"} + order_no)}
    elif has(["进度", "進度", "progress", "到哪了"]) then {name: "order_query", entities: ({action: "progress"} + order_no)}
    elif has(["查", "status"]) then {name: "order_query", entities: ({action: "status"} + order_no)}
    else {name: "other", entities: {}} end
  elif test("stop|unsub|quit|cancel|end|revoke|optout|start|yes|help|info|good|bad|satisf|english|^\\W*(en|cn|t|r|td)\\W*$|[0-9０-９①-⑨]|refund|progress|status|别再发|別再發|不要再|退|订|訂|拒收|开始|開始|帮助|幫助|满意|滿意|一般|差|👍|👎|英|中文|简体|簡體|繁|正體|正体|普通|查|进度|進度|到哪了") | not
  then {name: "other", entities: {}}
  elif has(["别再发", "別再發", "不要再发", "不要再發", "退订", "退訂", "退定", "取消订阅", "取消訂閱", "拒收"])
    or (has(["stop", "unsubscribe", "quit", "cancel", "end", "revoke", "optout", "ｓｔｏｐ", "ｔ", "ｒ"])
      and test("\\b(stop|unsubscribe|quit)\\b|^" + P + "(stop|stopall|unsubscribe|cancel|end|quit|revoke|optout|td|t|r|ｓｔｏｐ|ｔｄ|ｔ|ｒ)" + P + "$"))
  then {name: "opt_out", entities: {}}
  elif has(["start", "yes", "stop", "开始", "開始", "ｓ", "ｙ"])
    and test("^" + P + "(start|yes|unstop|ｓｔａｒｔ|ｙｅｓ|开始|開始)" + P + "$")
  then {name: "opt_in", entities: {}}
  elif has(["需要帮助"]) or (has(["help", "info", "ｈ", "帮助", "幫助"])
    and test("^" + P + "(help|info|ｈｅｌｐ|帮助|幫助)" + P + "$|\\bhelp\\b"))
  then {name: "help", entities: {}}
  elif contains("分") and test("(?<![0-9.])10\\s*分(?!钟)")
  then {name: "csat", entities: {score: 10, scale: 10}}
  elif contains("分") and test("(?<![0-9.])[1-9１-９]\\s*分(?!钟)")
  then {name: "csat", entities: {score: (capture("(?<![0-9.])(?<s>[1-9１-９])\\s*分").s | num), scale: 9}}
  elif has(["星", "star"]) and test("(?<![0-9.])[1-5１-５]\\s*(星|stars?\\b)")
  then {name: "csat", entities: {score: (capture("(?<![0-9.])(?<s>[1-5１-５])\\s*(星|stars?\\b)").s | num), scale: 5}}
  elif contains("/") and test("(?<![0-9.])[1-5１-５]\\s*/\\s*[5５](?![0-9])")
  then {name: "csat", entities: {score: (capture("(?<s>[1-5１-５])\\s*/").s | num), scale: 5}}
  elif contains("/") and test("(?<![0-9.])[1-9１-９]\\s*/\\s*[9９](?![0-9])")
  then {name: "csat", entities: {score: (capture("(?<s>[1-9１-９])\\s*/").s | num), scale: 9}}
  elif has(["不满意", "不滿意", "不太满意", "不太滿意", "👎"])
    or (has(["satisf"]) and test("\\b(not satisfied|unsatisfied)\\b"))
    or (has(["一般", "差", "bad"]) and test("^" + P + "(一般|差|bad)" + P + "$"))
  then {name: "csat", entities: {satisfied: false}}
  elif has(["满意", "滿意", "👍"]) or (has(["satisf"]) and test("\\bsatisfied\\b"))
    or (contains("good") and test("^" + P + "good" + P + "$"))
  then {name: "csat", entities: {satisfied: true}}
  elif (contains("english") and test("\\benglish\\b"))
    or (has(["en", "ｅ", "英"]) and test("^" + P + "(en|ｅｎ|英文|英语|英語)" + P + "$"))
  then {name: "language", entities: {lang: "en"}}
  elif has(["繁體", "繁体", "正體", "正体"])
  then {name: "language", entities: {lang: "zh-TW"}}
  elif has(["中文", "简体", "簡體"]) or (has(["cn", "普通"]) and test("^" + P + "(cn|普通话|普通話)" + P + "$"))
  then {name: "language", entities: {lang: "zh-CN"}}
  elif test("^" + P + "[0-9０-９①-⑨]" + P + "$")
  then {name: "menu", entities: {choice: (capture("(?<d>[0-9０-９①-⑨])").d | num)}}
  elif has(["退款", "refund"]) then {name: "order_query", entities: {action: "refund"}}
  elif has(["进度", "進度", "progress", "到哪了"]) then {name: "order_query", entities: {action: "progress"}}
  elif has(["查", "status"]) then {name: "order_query", entities: {action: "status"}}
  else {name: "other", entities: {}}
  end;

table as $T
| inputs
| (.text // "") as $t
| .intent = ($T[$t] // ($t | ascii_downcase) as $l | $T[$l] // ($l | slow))
