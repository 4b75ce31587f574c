# cxkit.bash - bash completion for the cxkit programs
#
# SPDX-License-Identifier: MIT
# One file for every program: it is installed under each program's name
# (bash-completion loads completions/<command> on first use), or can be
# sourced from ~/.bashrc.  Needs nothing from bash-completion itself.
#
# To add a program: write its block at the end (_cxkit_<prog>_opts and
# _cxkit_<prog>_arg, with '-' in the name as '_') and add its name to the
# `complete` line.

# The SMS provider types (cxkit(7), sms-send(1)).
_cxkit_sms_types='twilio vonage aliyun tencent kannel http outbox'

# The IM provider types (cxkit(7), im-send(1)).
_cxkit_im_types='wecom-robot wecom-app dingtalk feishu slack teams telegram
	matrix xmpp webhook im-outbox'

# The options every program takes (cxkit(7)).
_cxkit_common_opts='-c --config -n --dry-run --log-format -q --quiet
	--rejects --state -v --verbose -V --version -? --help --usage'

# _cxkit_reply WORDS: the words that start with $cur.
_cxkit_reply() {
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

_cxkit_files() {
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

# The configuration file in use: -c/--config on the command line, else
# $CXKIT_CONFIG, else $XDG_CONFIG_HOME/cxkit/config, else
# ~/.config/cxkit/config.
_cxkit_config_file() {
	local i w f=
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-c | --config)
			f=${COMP_WORDS[i + 1]}
			[[ $f == = ]] && f=${COMP_WORDS[i + 2]}
			;;
		-c?*) f=${w#-c} ;;
		esac
	done
	if [[ -z $f ]]; then
		if [[ -n ${CXKIT_CONFIG-} ]]; then
			f=$CXKIT_CONFIG
		elif [[ ${XDG_CONFIG_HOME-} == /* ]]; then
			f=$XDG_CONFIG_HOME/cxkit/config
		else
			f=$HOME/.config/cxkit/config
		fi
	fi
	[[ $f == \~/* ]] && f=$HOME/${f#\~/}
	printf '%s\n' "$f"
}

# _cxkit_sections KIND [TYPES]: the names of the [KIND NAME] sections of
# the configuration, only those whose `type` is one of TYPES when given.
_cxkit_sections() {
	local f
	f=$(_cxkit_config_file)
	[[ -r $f ]] || return 0
	awk -v kind="$1" -v types="${2-}" '
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
	END { flush() }' "$f" 2>/dev/null
}

# _cxkit_templates [EXT...]: the template names: files NAME.EXT and
# NAME.LANG.EXT in the templates directory (EXT txt when none is given),
# and [template NAME] sections of the configuration.
_cxkit_templates() {
	local dir f n e
	if [[ -n ${CXKIT_TEMPLATES-} ]]; then
		dir=$CXKIT_TEMPLATES
	else
		f=$(_cxkit_config_file)
		if [[ -f $f ]]; then
			[[ $f == */* ]] && dir=${f%/*}/templates || dir=templates
		elif [[ ${XDG_CONFIG_HOME-} == /* ]]; then
			dir=$XDG_CONFIG_HOME/cxkit/templates
		else
			dir=$HOME/.config/cxkit/templates
		fi
	fi
	(($#)) || set -- txt
	{
		for e; do
			for f in "$dir"/*."$e"; do
				[[ -f $f ]] || continue
				n=${f##*/}
				n=${n%."$e"}
				[[ ${n##*.} =~ ^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$ &&
				    $n == *.* ]] && n=${n%.*}
				printf '%s\n' "$n"
			done
		done
		_cxkit_sections template
	} | sort -u
}

# Arguments of the common options; returns 1 for any other option.
_cxkit_common_arg() {
	case $1 in
	-c | --config | --rejects | --state) _cxkit_files ;;
	--log-format) _cxkit_reply 'text json' ;;
	*) return 1 ;;
	esac
}

_cxkit() {
	local prog=${1##*/} cur prev fn
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# COMP_WORDBREAKS splits "--opt=value" into "--opt" "=" "value".
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	else
		[[ $prev == --*=* ]] && prev=${prev%%=*}
	fi
	COMPREPLY=()
	fn=_cxkit_${prog//-/_}
	if [[ $prev == -* ]]; then
		_cxkit_common_arg "$prev" && return 0
		"${fn}_arg" "$prev" && return 0
	fi
	# A program with operands (ticket-sync's commands) has a _words
	# function; the others take none: offer the options.
	if [[ $cur != -* ]] && declare -F "${fn}_words" >/dev/null; then
		"${fn}_words"
		return 0
	fi
	local opts=${fn}_opts
	_cxkit_reply "$_cxkit_common_opts ${!opts}"
}

# --- sms-send ---------------------------------------------------------------
_cxkit_sms_send_opts='--allow-sensitive --concurrency --from --max-segments
	--quiet-hours --rate --region --resend-unknown --retries -t --template
	--timeout --via'
_cxkit_sms_send_arg() {
	case $1 in
	--via)
		_cxkit_reply "$(_cxkit_sections provider "$_cxkit_sms_types"
		    echo outbox)"
		;;
	-t | --template) _cxkit_reply "$(_cxkit_templates)" ;;
	--concurrency | --from | --max-segments | --quiet-hours | --rate | \
	    --region | --retries | --timeout) ;;	# a value to type
	*) return 1 ;;
	esac
}

