# cxkit.fish - fish completion for the cxkit programs
#
# SPDX-License-Identifier: MIT
# One file for every program: it is installed as <program>.fish in a
# vendor_completions.d directory for each program, and defines the
# completions of all of them once, whichever is loaded first.
#
# To add a program: write its block at the end, starting with
# `__cxkit_common PROG`.

if not set -q __cxkit_completions_loaded
    set -g __cxkit_completions_loaded 1

    # The SMS provider types (cxkit(7), sms-send(1)).
    set -g __cxkit_sms_types twilio vonage aliyun tencent kannel http outbox

    # The IM provider types (cxkit(7), im-send(1)).
    set -g __cxkit_im_types wecom-robot wecom-app dingtalk feishu slack teams \
        telegram matrix xmpp webhook im-outbox

    # The configuration file in use: -c/--config on the command line, else
    # $CXKIT_CONFIG, else $XDG_CONFIG_HOME/cxkit/config, else
    # ~/.config/cxkit/config.
    function __cxkit_config_file
        set -l f
        set -l tokens (commandline -opc)
        set -l i 2
        while test $i -le (count $tokens)
            switch $tokens[$i]
                case -c --config
                    set -l j (math $i + 1)
                    if test $j -le (count $tokens)
                        set f $tokens[$j]
                    end
                case '--config=*'
                    set f (string replace -- --config= '' $tokens[$i])
                case '-c?*'
                    set f (string sub -s 3 -- $tokens[$i])
            end
            set i (math $i + 1)
        end
        if test -z "$f"
            if test -n "$CXKIT_CONFIG"
                set f $CXKIT_CONFIG
            else if string match -q '/*' -- "$XDG_CONFIG_HOME"
                set f $XDG_CONFIG_HOME/cxkit/config
            else
                set f $HOME/.config/cxkit/config
            end
        end
        string replace -r '^~/' "$HOME/" -- $f
    end

    # __cxkit_sections KIND [TYPE...]: the names of the [KIND NAME] sections
    # of the configuration, only those whose `type` is one of the TYPEs when
    # given.
    function __cxkit_sections -a kind
        set -l f (__cxkit_config_file)
        test -r "$f"; or return 0
        awk -v kind="$kind" -v types="$argv[2..-1]" '
        function flush() {
            if (name != "" && (types == "" || (type in want)))
                print name
            name = ""
        }
        BEGIN {
            n = split(types, t, " ")
            for (i = 1; i <= n; i++)
                want[t[i]] = 1
        }
        /^[ \t]*\[/ {
            flush()
            s = $0
            sub(/^[ \t]*\[[ \t]*/, "", s)
            sub(/[ \t]*\].*$/, "", s)
            split(s, a, /[ \t]+/)
            if (a[1] == kind && a[2] != "")
                name = a[2]
            type = ""
            next
        }
        /^[ \t]*type[ \t]*[=:]/ {
            v = $0
            sub(/^[^=:]*[=:][ \t]*/, "", v)
            sub(/[ \t]*([;#].*)?$/, "", v)
            type = v
        }
        END { flush() }' $f 2>/dev/null
    end

    # __cxkit_templates [EXT...]: the template names: files NAME.EXT and
    # NAME.LANG.EXT in the templates directory (EXT txt when none is given),
    # and [template NAME] sections of the configuration.
    function __cxkit_templates
        set -l exts $argv
        set -q exts[1]; or set exts txt
        set -l dir
        if test -n "$CXKIT_TEMPLATES"
            set dir $CXKIT_TEMPLATES
        else
            set -l f (__cxkit_config_file)
            if test -f "$f"
                if string match -q '*/*' -- $f
                    set dir (string replace -r '/[^/]*$' '' -- $f)/templates
                else
                    set dir templates
                end
            else if string match -q '/*' -- "$XDG_CONFIG_HOME"
                set dir $XDG_CONFIG_HOME/cxkit/templates
            else
                set dir $HOME/.config/cxkit/templates
            end
        end
        begin
            for e in $exts
                for f in $dir/*.$e
                    test -f $f; or continue
                    set -l n (string replace -r "\\.$e\$" '' -- (basename -- $f))
                    string replace -r '\.[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$' '' -- $n
                end
            end
            __cxkit_sections template
        end | sort -u
    end

    # The options every program takes (cxkit(7)).
    function __cxkit_common -a prog
        complete -c $prog -f
        complete -c $prog -s c -l config -r -F -d 'Read the configuration from FILE'
        complete -c $prog -s n -l dry-run -d 'Check and render every record, send nothing'
        complete -c $prog -l log-format -x -a 'text json' -d 'Diagnostics as text or JSON lines'
        complete -c $prog -s q -l quiet -d 'Print errors only'
        complete -c $prog -l rejects -r -F -d 'Append input lines that are not JSON objects to FILE'
        complete -c $prog -l state -r -F -d 'Use the state database FILE'
        complete -c $prog -s v -l verbose -d 'Say more on stderr (repeat for detail)'
        complete -c $prog -s V -l version -d 'Print the version'
        complete -c $prog -s '?' -l help -d 'Print the options'
        complete -c $prog -l usage -d 'Print a short usage message'
    end

    # --- sms-send -------------------------------------------------------------
    __cxkit_common sms-send
    complete -c sms-send -l allow-sensitive -d 'Send texts with a payment card or resident ID number'
    complete -c sms-send -l concurrency -x -d 'Requests in flight at once (default 8)'
    complete -c sms-send -l from -x -d 'Sender when the record has no from'
    complete -c sms-send -l max-segments -x -d 'Fail messages longer than N segments (default 10)'
    complete -c sms-send -l quiet-hours -x -d 'Defer messages in this window (HH:MM-HH:MM)'
    complete -c sms-send -l rate -x -d 'At most N messages a second per provider'
    complete -c sms-send -l region -x -d 'Country (ISO 3166) of numbers without a country code'
    complete -c sms-send -l resend-unknown -d 'Send again ids left with an unknown outcome'
    complete -c sms-send -l retries -x -d 'Retries of a request that did not get through (default 3)'
    complete -c sms-send -s t -l template -x -a '(__cxkit_templates)' -d 'Render the text from template NAME'
    complete -c sms-send -l timeout -x -d 'Time limit of one request in seconds (default 30)'
    complete -c sms-send -l via -x -a '(__cxkit_sections provider $__cxkit_sms_types; echo outbox)' -d 'Send through [provider NAME]'

    # --- im-send --------------------------------------------------------------
    __cxkit_common im-send
    complete -c im-send -l allow-sensitive -d 'Send texts with a card or resident ID number to customers'
    complete -c im-send -l concurrency -x -d 'Requests in flight at once (default 8)'
    complete -c im-send -l overflow -x -a 'split\t"Split into numbered parts (default)" fail\t"Fail with too_long"' -d 'A text longer than the platform takes'
    complete -c im-send -l rate -x -d 'At most N messages a second per target'
    complete -c im-send -l resend-unknown -d 'Send again ids left with an unknown outcome'
    complete -c im-send -l retries -x -d 'Retries of a request that did not get through (default 3)'
    complete -c im-send -s t -l template -x -a '(__cxkit_templates txt md)' -d 'Render the text from template NAME'
    complete -c im-send -l timeout -x -d 'Time limit of one request in seconds (default 30)'
    complete -c im-send -l via -x -a '(__cxkit_sections provider $__cxkit_im_types; echo outbox)' -d 'Send through the target [provider NAME]'

    # --- keyword-parse --------------------------------------------------------
    # __cxkit_packs: the pack names after the comma-separated list typed so far.
    function __cxkit_packs
        set -l tok (string replace -r -- '^--packs=' '' (commandline -ct))
        set -l pre (string match -r -- '^.*,' $tok)
        for p in optout csat language menu order none
            printf '%s%s\n' "$pre" $p
        end
    end
    __cxkit_common keyword-parse
    complete -c keyword-parse -l dump-packs -d "Print the built-in packs' rules and exit"
    complete -c keyword-parse -l packs -x -a '(__cxkit_packs)' -d 'Built-in packs to use, comma-separated, or none'
    complete -c keyword-parse -l record -d 'Write opt-outs, opt-ins and language choices to the state store'
    complete -c keyword-parse -l region -x -d 'Country (ISO 3166) of sender numbers without a country code'
    complete -c keyword-parse -s r -l rules -r -F -a '(__fish_complete_suffix .rules)' -d 'Read rules from FILE (repeatable)'

    # --- queue-notify ---------------------------------------------------------
    __cxkit_common queue-notify
    complete -c queue-notify -l events -r -F -d 'Also write every queue event, normalised, to FILE'
    complete -c queue-notify -l from -x -a 'cxkit\t"cxkit queue events (NDJSON)" asterisk\t"Asterisk queue_log" freeswitch\t"mod_callcenter JSON"' -d 'Input format'
    complete -c queue-notify -l now -x -d 'Time (RFC 3339) of events that carry none'
    complete -c queue-notify -l region -x -d 'Country (ISO 3166) of caller numbers without a country code'
    complete -c queue-notify -l skipped -r -F -d 'Write a record for each message not made, saying why'
    # --- ticket-sync ----------------------------------------------------------
    __cxkit_common ticket-sync
    set -l __ts_cmds pull push lookup show list update
    complete -c ticket-sync -n "not __fish_seen_subcommand_from $__ts_cmds" -f -a pull -d 'Write ticket events since the last pull'
    complete -c ticket-sync -n "not __fish_seen_subcommand_from $__ts_cmds" -f -a push -d 'Open or update tickets for the records read'
    complete -c ticket-sync -n "not __fish_seen_subcommand_from $__ts_cmds" -f -a lookup -d 'Add the status of the ticket or order a record names'
    complete -c ticket-sync -n "not __fish_seen_subcommand_from $__ts_cmds" -f -a show -d 'Write one ticket'
    complete -c ticket-sync -n "not __fish_seen_subcommand_from $__ts_cmds" -f -a list -d 'Write the local tickets'
    complete -c ticket-sync -n "not __fish_seen_subcommand_from $__ts_cmds" -f -a update -d 'Set a status or add an agent comment'
    complete -c ticket-sync -l all -d 'list: include solved and closed tickets'
    complete -c ticket-sync -l author -x -d 'update: the agent who writes the comment'
    complete -c ticket-sync -l comment -x -d 'update: add this comment, written by an agent'
    complete -c ticket-sync -l private -d 'update: the comment is internal'
    complete -c ticket-sync -l region -x -d 'Country (ISO 3166) of numbers without a country code'
    complete -c ticket-sync -l since -x -d 'pull: replay the changes since TIME (RFC 3339)'
    complete -c ticket-sync -l status -x -a 'new open pending hold solved closed' -d 'update: set the status; list: only tickets in it'
    complete -c ticket-sync -l template-not-found -x -d 'lookup: the template of a record not found'
    complete -c ticket-sync -l via -x -a '(__cxkit_sections ticket; echo local)' -d 'Use the backend of section [ticket NAME]'
    # --- msg-recv -------------------------------------------------------------
    __cxkit_common msg-recv
    complete -c msg-recv -l dedup-window -x -d 'Remember message ids this long in the state store (s)'
    complete -c msg-recv -l listen -x -a '127.0.0.1:8080 [::1]:8080 0.0.0.0:8080' -d 'Listen on ADDR:PORT'
    complete -c msg-recv -l max-body -x -d 'Refuse larger request bodies with 413 (bytes)'
    complete -c msg-recv -l max-connections -x -d 'At most N connections at once'
    complete -c msg-recv -l max-per-address -x -d 'At most N connections at once from one address'
    complete -c msg-recv -l queue -x -d 'Hold at most N records for a slow stdout, then 503'
    complete -c msg-recv -l rate -x -d 'At most N requests a second from one address'
    complete -c msg-recv -l spool -r -F -d 'Append records to FILE, fsynced, instead of stdout'
    complete -c msg-recv -l timeout -x -d 'Close a connection idle this long (s)'
    complete -c msg-recv -l tls-cert -r -F -d 'Serve HTTPS with this PEM certificate'
    complete -c msg-recv -l tls-key -r -F -d 'The PEM private key of --tls-cert'

    # --- cx-report ------------------------------------------------------------
    # __cxkit_by_keys: the --by keys after the comma-separated list typed so far.
    function __cxkit_by_keys
        set -l tok (string replace -r -- '^(--by=|-b)' '' (commandline -ct))
        set -l pre (string match -r -- '^.*,' $tok)
        for k in channel queue provider intent agent template day hour week
            printf '%s%s\n' "$pre" $k
        end
    end
    __cxkit_common cx-report
    complete -c cx-report -l alloc -x -a 'arena libc' -d "jansson's allocator"
    complete -c cx-report -s b -l by -x -a '(__cxkit_by_keys)' -d 'Group by these keys, comma-separated'
    complete -c cx-report -l conversation-gap -x -d 'Hours of silence that end a conversation (default 24)'
    complete -c cx-report -l dedup -d 'Count a repeated queue event (call_id, event, ts) once'
    complete -c cx-report -l delivery-base -x -a 'receipts sent' -d 'Denominator of the delivery rate'
    complete -c cx-report -s f -l format -x -a 'table json csv markdown html' -d 'Output format'
    complete -c cx-report -l from -x -d 'Only records at or after TIME'
    complete -c cx-report -s j -l jobs -x -d 'Threads in all'
    complete -c cx-report -l merge -d 'Read partial results and combine them'
    complete -c cx-report -l partial -d 'Write mergeable partial results'
    complete -c cx-report -l repeat-days -x -d 'Repeat-contact window in days (default 7)'
    complete -c cx-report -l replies -x -a 'agent any' -d 'Sends that answer a customer: agent (default) or any'
    complete -c cx-report -l resolution -x -a 'first full' -d 'Resolution time to the first or latest solve'
    complete -c cx-report -l short-abandon -x -d 'Abandons within S seconds are short (default 5)'
    complete -c cx-report -l show-pii -d "Show phone numbers and agents' names unmasked"
    complete -c cx-report -l sl-formula -x -a 'icmi answered offered neutral short' -d 'Service level formula'
    complete -c cx-report -l sl-threshold -x -d 'Service level threshold in seconds (default 20)'
    complete -c cx-report -l timeout-as -x -a 'overflow abandon' -d 'Count queue timeouts as overflow or abandons'
    complete -c cx-report -l to -x -d 'Only records before TIME'
    complete -c cx-report -l top -x -d 'Rows of the ranked lists (default 10)'
    complete -c cx-report -l tz -x -d 'Time zone of days, hours and weeks'
    complete -c cx-report -l uncensored -d 'Count contacts whose repeat window is still open'
end
