# awsid shell integration for bash. Load it at the end of ~/.bashrc:
#   eval "$(awsid init bash)"                  # keeps $AWSID_SEGMENT, defines awsid_prompt
#   eval "$(awsid init bash --add-to-prompt)"  # ...and shows it in front of PS1
# Before each prompt it asks awsid (one fork) unless nothing that could change the answer has
# changed since the last final answer and that answer is still valid: the variables awsid
# reads (all exported ones when the answer comes from a program), the files awsid watches
# and the directories on the path to them. The lists below are filled in by `awsid init`.
if [[ $- == *i* ]]; then
    export AWSID_HOOK="bash:$$" # tells `awsid doctor` this shell loaded the hook
    __awsid_bin=@AWSID@
    __awsid_add_to_prompt=@ADD_TO_PROMPT@
    __awsid_settled=0
    __awsid_until=0
    __awsid_stamp=''
    __awsid_all=0
    __awsid_last_sig=''
    __awsid_present=()
    __awsid_absent=()
    AWSID_SEGMENT=''

    # Sets __awsid_cur_sig: the directory (relative paths), and each variable that can change
    # the answer with its attributes (exporting an unchanged value changes what programs see)
    # and its value; every exported variable too when the last answer depends on them all.
    __awsid_sig() {
        local __awsid_v
        __awsid_cur_sig="$PWD"
        for __awsid_v in @BASH_NAMES@; do
            if [[ -v $__awsid_v ]]; then
                __awsid_cur_sig+=$'\x1f'"${__awsid_v}=${!__awsid_v@a}:${!__awsid_v}"
            fi
        done
        if [[ $__awsid_all == 1 ]]; then
            __awsid_cur_sig+=$'\x1e'
            for __awsid_v in @BASH_ALL_NAMES@; do
                if [[ ${!__awsid_v@a} == *x* ]]; then
                    __awsid_cur_sig+=$'\x1f'"${__awsid_v}=${!__awsid_v}"
                fi
            done
        fi
    }

    # True when every watched file and directory is as it was at the last request (bash sees
    # mtimes only: a ctime-only change, as by `cp -p`, is not seen here).
    __awsid_unchanged() {
        local __awsid_w
        [[ -n $__awsid_stamp && -e $__awsid_stamp ]] || return 1
        for __awsid_w in "${__awsid_present[@]}"; do
            [[ -e $__awsid_w && ! $__awsid_w -nt $__awsid_stamp ]] || return 1
        done
        for __awsid_w in "${__awsid_absent[@]}"; do
            [[ ! -e $__awsid_w ]] || return 1
        done
        return 0
    }

    # With --add-to-prompt: the segment in front of PS1, also when a line after this one (or a
    # prompt framework) set PS1 anew, so the line works wherever it is in ~/.bashrc.
    __awsid_place() {
        # shellcheck disable=SC2016 # PS1 expands $AWSID_SEGMENT at each prompt (promptvars)
        if [[ $__awsid_add_to_prompt == 1 && $PS1 != *'${AWSID_SEGMENT'* ]]; then
            PS1='${AWSID_SEGMENT:+$AWSID_SEGMENT }'"$PS1"
        fi
    }

    __awsid_hook() {
        local __awsid_status=$? __awsid_cur_sig __awsid_out __awsid_head __awsid_w
        local -a __awsid_f
        __awsid_place
        __awsid_sig
        if [[ $__awsid_settled == 1 && $__awsid_cur_sig == "$__awsid_last_sig" ]] &&
            [[ -n ${EPOCHSECONDS-} ]] && ((EPOCHSECONDS < __awsid_until)) && __awsid_unchanged; then
            return "$__awsid_status"
        fi
        __awsid_out=$(\command "$__awsid_bin" prompt --shell bash-var --hook "$$" 2>/dev/null) || __awsid_out=''
        __awsid_head=${__awsid_out%%$'\n'*}
        if [[ $__awsid_out == *$'\n'* ]]; then
            AWSID_SEGMENT=${__awsid_out#*$'\n'}
        else
            AWSID_SEGMENT=''
        fi
        # settled, valid-for, stamp, flags, then the watched paths.
        IFS=$'\t' read -r -a __awsid_f <<<"$__awsid_head" || true
        __awsid_settled=${__awsid_f[0]:-0}
        __awsid_until=$((${EPOCHSECONDS:-0} + ${__awsid_f[1]:-0}))
        __awsid_stamp=${__awsid_f[2]:-}
        __awsid_present=()
        __awsid_absent=()
        for __awsid_w in "${__awsid_f[@]:4}"; do
            case $__awsid_w in
                +*) __awsid_present+=("${__awsid_w:1}") ;;
                -*) __awsid_absent+=("${__awsid_w:1}") ;;
            esac
        done
        local __awsid_was=$__awsid_all
        __awsid_all=0
        [[ ${__awsid_f[3]:-} == *e* ]] && __awsid_all=1
        # The signature the answer belongs to, in the form the answer asks for.
        [[ $__awsid_all == "$__awsid_was" ]] || __awsid_sig
        __awsid_last_sig=$__awsid_cur_sig
        return "$__awsid_status"
    }

    awsid_prompt() {
        printf '%s' "$AWSID_SEGMENT"
    }

    # Run first in PROMPT_COMMAND (a string or, in bash 5.1+, an array), once.
    # shellcheck disable=SC2128,SC2178 # PROMPT_COMMAND is either, as the test decides
    if [[ -v PROMPT_COMMAND && ${PROMPT_COMMAND@a} == *a* ]]; then
        if [[ " ${PROMPT_COMMAND[*]} " != *" __awsid_hook "* ]]; then
            PROMPT_COMMAND=(__awsid_hook "${PROMPT_COMMAND[@]}")
        fi
    elif [[ ${PROMPT_COMMAND-} != *__awsid_hook* ]]; then
        PROMPT_COMMAND="__awsid_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
    fi

    __awsid_place
fi
