#!/usr/bin/env bats
# docs: --help, the man pages and the completions agree (in the spirit of
# curl's test1139), the man pages format without warnings, and cxkit(7)
# documents every error code of libcommon/record.h.
#
# The programs are the executables in bin/ (scripts/check builds them and
# puts bin/ on PATH).  Markup checked, as the pages write it:
#   man/PROG.1     an item ".It Fl -option ..." / ".It Fl x ..."
#   cxkit.bash     what it offers for "PROG -" (it is run)
#   _cxkit         an _arguments spec of the option: {-x+,--option=}'[...]'
#   cxkit.fish     "-l option" / "-s x"
#   cxkit.7        ".It Li code" for each error code, ".It Xr PROG 1" for
#                  each program

load lib

MAN=$TOP/man
COMP=$TOP/completions

setup() {
	export LC_ALL=C.UTF-8
}

# The programs: bin/* (fails when there are none: build first).
progs() {
	local p n=0
	for p in "$TOP"/bin/*; do
		[ -f "$p" ] && [ -x "$p" ] || continue
		printf '%s\n' "${p##*/}"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || { echo "no programs in $TOP/bin: build first" >&2; return 1; }
}

# long_opts PROG: the long options PROG --help prints, without "--".
long_opts() {
	"$TOP/bin/$1" --help | grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' |
	    sort -u
}

# short_opts PROG: the short options PROG --help prints ("  -x, --long").
short_opts() {
	"$TOP/bin/$1" --help | sed -n 's/^ *-\([^- ]\), --.*/\1/p' | sort -u
}

# ere STRING: STRING with the ERE metacharacters escaped.
ere() {
	printf '%s' "$1" | sed 's/[][\.*^$?+(){}|]/\\&/g'
}

# has FILE ERE WHAT: records WHAT as missing when FILE has no match.
missing=
has() {
	grep -qE -- "$2" "$1" || missing="$missing
$3"
}

report() {
	if [ -n "$missing" ]; then
		printf 'missing:%s\n' "$missing" >&2
		return 1
	fi
}

# Not a letter, digit, '_' or '-': the end of a name.
E='([^A-Za-z0-9_-]|$)'

