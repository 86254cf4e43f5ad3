# awsid shell integration for zsh. Load it from ~/.zshrc:
#   eval "$(awsid init zsh)"                  # keeps $AWSID_SEGMENT, defines awsid_prompt
#   eval "$(awsid init zsh --add-to-prompt)"  # ...and shows it in RPROMPT
# Before each prompt it asks awsid unless nothing that could change the answer has changed since
# the last final answer: the AWS variables, and the files awsid watches. It asks the daemon over
# its socket without forking (zsh/net/socket), and runs the client (one fork) only when that is
# not possible: the daemon is not running, or has not seen this environment yet.
if [[ -o interactive ]]; then
    zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null
    typeset -g __awsid_zsocket=0
    if zmodload zsh/net/socket zsh/system 2>/dev/null && zmodload -F zsh/stat b:zstat 2>/dev/null; then
        __awsid_zsocket=1
    fi
    typeset -g __awsid_bin=@AWSID@
    typeset -g __awsid_add_to_prompt=@ADD_TO_PROMPT@
    typeset -g __awsid_settled=0 __awsid_until=0 __awsid_stamp='' __awsid_last_sig=''
    typeset -ga __awsid_watch=()
    typeset -g AWSID_SEGMENT=''

    # Everything that can change the answer (one scan of the parameter table), and the
    # directory (relative paths).
    __awsid_sig() {
        local v
        REPLY=$PWD
        for v in ${(k)parameters[(I)(AWS_*|AWSU*|GRANTED_*|HOME|PATH|(HTTP|HTTPS|NO|ALL)_PROXY|(http|https|no|all)_proxy|SSL_CERT_(FILE|DIR))]}; do
            # With its type (…-export or not): exporting an unchanged value changes the identity.
            REPLY+=$'\x1f'"$v=${parameters[$v]}:${(P)v}"
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

    # Asks the daemon over its socket; sets REPLY to the hook text. Fails when the shell must
    # run the client instead (no usable socket, a relative path variable, a cache miss).
    __awsid_ask_socket() {
        emulate -L zsh
        local dir v fd chunk out req mode
        local -a st
        dir=${AWSID_RUNTIME_DIR:-${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/awsid}}
        [[ -n $dir ]] || dir=/tmp/awsid-$EUID
        # The client's rules: a real directory, ours, closed to group and other.
        [[ -d $dir && ! -L $dir && -O $dir ]] || return 1
        zstat -A st +mode -- $dir 2>/dev/null || return 1
        (( (st[1] & 8#077) == 0 )) || return 1
        req="AWTX1"$'\0'"zsh"$'\0'"${AWSID_BUDGET_MS:-100}"$'\0'"$$"$'\0'
        for v in ${(k)parameters[(I)AWS_*]} ${(k)parameters[(I)AWSU*]} ${(k)parameters[(I)GRANTED_*]} \
            HOME PATH HTTP_PROXY HTTPS_PROXY NO_PROXY ALL_PROXY http_proxy https_proxy no_proxy \
            all_proxy SSL_CERT_FILE SSL_CERT_DIR; do
            [[ ${parameters[$v]-} == *export* ]] || continue
            case $v in
                (AWS_CONFIG_FILE|AWS_SHARED_CREDENTIALS_FILE|AWS_WEB_IDENTITY_TOKEN_FILE|AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE|AWS_CA_BUNDLE|SSL_CERT_FILE|SSL_CERT_DIR)
                    # Relative paths are the client's to resolve.
                    [[ -z ${(P)v} || ${(P)v} == [/~]* ]] || return 1 ;;
            esac
            req+="$v=${(P)v}"$'\0'
        done
        req+=$'\0'
        zsocket $dir/awsidd.sock 2>/dev/null || return 1
        fd=$REPLY
        if ! print -rn -u $fd -- "$req" 2>/dev/null; then
            exec {fd}>&-
            return 1
        fi
        out=''
        while sysread -t 5 -i $fd chunk 2>/dev/null; do
            out+=$chunk
        done
        exec {fd}>&-
        [[ $out == [01]$'\t'* ]] || return 1
        REPLY=$out
    }

    __awsid_hook() {
        local -i st=$?
        emulate -L zsh
        local REPLY out head sig
        local -a f
        __awsid_sig
        sig=$REPLY
        if [[ $__awsid_settled == 1 && $sig == "$__awsid_last_sig" && -n ${EPOCHSECONDS-} ]] &&
            (( EPOCHSECONDS < __awsid_until )) && __awsid_unchanged; then
            return $st
        fi
        if (( __awsid_zsocket )) && __awsid_ask_socket; then
            out=$REPLY
        else
            out=$(command $__awsid_bin prompt --shell zsh --hook $$ 2>/dev/null) || out=''
        fi
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
        __awsid_last_sig=$sig
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
