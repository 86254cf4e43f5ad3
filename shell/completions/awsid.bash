# bash completion for awsid.                                        -*- shell-script -*-
# Load it from ~/.bashrc:
#   source <(awsid completions bash)
# or install it where bash-completion finds it:
#   awsid completions bash > ~/.local/share/bash-completion/completions/awsid
# It needs neither bash-completion nor bash 4 (works with macOS's bash 3.2), and forks nothing
# (except to list file names after --ca-bundle).

# Profile names from the AWS config file ([default], [profile NAME]) and the credentials file
# ([NAME]), each once, into the array __awsid_profiles. Pure bash: no process per completion.
_awsid_profiles() {
    local config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
    local credentials=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
    local section='^[[:space:]]*\[[[:space:]]*([^]]*[^][:space:]])[[:space:]]*\]'
    local prefixed='^profile[[:space:]]+(.+)$'
    local file kind line name seen=$'\n'
    __awsid_profiles=()
    for kind in config credentials; do
        if [[ $kind == config ]]; then file=$config; else file=$credentials; fi
        # The AWS CLI expands a leading ~ in these variables.
        [[ $file == \~/* ]] && file=$HOME/${file#\~/}
        [[ -f $file && -r $file ]] || continue
        while IFS= read -r line || [[ -n $line ]]; do
            [[ $line =~ $section ]] || continue
            name=${BASH_REMATCH[1]}
            if [[ $kind == config ]]; then
                # [sso-session ...], [services ...], [plugins] and the like are not profiles.
                if [[ $name =~ $prefixed ]]; then
                    name=${BASH_REMATCH[1]}
                elif [[ $name != default ]]; then
                    continue
                fi
            fi
            [[ $seen == *$'\n'"$name"$'\n'* ]] && continue
            seen+=$name$'\n'
            __awsid_profiles+=("$name")
        done <"$file"
    done
}

# Adds to COMPREPLY each argument that starts with $cur (plus $__awsid_pre, for --opt=value).
_awsid_add() {
    local w
    for w in "$@"; do
        [[ $w == "$cur"* ]] && COMPREPLY+=("$__awsid_pre$w")
    done
}

_awsid() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local subcommands='whoami prompt init config daemon flush doctor completions service help'
    local __awsid_pre='' opt='' sub='' w i
    local -a positionals=() used=() __awsid_profiles=()
    COMPREPLY=()

    # The value of an option: `--opt VALUE`, `--opt=VALUE` (bash splits that at the `=` with
    # the default COMP_WORDBREAKS), or `--opt=VALUE` as one word.
    if ((COMP_CWORD >= 2)) && [[ $cur == = && ${COMP_WORDS[COMP_CWORD - 1]} == --* ]]; then
        opt=${COMP_WORDS[COMP_CWORD - 1]} cur=''
    elif ((COMP_CWORD >= 3)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} == = && ${COMP_WORDS[COMP_CWORD - 2]} == --* ]]; then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*} __awsid_pre=${cur%%=*}= cur=${cur#*=}
    elif ((COMP_CWORD >= 2)); then
        opt=${COMP_WORDS[COMP_CWORD - 1]}
    fi

    # The words before the cursor: the subcommand, its positional arguments and its flags.
    i=1
    while ((i < COMP_CWORD)); do
        w=${COMP_WORDS[i]}
        case $w in
            --output | --query | --profile | --timeout | --shell | --budget-ms | --hook | \
                --region | --endpoint-url | --ca-bundle | --cli-read-timeout | \
                --cli-connect-timeout | --color)
                used+=("$w")
                # Skip the value (and the `=` word bash may have split off).
                [[ ${COMP_WORDS[i + 1]-} == = ]] && ((i++))
                ((i++))
                ;;
            --*=*) used+=("${w%%=*}") ;;
            -*) used+=("$w") ;;
            =) ;;
            *)
                if [[ -z $sub ]]; then sub=$w; else positionals+=("$w"); fi
                ;;
        esac
        ((i++))
    done

    case $opt in
        --output | --query | --profile | --timeout | --shell | --budget-ms | --hook | \
            --region | --endpoint-url | --ca-bundle | --cli-read-timeout | \
            --cli-connect-timeout | --color)
            if [[ -n $sub ]]; then
                case $opt in
                    --output) _awsid_add json text table yaml yaml-stream ;;
                    --color) _awsid_add on off auto ;;
                    --ca-bundle)
                        local f
                        while IFS= read -r f; do COMPREPLY+=("$__awsid_pre$f"); done < <(compgen -f -- "$cur")
                        ;;
                    --query) _awsid_add Account Arn UserId ;;
                    --shell) _awsid_add bash zsh fish nu tmux plain ansi ;;
                    --profile)
                        _awsid_profiles
                        _awsid_add ${__awsid_profiles[@]+"${__awsid_profiles[@]}"}
                        ;;
                esac
                return 0
            fi
            ;;
    esac
    __awsid_pre=''
    cur=${COMP_WORDS[COMP_CWORD]}
    [[ $cur == = ]] && cur=''

    local flags='' values='' help=--help
    case $sub in
        '')
            if [[ $cur == -* ]]; then
                _awsid_add -h --help -V --version
            else
                # shellcheck disable=SC2086 # word splitting intended
                _awsid_add $subcommands
            fi
            return 0
            ;;
        whoami)
            flags='--output --query --profile --region --endpoint-url --ca-bundle --no-verify-ssl
                --cli-read-timeout --cli-connect-timeout --color --debug --no-cli-pager --no-paginate
                --timeout'
            ;;
        prompt) flags='--shell --budget-ms' ;;
        init)
            flags='--add-to-prompt'
            ((${#positionals[@]} == 0)) && values='bash zsh fish nu'
            ;;
        config) flags='--default --check' ;;
        daemon) ((${#positionals[@]} == 0)) && values='start stop status restart' ;;
        flush) ;;
        doctor) flags='--json --profile --offline' ;;
        completions) ((${#positionals[@]} == 0)) && values='bash zsh fish nu' ;;
        service)
            flags='--install --uninstall --force'
            ((${#positionals[@]} == 0)) && values='systemd launchd'
            ;;
        help)
            help=''
            if ((${#positionals[@]} == 0)); then
                values=$subcommands
            elif ((${#positionals[@]} == 1)) && [[ ${positionals[0]} == daemon ]]; then
                values='start stop status restart'
            fi
            ;;
        *) return 0 ;;
    esac

    # Flags not given yet (--install and --uninstall exclude each other).
    local f list='' given=" ${used[*]-} "
    for f in $flags $help; do
        [[ $given == *" $f "* ]] && continue
        [[ $f == --install && $given == *" --uninstall "* ]] && continue
        [[ $f == --uninstall && $given == *" --install "* ]] && continue
        [[ $f == --help && $given == *" -h "* ]] && continue
        list+=" $f"
    done
    if [[ $cur == -* ]]; then
        # shellcheck disable=SC2086 # word splitting intended
        _awsid_add $list
        [[ $cur == - && $list == *--help* ]] && COMPREPLY+=(-h)
    elif [[ -n $values ]]; then
        # shellcheck disable=SC2086 # word splitting intended
        _awsid_add $values
        # The manager is optional: the flags are as good an answer.
        # shellcheck disable=SC2086 # word splitting intended
        [[ $sub == service ]] && _awsid_add $list
    else
        # shellcheck disable=SC2086 # word splitting intended
        _awsid_add $list
    fi
    return 0
}

complete -F _awsid awsid