@test "every option of --help is an item of the program's man page" {
	local p o list
	list=$(progs)
	for p in $list; do
		[ -f "$MAN/$p.1" ] || { missing="$missing
$p: man/$p.1"; continue; }
		for o in $(long_opts "$p"); do
			has "$MAN/$p.1" "^\.It .*Fl -$(ere "$o")$E" "man/$p.1: --$o"
		done
		for o in $(short_opts "$p"); do
			has "$MAN/$p.1" "^\.It Fl (\\\\&)?$(ere "$o")$E" "man/$p.1: -$o"
		done
	done
	report
}

# bash_offers PROG: what the bash completion offers for "PROG -", after
# checking that it is registered for PROG.
bash_offers() {
	bash -c 'source "$1" && complete -p "$2" >/dev/null &&
	    COMP_WORDS=("$2" -) COMP_CWORD=1 && _cxkit "$2" &&
	    printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP/cxkit.bash" "$1"
}

@test "bash completion offers every option of --help" {
	local p o list offers
	list=$(progs)
	for p in $list; do
		offers=$(bash_offers "$p") || { missing="$missing
cxkit.bash: $p not registered"; continue; }
		for o in $(long_opts "$p"); do
			printf '%s\n' "$offers" | grep -qxF -- "--$o" ||
			    missing="$missing
cxkit.bash: $p --$o"
		done
		for o in $(short_opts "$p"); do
			printf '%s\n' "$offers" | grep -qxF -- "-$o" ||
			    missing="$missing
cxkit.bash: $p -$o"
		done
	done
	report
}

# zsh: an _arguments spec names an option as '--opt[...]', --opt=}, {-x+,
# '-x[...]' and the like; exclusion lists such as '(-t --template)' do not
# count.
@test "zsh completion has every option of --help" {
	local p o list
	list=$(progs)
	for p in $list; do
		has "$COMP/_cxkit" "^#compdef( [^ ]+)* $(ere "$p")$E" \
		    "_cxkit: #compdef $p"
		has "$COMP/_cxkit" "^_cxkit_$(ere "$p")\(\)" "_cxkit: _cxkit_$p()"
		for o in $(long_opts "$p"); do
			has "$COMP/_cxkit" "--$(ere "$o")(=?'?\\[|[=+]?\})" \
			    "_cxkit: $p --$o"
		done
		for o in $(short_opts "$p"); do
			has "$COMP/_cxkit" \
			    "(\\{'?-$(ere "$o")'?[+=-]?,|'-$(ere "$o")[+=-]?\\[)" \
			    "_cxkit: $p -$o"
		done
	done
	report
}

@test "fish completion has every option of --help" {
	local p o list
	list=$(progs)
	for p in $list; do
		has "$COMP/cxkit.fish" "^ *__cxkit_common $(ere "$p")$E" \
		    "cxkit.fish: __cxkit_common $p"
		for o in $(long_opts "$p"); do
			has "$COMP/cxkit.fish" "-l $(ere "$o")$E" \
			    "cxkit.fish: $p --$o"
		done
		for o in $(short_opts "$p"); do
			has "$COMP/cxkit.fish" "-s '?$(ere "$o")'?$E" \
			    "cxkit.fish: $p -$o"
		done
	done
	report
}

@test "the completion files parse" {
	bash -n "$COMP/cxkit.bash"
	if command -v zsh >/dev/null; then zsh -n "$COMP/_cxkit"; fi
	if command -v fish >/dev/null; then fish -n "$COMP/cxkit.fish"; fi
}

# -z alone does not report characters troff cannot take (raw UTF-8 without
# preconv): formatting for real does.  Pages write them as \[uXXXX].
@test "the man pages format without warnings" {
	local m out
	for m in "$MAN"/*.[1-9]; do
		out=$(groff -mandoc -Tutf8 -ww -z "$m" 2>&1)
		[ -z "$out" ] || missing="$missing
$out"
		out=$(groff -mandoc -Tutf8 -ww "$m" 2>&1 >/dev/null)
		[ -z "$out" ] || missing="$missing
$out"
	done
	report
}

@test "cxkit(7) documents every error code of record.h" {
	local c n=0
	for c in $(sed -n 's/^#define[ 	]*CX_E_[A-Z_]*[ 	]*"\([a-z_]*\)".*/\1/p' \
	    "$TOP/libcommon/record.h"); do
		has "$MAN/cxkit.7" "^\.It Li $c$E" "cxkit.7: error code $c"
		n=$((n + 1))
	done
	[ "$n" -gt 10 ]
	report
}

@test "cxkit(7) lists every program, built ones not as planned" {
	local p list
	list=$(progs)
	for p in $list; do
		has "$MAN/cxkit.7" "^\.It Xr $(ere "$p") 1$" "cxkit.7: .It Xr $p 1"
		if grep -A1 -E "^\.It Xr $(ere "$p") 1$" "$MAN/cxkit.7" |
		    grep -q '(planned)'; then
			missing="$missing
cxkit.7: $p is built, not planned"
		fi
	done
	report
}

# keyword-parse(5) documents every test of the rules format, as rules.c's
# tests[] table names them, each as an item ".It Cm has_...".
@test "keyword-parse(5) documents every test of the rules format" {
	local t n=0
	for t in $(sed -n 's/^[ 	]*{ "\(has_[a-z_]*\)", T_[A-Z_]* },.*/\1/p' \
	    "$TOP/cmd/keyword-parse/rules.c"); do
		has "$MAN/keyword-parse.5" "^\.It Cm $(ere "$t")$E" \
		    "keyword-parse.5: test $t"
		n=$((n + 1))
	done
	[ "$n" -ge 12 ]
	report
}

# keyword-parse(1) documents every intent of the built-in packs, as
# packs.c writes them ("intent = NAME"), each as an item ".It Li NAME".
@test "keyword-parse(1) documents every intent of the built-in packs" {
	local i n=0
	for i in $(sed -n 's/^"intent = \([a-z_]*\)\\n"$/\1/p' \
	    "$TOP/cmd/keyword-parse/packs.c" | sort -u) other; do
		has "$MAN/keyword-parse.1" "^\.It Li $(ere "$i")$E" \
		    "keyword-parse.1: intent $i"
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
	report
}