# --- keyword-parse ----------------------------------------------------------
_cxkit_keyword_parse_opts='--dump-packs --packs --record --region -r --rules'
_cxkit_keyword_parse_arg() {
	case $1 in
	-r | --rules)
		# Rules files: *.rules and directories first, else any file.
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -X '!*.rules' -- "$cur"
		    compgen -d -- "$cur")
		((${#COMPREPLY[@]})) ||
		    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	--packs)
		# A comma-separated list: complete its last name.
		local pre=
		[[ $cur == *,* ]] && pre=${cur%,*},
		mapfile -t COMPREPLY < <(compgen -P "$pre" \
		    -W 'optout csat language menu order none' -- "${cur##*,}")
		;;
	--region) ;;	# a country code to type
	*) return 1 ;;
	esac
}

# --- im-send ----------------------------------------------------------------
_cxkit_im_send_opts='--allow-sensitive --concurrency --overflow --rate
	--resend-unknown --retries -t --template --timeout --via'
_cxkit_im_send_arg() {
	case $1 in
	--via)
		_cxkit_reply "$(_cxkit_sections provider "$_cxkit_im_types"
		    echo outbox)"
		;;
	-t | --template) _cxkit_reply "$(_cxkit_templates txt md)" ;;
	--overflow) _cxkit_reply 'split fail' ;;
	--concurrency | --rate | --retries | --timeout) ;;	# a value to type
	*) return 1 ;;
	esac
}

# --- queue-notify -----------------------------------------------------------
_cxkit_queue_notify_opts='--events --from --now --region --skipped'
_cxkit_queue_notify_arg() {
	case $1 in
	--from) _cxkit_reply 'cxkit asterisk freeswitch' ;;
	--events | --skipped)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	--now | --region) ;;	# a time or a country code to type
	*) return 1 ;;
	esac
}

# --- ticket-sync ------------------------------------------------------------
_cxkit_ticket_sync_opts='--all --author --comment --private --region --since
	--status --template-not-found --via'
_cxkit_ticket_sync_arg() {
	case $1 in
	--via) _cxkit_reply "$(_cxkit_sections ticket; echo local)" ;;
	--status)
		_cxkit_reply 'new open pending hold solved closed'
		;;
	--author | --comment | --region | --since | --template-not-found) ;;
		# a value to type
	*) return 1 ;;
	esac
}
# The command first, then (show, update) a ticket id to type.
_cxkit_ticket_sync_words() {
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		pull | push | lookup | show | list | update) return 0 ;;
		esac
	done
	_cxkit_reply 'pull push lookup show list update'
}

# --- cx-report --------------------------------------------------------------
_cxkit_cx_report_opts='--alloc -b --by --conversation-gap --dedup --delivery-base
	-f --format --from -j --jobs --merge --partial --repeat-days --replies
	--resolution --short-abandon
	--show-pii --sl-formula --sl-threshold --timeout-as --to --top --tz
	--uncensored'
_cxkit_cx_report_arg() {
	case $1 in
	-b | --by)
		# A comma-separated list: complete its last key.
		local pre=
		[[ $cur == *,* ]] && pre=${cur%,*},
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W 'channel queue
		    provider intent agent template day hour week' -- "${cur##*,}")
		;;
	-f | --format) _cxkit_reply 'table json csv markdown html' ;;
	--alloc) _cxkit_reply 'arena libc' ;;
	--delivery-base) _cxkit_reply 'receipts sent' ;;
	--replies) _cxkit_reply 'agent any' ;;
	--resolution) _cxkit_reply 'first full' ;;
	--sl-formula) _cxkit_reply 'icmi answered offered neutral short' ;;
	--timeout-as) _cxkit_reply 'overflow abandon' ;;
	--tz)
		_cxkit_reply "$(cd /usr/share/zoneinfo 2>/dev/null &&
		    find . -type f ! -name '*.*' | sed 's|^\./||')"
		;;
	--from | --to | -j | --jobs | --repeat-days | --short-abandon | \
	--sl-threshold | --top | --conversation-gap) ;;	# a value to type
	*) return 1 ;;
	esac
}

complete -F _cxkit sms-send im-send keyword-parse queue-notify ticket-sync msg-recv cx-report

# --- msg-recv ---------------------------------------------------------------
_cxkit_msg_recv_opts='--dedup-window --listen --max-body --max-connections
	--max-per-address --queue --rate --spool --timeout --tls-cert --tls-key'
_cxkit_msg_recv_arg() {
	case $1 in
	--spool | --tls-cert | --tls-key)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	--listen) _cxkit_reply '127.0.0.1:8080 [::1]:8080 0.0.0.0:8080' ;;
	--dedup-window | --max-body | --max-connections | --max-per-address | \
	    --queue | --rate | --timeout) ;;	# a value to type
	*) return 1 ;;
	esac
}
