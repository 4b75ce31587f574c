#!/usr/bin/env python3
# gen-replies.py - N inbound customer replies (NDJSON) for keyword-parse's bench
#
# SPDX-License-Identifier: MIT
# Usage: gen-replies.py N [SEED]
# Inbound message records (DESIGN.md: channel, from, to, text, ts, id) with
# the texts customers of a Chinese/English hotline really send back to our
# notices, in a fixed mix drawn from the patterns of
# tests/data/keyword-parse/golden.ndjson: menu digits in their many shapes,
# ratings, satisfaction words, opt-outs exact and in sentences, opt-ins,
# help, language choices, order queries with random order numbers, and
# plenty of chatter; about 1 in 500 is a long complaint (0.3-2.5k
# characters).  The same N and SEED give the same bytes.
import json
import random
import sys
import time

n = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20251001)

MENU = ["1", "2", "3", "1", "2", "1", "4", "5", "0", "9", "１", "２", "【1】", "【2】",
        "【１】", "①", "②", "(1)", "（1）", "1.", "1、", " 1 ", "1\n", "2。", "［3］"]
CSAT = ["8分", "9分", "10分", "7分", "5分", "９分", "5星", "4星", "５星", "5 stars",
        "4 stars", "4/5", "5/5", "7/9", "满意", "非常满意", "很满意", "满意！", "满意的",
        "👍", "satisfied", "Very satisfied", "good", "Good!", "滿意", "非常滿意",
        "不满意", "不太满意", "非常不满意", "一般", "差", "👎", "not satisfied", "bad",
        "不滿意", "I'd give it 8分, thanks", "8分，谢谢", "给5星", "打9分", "5星好评",
        "非常满意，谢谢！", "服务很满意", "满意😊", "👍👍👍", "客服很耐心，非常满意",
        "不满意，等了太久", "对处理结果不满意", "not satisfied at all", "師傅很專業，很滿意"]
OPTOUT = ["STOP", "stop", "Stop", "Stop.", "STOP!!!", "ＳＴＯＰ", "退订", "退订。", "退訂",
          "TD", "td", "T", "t", "R", "退定", "取消订阅", "拒收", "UNSUBSCRIBE",
          "unsubscribe", "STOPALL", "CANCEL", "cancel", "END", "QUIT", "REVOKE",
          "OPTOUT", "【退订】", "ＴＤ"]
OPTOUT_LOOSE = ["please stop texting me", "stop sending me messages", "STOP PLEASE",
                "please unsubscribe me", "别再发了", "不要再发短信了", "我要退订",
                "请帮我退订", "退订，谢谢", "Stop texting me", "TD退订", "回T退订",
                "別再發了", "以后别再发了", "1 STOP", "满意，但请退订"]
OPTIN = ["START", "start", "YES", "yes", "Yes", "UNSTOP", "开始", "開始"]
HELP = ["HELP", "help", "Help", "INFO", "帮助", "幫助", "help?", "I need help", "需要帮助"]
LANG = ["EN", "en", "English", "english", "英文", "英语", "CN", "中文", "简体",
        "简体中文", "普通话", "繁體", "繁体", "繁體中文", "正體", "English please",
        "请用中文回复", "請用繁體回覆"]
VERB_ONLY = ["退款", "查询", "查", "进度", "refund", "status", "進度", "查一下"]
ORDER_FMT = ["退款 {o}", "退款+{o}", "退款{o}", "refund {l}", "查询 {o}", "查 {o}",
             "查一下 {o}", "status {o}", "进度 {o}", "進度 {o}", "{o} 进度", "{o}进度",
             "{o} 到哪了", "查詢 {o}", "我想退款，订单号{o}", "请问{o}的退款什么时候到账",
             "帮我查询一下订单 {o}", "Hi, what's the status of order {o}?",
             "I want a refund for {o}", "我的快递到哪了 {o}", "請問訂單{o}的進度"]
