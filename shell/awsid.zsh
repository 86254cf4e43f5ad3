# awsid shell integration for zsh. Load it at the end of ~/.zshrc:
#   eval "$(awsid init zsh)"                  # keeps $AWSID_SEGMENT, defines awsid_prompt
#   eval "$(awsid init zsh --add-to-prompt)"  # ...and shows it in RPROMPT
# Before each prompt it asks awsid unless nothing that could change the answer has changed since
# the last final answer and that answer is still valid: the variables awsid reads (all exported
# ones when the answer comes from a program), the files awsid watches and the directories on the
# path to them (their ctime: a file rewritten with its old mtime is seen too). It asks the daemon
# over its socket without forking (zsh/net/socket), and runs the client (one fork) only when that
# is not possible: the daemon is not running, is another build, or has not seen this
# environment yet. No wait lasts past the budget. The lists below are filled in by `awsid init`.
if [[ -o interactive ]]; then
    zmodload -F zsh/datetime p:EPOCHSECONDS p:EPOCHREALTIME 2>/dev/null
    typeset -g __awsid_zstat=0 __awsid_zsocket=0 __awsid_sock_ok=1
    if zmodload -F zsh/stat b:zstat 2>/dev/null; then
        __awsid_zstat=1
        if [[ -n ${EPOCHREALTIME-} ]] && zmodload zsh/net/socket zsh/system 2>/dev/null; then
            __awsid_zsocket=1
        fi
    fi
    export AWSID_HOOK="zsh:$$" # tells `awsid doctor` this shell loaded the hook
    typeset -g __awsid_bin=@AWSID@
    typeset -g __awsid_add_to_prompt=@ADD_TO_PROMPT@
    typeset -g __awsid_version=@VERSION@
    typeset -g __awsid_settled=0 __awsid_until=0 __awsid_stamp='' __awsid_last_sig='' __awsid_all=0
    typeset -g __awsid_budget=@BUDGET_MS@
    typeset -gF __awsid_deadline=0
    typeset -ga __awsid_present=() __awsid_absent=()
    typeset -g AWSID_SEGMENT=''

    # Sets REPLY: the directory (relative paths), and each variable that can change the answer
    # with its type (…-export or not: exporting an unchanged value changes what programs see)
    # and its value; every exported variable too when the last answer depends on them all.
    __awsid_sig() {
        local v
        REPLY=$PWD
        for v in ${(k)parameters[(I)@ZSH_PATTERN@]}; do
            REPLY+=$'\x1f'"$v=${parameters[$v]}:${(P)v}"
        done
        if (( __awsid_all )); then
            REPLY+=$'\x1e'
            for v in ${(k)parameters[(R)*export*]}; do
                REPLY+=$'\x1f'"$v=${(P)v}"
            done
        fi
    }

    # True when every watched file and directory is as it was at the last request: not
    # changed in any way (ctime) since the stamp, which is set 2 s before the request.
    __awsid_unchanged() {
        emulate -L zsh
        local w
        local -a s t
        [[ -n $__awsid_stamp ]] || return 1
        if (( __awsid_zstat )); then
            zstat -A s +mtime -- $__awsid_stamp 2>/dev/null || return 1
            if (( $#__awsid_present )); then
                # One call for every file; the newest ctime must be older than the stamp.
                zstat -A t +ctime -- $__awsid_present 2>/dev/null || return 1
                t=(${(On)t})
                (( t[1] <= s[1] )) || return 1
            fi
        else
            [[ -e $__awsid_stamp ]] || return 1
            for w in $__awsid_present; do
                [[ -e $w && ! $w -nt $__awsid_stamp ]] || return 1
            done
        fi
        for w in $__awsid_absent; do
            [[ ! -e $w ]] || return 1
        done
        return 0
    }

    # Asks the daemon over its socket; sets REPLY to the hook text. Returns 1 when the shell
    # must run the client instead (no usable socket, a relative path variable, a cache miss,
    # another build), 2 when the budget ran out (a stalled daemon: no client either).
    __awsid_ask_socket() {
        emulate -L zsh
        local dir v val fd chunk out req
        local -i rc
        local -F left
        local -a st
        @ZSH_RUNTIME_DIR@
        # The client's rules: a real directory, ours, closed to group and other.
        [[ -d $dir && ! -L $dir && -O $dir ]] || return 1
        zstat -A st +mode -- $dir 2>/dev/null || return 1
        (( (st[1] & 8#077) == 0 )) || return 1
        # The daemon answers a little before our own deadline.
        req="AWTX@TEXT_PROTOCOL@"$'\0'"zsh"$'\0'"$(( __awsid_budget > 10 ? __awsid_budget - 5 : __awsid_budget ))"$'\0'"$$"$'\0'
        for v in ${(k)parameters[(I)@ZSH_PATTERN@]}; do
            [[ ${parameters[$v]} == *export* ]] || continue
            # As execve passes it: up to its first NUL.
            val=${${(P)v}%%$'\0'*}
            case $v in
                (@ZSH_PATH_VARS@)
                    # Relative paths are the client's to resolve.
                    [[ -z $val || $val == [/~]* ]] || return 1 ;;
            esac
            req+="$v=$val"$'\0'
        done
        req+=$'\0'
        # (A full listen queue blocks this connect: after one stall the client, whose connect
        # is bounded, is used until the daemon answers again.)
        zsocket $dir/@SOCKET_NAME@ 2>/dev/null || return 1
        fd=$REPLY
        # The request is far smaller than a socket buffer: this write does not block.
        if ! print -rn -u $fd -- "$req" 2>/dev/null; then
            exec {fd}>&-
            return 1
        fi
        out=''
        rc=0
        while true; do
            left=$(( __awsid_deadline - EPOCHREALTIME ))
            if (( left <= 0 )); then
                rc=2
                break
            fi
            sysread -t $left -i $fd chunk 2>/dev/null
            case $? in
                (0) out+=$chunk ;;
                (4) rc=2; break ;;
                (*) break ;;
            esac
        done
        exec {fd}>&-
        (( rc == 0 )) || return $rc
        # The daemon's build first: another build's answer is the client's to handle.
        [[ $out == "$__awsid_version"$'\n'[01]$'\t'* ]] || return 1
        REPLY=${out#*$'\n'}
    }

    # With --add-to-prompt: the segment in RPROMPT, a space before what was there already, also
    # when a line after this one (or a theme) set RPROMPT anew, so the line works wherever it is
    # in ~/.zshrc. Called outside `emulate -L`, so that prompt_subst stays set.
    __awsid_place() {
        if [[ $__awsid_add_to_prompt == 1 && ${RPROMPT-} != *'${AWSID_SEGMENT'* ]]; then
            setopt prompt_subst
            if [[ -n ${RPROMPT-} ]]; then
                RPROMPT='${AWSID_SEGMENT:+$AWSID_SEGMENT }'"$RPROMPT"
            else
                RPROMPT='${AWSID_SEGMENT}'
            fi
        fi
    }

    __awsid_hook() {
        local -i st=$? rc
        __awsid_place
        emulate -L zsh
        local REPLY out head sig was
        local -i budget
        local -a f
        __awsid_sig
        sig=$REPLY
        if [[ $__awsid_settled == 1 && $sig == "$__awsid_last_sig" && -n ${EPOCHSECONDS-} ]] &&
            (( EPOCHSECONDS < __awsid_until )) && __awsid_unchanged; then
            return $st
        fi
        __awsid_budget=${AWSID_BUDGET_MS:-@BUDGET_MS@}
        [[ $__awsid_budget == <-> ]] || __awsid_budget=@BUDGET_MS@
        out=''
        rc=1
        if (( __awsid_zsocket && __awsid_sock_ok )); then
            __awsid_deadline=$(( EPOCHREALTIME + __awsid_budget / 1000.0 ))
            __awsid_ask_socket
            rc=$?
            (( rc == 0 )) && out=$REPLY
            (( rc == 2 )) && __awsid_sock_ok=0
        fi
        if (( rc == 1 )); then
            # What is left of the budget, if the socket already took some.
            budget=$__awsid_budget
            if (( __awsid_zsocket && __awsid_sock_ok )); then
                (( budget = (__awsid_deadline - EPOCHREALTIME) * 1000 ))
            fi
            if (( budget > 0 )); then
                out=$(command $__awsid_bin prompt --shell zsh --hook $$ --budget-ms $budget 2>/dev/null) || out=''
                # An answer (settled, or with a segment): the daemon is responsive again.
                [[ $out == 1$'\t'* || $out == *$'\n'?* ]] && __awsid_sock_ok=1
            fi
        fi
        head=${out%%$'\n'*}
        if [[ $out == *$'\n'* ]]; then
            AWSID_SEGMENT=${out#*$'\n'}
        else
            AWSID_SEGMENT=''
        fi
        # settled, valid-for, stamp, flags, then the watched paths.
        f=("${(@ps:\t:)head}")
        __awsid_settled=${f[1]:-0}
        __awsid_until=$(( ${EPOCHSECONDS:-0} + ${f[2]:-0} ))
        __awsid_stamp=${f[3]:-}
        __awsid_present=("${(@)${(@M)f[5,-1]:#+*}#+}")
        __awsid_absent=("${(@)${(@M)f[5,-1]:#-*}#-}")
        was=$__awsid_all
        [[ ${f[4]-} == *e* ]] && __awsid_all=1 || __awsid_all=0
        # The signature the answer belongs to, in the form the answer asks for.
        if [[ $__awsid_all != $was ]]; then
            __awsid_sig
            sig=$REPLY
        fi
        __awsid_last_sig=$sig
        return $st
    }

    awsid_prompt() {
        print -rn -- "$AWSID_SEGMENT"
    }

    # Once, first among the precmd hooks.
    typeset -ga precmd_functions
    precmd_functions=(__awsid_hook "${(@)precmd_functions:#__awsid_hook}")

    __awsid_place
fi
