# keyword-parse-obvious.jq - keyword-parse's built-in packs as the obvious jq program
#
# SPDX-License-Identifier: MIT
# Usage: jq -c -f bench/keyword-parse-obvious.jq < replies.ndjson
# A chain of test() calls, first match wins, opt-out first: the program a
# jq user writes first.  Adds .intent = {name, entities}.  jq has no NFKC
# nor Traditional->Simplified conversion: the regexes list the full-width
# and Traditional forms that matter instead.  Used by bench/keyword-parse.sh.

# full-width and circled digits to a number
def num: explode | map(if . >= 65296 and . <= 65305 then . - 65248
	elif . >= 9312 and . <= 9320 then . - 9263 else . end) | implode | tonumber;
def order_no: [match("(?<![A-Za-z0-9])[A-Za-z]{0,4}-?[0-9]{5,}[A-Za-z0-9]*")]
	| if length > 0 then {order: (.[0].string | ascii_upcase)} else {} end;

.intent = ((.text // "") as $t |
  if $t | test("^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*(stop|stopall|unsubscribe|cancel|end|quit|revoke|optout|td|t|r|ｓｔｏｐ|ｔｄ|ｔ|ｒ|退订|退訂|退定|取消订阅|取消訂閱|拒收)[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$"; "i")
  then {name: "opt_out", entities: {}}
  elif $t | test("^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*(start|yes|unstop|ｓｔａｒｔ|ｙｅｓ|开始|開始)[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$"; "i")
  then {name: "opt_in", entities: {}}
  elif $t | test("^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*(help|info|ｈｅｌｐ|帮助|幫助)[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$|\\bhelp\\b|需要帮助"; "i")
  then {name: "help", entities: {}}
  elif ($t | test("\\b(stop|unsubscribe|quit)\\b|别再发|別再發|不要再发|不要再發|退订|退訂|退定|取消订阅|取消訂閱|拒收"; "i"))
    and ($t | test("(?<![A-Za-z0-9])[A-Za-z]{0,4}-?[0-9]{5,}") | not)
  then {name: "opt_out", entities: {}}
  elif $t | test("(?<![0-9.])10\\s*分(?!钟)")
  then {name: "csat", entities: {score: 10, scale: 10}}
  elif $t | test("(?<![0-9.])[1-9１-９]\\s*分(?!钟)")
  then {name: "csat", entities: {score: ($t | capture("(?<![0-9.])(?<s>[1-9１-９])\\s*分").s | num), scale: 9}}
  elif $t | test("(?<![0-9.])[1-5１-５]\\s*(星|stars?\\b)"; "i")
  then {name: "csat", entities: {score: ($t | capture("(?<![0-9.])(?<s>[1-5１-５])\\s*(星|stars?\\b)"; "i").s | num), scale: 5}}
  elif $t | test("(?<![0-9.])[1-5１-５]\\s*/\\s*[5５](?![0-9])")
  then {name: "csat", entities: {score: ($t | capture("(?<s>[1-5１-５])\\s*/").s | num), scale: 5}}
  elif $t | test("(?<![0-9.])[1-9１-９]\\s*/\\s*[9９](?![0-9])")
  then {name: "csat", entities: {score: ($t | capture("(?<s>[1-9１-９])\\s*/").s | num), scale: 9}}
  elif $t | test("不满意|不滿意|不太满意|不太滿意|👎|\\bnot satisfied\\b|\\bunsatisfied\\b|^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*(一般|差|bad)[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$"; "i")
  then {name: "csat", entities: {satisfied: false}}
  elif $t | test("满意|滿意|👍|\\bsatisfied\\b|^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*good[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$"; "i")
  then {name: "csat", entities: {satisfied: true}}
  elif $t | test("^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*(en|ｅｎ|英文|英语|英語)[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$|\\benglish\\b"; "i")
  then {name: "language", entities: {lang: "en"}}
  elif $t | test("繁體|繁体|正體|正体")
  then {name: "language", entities: {lang: "zh-TW"}}
  elif $t | test("^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*(cn|普通话|普通話)[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$|中文|简体|簡體"; "i")
  then {name: "language", entities: {lang: "zh-CN"}}
  elif $t | test("^[\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*[0-9０-９①-⑨][\\s.,!?;:。，！？、；：~～…【】\\[\\]［］()（）]*$")
  then {name: "menu", entities: {choice: ($t | capture("(?<d>[0-9０-９①-⑨])").d | num)}}
  elif $t | test("退款|\\brefund\\b"; "i")
  then {name: "order_query", entities: ({action: "refund"} + ($t | order_no))}
  elif $t | test("进度|進度|\\bprogress\\b|到哪了"; "i")
  then {name: "order_query", entities: ({action: "progress"} + ($t | order_no))}
  elif $t | test("查|\\bstatus\\b"; "i")
  then {name: "order_query", entities: ({action: "status"} + ($t | order_no))}
  else {name: "other", entities: {}}
  end)
