# bash completion for iocage(8) (iocage Pool Party).
#
# Nothing here is a fixed list: commands and their arguments come from the
# binary's own usage text (`iocage help`, `iocage help COMMAND`), property names
# from `iocage help properties`, jail tags from `iocage list -H` (and `-t`),
# snapshots from `iocage snaplist -H TAG`, releases from `iocage list -r -H`.
# A `-r DATASET` on the command line is passed on to those calls.
#
# Install as PREFIX/share/bash-completion/completions/iocage (make install).

# Runs the iocage being completed (the word the user typed), quietly.
_iocage_run()
{
	local bin=${_ioc_bin:-iocage}
	"$bin" "${_ioc_root[@]}" "$@" 2>/dev/null
}

# Word list helpers: each prints candidates, one per line.
_iocage_commands()
{
	local line
	_iocage_run help | while IFS= read -r line; do
		case $line in "  "[a-z]*) line=${line#  }; printf '%s\n' "${line%% *}" ;; esac
	done
}

_iocage_props()
{
	local line
	_iocage_run help properties | while IFS= read -r line; do
		printf '%s\n' "${line%% *}"
	done
}

_iocage_tags()
{
	local jid uuid boot state tag rest
	{ _iocage_run list -H; _iocage_run list -t -H; } |
	while IFS=$'\t' read -r jid uuid boot state tag rest; do
		[ -n "$tag" ] && printf '%s\n' "$tag"
	done
}

_iocage_releases()
{
	_iocage_run list -r -H
}

_iocage_snaps() # JAIL
{
	local name rest
	_iocage_run snaplist -H "$1" | while IFS=$'\t' read -r name rest; do
		printf '%s@%s\n' "$1" "$name"
	done
}

# Sets COMPREPLY from candidates on stdin that start with $_ioc_cur.  bash
# splits words at COMP_WORDBREAKS ('=', '@', ':' ...), so the part of the word
# up to the last such character is not part of what it replaces: cut it off.
_iocage_reply()
{
	local c brk="" i
	for ((i = ${#_ioc_cur} - 1; i >= 0; i--)); do
		if [[ $COMP_WORDBREAKS == *"${_ioc_cur:i:1}"* ]]; then
			brk=${_ioc_cur:0:i+1}
			break
		fi
	done
	while IFS= read -r c; do
		[[ -n $c && $c == "$_ioc_cur"* ]] && COMPREPLY+=("${c#"$brk"}")
	done
	for c in "${COMPREPLY[@]}"; do
		case $c in *= | *@)
			compopt -o nospace 2>/dev/null
			break ;;
		esac
	done
}

_iocage_files() # PREFIX: file names after PREFIX (e.g. "file=")
{
	local c
	compgen -f -- "${_ioc_cur#"$1"}" | while IFS= read -r c; do
		printf '%s%s\n' "$1" "$c"
	done
}

# Candidates for one alternative of a synopsis slot (UUID, TAG, ALL, PROPERTY...).
_iocage_kind() # ALTERNATIVE
{
	case $1 in
	UUID) ;;
	ALL) printf 'ALL\n' ;;
	TAG | TAG\[@*) _iocage_tags ;;
	PROPERTY) _iocage_props ;;
	FILE | PATH) _iocage_files "" ;;
	COMMAND) _iocage_commands ;;
	*[a-z]*) case $1 in *[A-Z]* | *=*) ;; *) printf '%s\n' "$1" ;; esac ;;
	esac
}

