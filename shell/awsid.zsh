# awsid shell integration for zsh. Load it from ~/.zshrc:
#   eval "$(awsid init zsh)"                  # keeps $AWSID_SEGMENT, defines awsid_prompt
#   eval "$(awsid init zsh --add-to-prompt)"  # ...and shows it in RPROMPT
# Before each prompt it asks awsid (one fork) unless nothing that could change the answer has
# changed since the last final answer: the AWS variables, and the files awsid watches.
if [[ -o interactive ]]; then
    zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
    typeset -g __awsid_bin=@AWSID@
    typeset -g __awsid_add_to_prompt=@ADD_TO_PROMPT@
    typeset -g __awsid_settled=0 __awsid_until=0 __awsid_stamp='' __awsid_last_sig=''
    typeset -ga __awsid_watch=()
    typeset -g AWSID_SEGMENT=''

    __awsid_sig() {
        emulate -L zsh
        local v
        REPLY=$PWD
        for v in ${(k)parameters[(I)AWS_*]} ${(k)parameters[(I)AWSU*]} ${(k)parameters[(I)GRANTED_*]} \
            HOME PATH HTTP_PROXY HTTPS_PROXY NO_PROXY ALL_PROXY http_proxy https_proxy no_proxy \
            all_proxy SSL_CERT_FILE SSL_CERT_DIR; do
            REPLY+=$'\x1f'"$v=${(P)v-}"
        done
    }

    # True when every watched file is as it was at the last request.
    __awsid_unchanged() {
        emulate -L zsh
        local w
        [[ -n $__awsid_stamp && -e $__awsid_stamp ]] || return 1
        for w in $__awsid_watch; do
            case $w in
                (+*) [[ -e ${w[2,-1]} && ! ${w[2,-1]} -nt $__awsid_stamp ]] || return 1 ;;
                (-*) [[ ! -e ${w[2,-1]} ]] || return 1 ;;
            esac
        done
        return 0
    }

    __awsid_hook() {
        local -i st=$?
        emulate -L zsh
        local REPLY out head
        local -a f
        __awsid_sig
        if [[ $__awsid_settled == 1 && $REPLY == "$__awsid_last_sig" && -n ${EPOCHSECONDS-} ]] &&
            (( EPOCHSECONDS < __awsid_until )) && __awsid_unchanged; then
            return $st
        fi
        out=$(command $__awsid_bin prompt --shell zsh --hook $$ 2>/dev/null) || out=''
        head=${out%%$'\n'*}
        if [[ $out == *$'\n'* ]]; then
            AWSID_SEGMENT=${out#*$'\n'}
        else
            AWSID_SEGMENT=''
        fi
        f=("${(@ps:\t:)head}")
        __awsid_settled=${f[1]:-0}
        __awsid_until=$(( ${EPOCHSECONDS:-0} + ${f[2]:-0} ))
        __awsid_stamp=${f[3]:-}
        __awsid_watch=("${(@)f[4,-1]}")
        __awsid_last_sig=$REPLY
        return $st
    }

    awsid_prompt() {
        print -rn -- "$AWSID_SEGMENT"
    }

    # Once, first among the precmd hooks.
    typeset -ga precmd_functions
    precmd_functions=(__awsid_hook "${(@)precmd_functions:#__awsid_hook}")

    if [[ $__awsid_add_to_prompt == 1 && ${RPROMPT-} != *'${AWSID_SEGMENT}'* ]]; then
        setopt prompt_subst
        RPROMPT='${AWSID_SEGMENT}'"${RPROMPT-}"
    fi
fi