OTHER = ["thanks, it works", "Thank you!", "ok thanks", "ok", "OK", "好的", "好", "收到",
         "谢谢", "谢谢！", "多谢", "知道了", "收到了，谢谢", "嗯", "哈哈", "你好",
         "您好，请问在吗？", "在吗", "在吗？", "转人工", "人工客服", "我要投诉", "投訴",
         "发票怎么开", "怎么换货", "地址写错了，能改吗", "什么时候发货", "我已经付款了",
         "不用了", "算了", "再见", "我在开会，稍后回复", "明天上午可以吗",
         "请问你们几点下班", "师傅什么时候上门", "好的，明天再说", "hello?", "Hi",
         "Who is this?", "wrong number", "What time do you open?",
         "very helpful, thanks", "sotp", "unsubscibe", "😀", "🙏", "👌", "谢谢😊",
         "OK👌", "", "   ", "？", "...", "12", "10", "W20251001", "13800138000",
         "订单号 W20251001", "cancel my order W20251001", "取消订单 W20251001",
         "師傅下午幾點到？", "能不能快一点", "电话一直打不通", "我刚才打过电话了",
         "Can someone call me back?", "I already paid", "see you tomorrow"]
LONG_ZH = ("我上周在你们网店买的电饭煲，收到以后发现内胆有划痕，外包装也破了。"
           "我打了好几次客服电话，每次都要等很久，好不容易接通了，客服说会有专人联系我，"
           "结果等了三天也没人联系。我白天要上班，只有晚上有空，希望你们能安排师傅晚上过来看看，"
           "或者直接给我换一个新的。")
LONG_EN = ("I called your hotline three times this week about the washing machine that was "
           "delivered on Monday. Each time I waited on hold for a long time and then the call "
           "dropped. The control panel shows an error code and the drum will not spin. ")
LONG_TAIL = ["", "", "", "以后别再发了！", "对这次服务非常不满意。", "订单{o}的退款请尽快处理。",
             " Please stop texting me."]

# (weight in 1/1000, generator)
def pick(lst):
    return lambda: rng.choice(lst)


def order_no():
    r = rng.random()
    if r < 0.5:
        return "W2025%04d" % rng.randrange(10000)
    if r < 0.75:
        return "%011d" % rng.randrange(20250000000, 20259999999)
    if r < 0.9:
        return "SO-%06d" % rng.randrange(1000000)
    return "JD%010d" % rng.randrange(10 ** 10)


def order():
    o = order_no()
    return rng.choice(ORDER_FMT).format(o=o, l=o.lower())


def long_text():
    base = rng.choice([LONG_ZH, LONG_EN])
    t = base * rng.randrange(2, 1 + 2500 // len(base))
    return t + rng.choice(LONG_TAIL).format(o=order_no())


MIX = [
    (230, pick(MENU)),
    (180, pick(CSAT)),
    (55, pick(OPTOUT)),
    (20, pick(OPTOUT_LOOSE)),
    (15, pick(OPTIN)),
    (15, pick(HELP)),
    (40, pick(LANG)),
    (20, pick(VERB_ONLY)),
    (110, order),
    (313, pick(OTHER)),
    (2, long_text),
]
assert sum(w for w, _ in MIX) == 1000
table = [g for w, g in MIX for _ in range(w)]

t0 = 1759305600  # 2025-10-01T08:00:00Z
out = sys.stdout
buf = []
for i in range(n):
    text = rng.choice(table)()
    if rng.random() < 0.9:
        rec = {"channel": "sms", "from": "+86%d" % rng.randrange(13000000000, 19999999999),
               "to": "10690000"}
    else:
        rec = {"channel": "wechat", "from": "o6_bm%013d" % rng.randrange(10 ** 13),
               "to": "gh_cxkit"}
    rec["text"] = text
    rec["ts"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + i // 4))
    rec["id"] = "m%07d" % i
    buf.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    if len(buf) >= 10000:
        out.write("\n".join(buf) + "\n")
        buf = []
if buf:
    out.write("\n".join(buf) + "\n")