_iocage()
{
	local line i w
	local -a words=() syn=() opts=() optval=() slots=() assigns=()
	local _ioc_cur _ioc_bin _ioc_root=()
	COMPREPLY=()
	# our own word split of the line up to the cursor (bash's splits at '=' and '@')
	line=${COMP_LINE:0:COMP_POINT}
	read -r -a words <<<"$line"
	if [[ -z $line || $line == *[[:space:]] ]]; then
		_ioc_cur=""
	else
		_ioc_cur=${words[${#words[@]}-1]}
		unset 'words[${#words[@]}-1]'
	fi
	_ioc_bin=${words[0]:-iocage}
	case $_ioc_bin in */*) ;; *) _ioc_bin=$(type -P "$_ioc_bin") || _ioc_bin=iocage ;; esac

	# global options, then the command
	i=1
	while ((i < ${#words[@]})); do
		case ${words[i]} in
		-r) _ioc_root=(-r "${words[i+1]}"); ((i += 2)) ;;
		-*) ((i++)) ;;
		*) break ;;
		esac
	done
	if ((i >= ${#words[@]})); then
		if [[ ${words[i-1]} == -r ]]; then
			return 0 # a dataset name: nothing to offer
		fi
		case $_ioc_cur in
		-*) _iocage_reply < <(printf '%s\n' -r --json --dry-run --help --version) ;;
		*) _iocage_reply < <(_iocage_commands) ;;
		esac
		return 0
	fi
	local cmd=${words[i]}
	local -a args=("${words[@]:i+1}")

	# the command's synopsis: options (with or without a value), positional
	# slots (alternatives joined by '|'), NAME=VALUE assignments
	line=$(_iocage_run help "$cmd") || return 0
	line=${line%%$'\n'*}
	line=${line#usage: iocage "$cmd"}
	read -r -a syn <<<"$line"
	local t tt prev_opt=""
	for t in "${syn[@]}"; do
		tt=${t//[\[\]]/}
		if [[ -n $prev_opt ]]; then
			if [[ $tt != "|" && $tt != -* ]]; then
				optval+=("$prev_opt")
				prev_opt=""
				continue
			fi
			prev_opt=""
		fi
		case $tt in
		"" | "|") ;;
		-*)
			local o
			for o in ${tt//|/ }; do opts+=("$o"); done
			[[ $t != *\] && ${tt//|/} == "$tt" ]] && prev_opt=$tt
			;;
		...*) slots+=("...") ;;
		*=*)
			local alt only=1 a
			for a in ${tt//|/ }; do
				case $a in *=*) assigns+=("${a%%=*}") ;; *) only=0 ;; esac
			done
			((only)) || slots+=("$tt")
			;;
		*)
			# UUID|TAG[@NAME]: the snapshot is optional
			[[ $t == *"[@"* ]] && tt=${tt/@/[@}
			slots+=("$tt") ;;
		esac
	done

	# where the cursor is: count the positional words typed so far
	local n=0 skip=0 stop=0
	for w in "${args[@]}"; do
		if ((skip)); then skip=0; continue; fi
		case $w in
		-*)
			local o
			for o in "${optval[@]}"; do [[ $w == "$o" ]] && skip=1; done
			continue ;;
		*=*) continue ;;
		esac
		((n++))
	done
	local slot="" k=0 s
	for s in "${slots[@]}"; do
		if [[ $s == "..." ]]; then
			((k > 0 && n >= k)) && slot=${slots[k-1]} && break
			continue
		fi
		if ((k == n)); then
			slot=$s
			break
		fi
		((k++))
	done
	if [[ -z $slot && ${#slots[@]} -gt 0 && ${slots[${#slots[@]}-1]} == "..." ]]; then
		slot=${slots[${#slots[@]}-2]}
	fi
	case $slot in CMD* | ARG* | DATASET*) stop=1 ;; esac

	# an option value: nothing to offer but templates and files
	if ((${#args[@]} > 0)); then
		local last=${args[${#args[@]}-1]}
		for o in "${optval[@]}"; do
			if [[ $last == "$o" ]]; then
				case $o in -t) _iocage_reply < <(_iocage_tags) ;; esac
				return 0
			fi
		done
	fi

	case $_ioc_cur in
	-*)
		_iocage_reply < <(printf '%s\n' "${opts[@]}")
		return 0 ;;
	*=*)
		local key=${_ioc_cur%%=*}
		case $key in
		release) _iocage_reply < <(_iocage_releases | sed "s/^/release=/") ;;
		file | pkglist)
			compopt -o filenames 2>/dev/null
			_iocage_reply < <(_iocage_files "$key=") ;;
		esac
		return 0 ;;
	*@*)
		[[ $slot == *@* ]] && _iocage_reply < <(_iocage_snaps "${_ioc_cur%%@*}")
		return 0 ;;
	esac
	((stop)) && return 0
	[[ $slot == *FILE* ]] && compopt -o filenames 2>/dev/null
	_iocage_reply < <(
		local a
		for a in "${assigns[@]}"; do
			if [[ $a == PROPERTY ]]; then
				_iocage_props | sed 's/$/=/'
			else
				printf '%s=\n' "$a"
			fi
		done
		for a in ${slot//|/ }; do
			case $a in
			TAG@*) _iocage_tags | sed 's/$/@/' ;; # a snapshot is required
			*) _iocage_kind "$a" ;;
			esac
		done
	)
	return 0
}

complete -F _iocage iocage
