# fish completions for awsid. Install them where fish looks for them:
#   awsid completions fish > ~/.config/fish/completions/awsid.fish
# or load them from ~/.config/fish/config.fish:
#   awsid completions fish | source

# Profile names from the AWS config file ([default], [profile NAME]) and the credentials file
# ([NAME]). Builtins only: no process per completion.
function __awsid_profiles
    set -l config ~/.aws/config
    set -l credentials ~/.aws/credentials
    test -n "$AWS_CONFIG_FILE"; and set config $AWS_CONFIG_FILE
    test -n "$AWS_SHARED_CREDENTIALS_FILE"; and set credentials $AWS_SHARED_CREDENTIALS_FILE
    # The AWS CLI expands a leading ~ in these variables.
    set config (string replace -r '^~/' "$HOME/" -- $config)
    set credentials (string replace -r '^~/' "$HOME/" -- $credentials)
    # [sso-session ...], [services ...], [plugins] and the like are not profiles.
    test -f "$config" -a -r "$config"
    and string replace -rf '^\s*\[\s*(?:profile\s+(\S(?:.*\S)?)|(default))\s*\].*$' '$1$2' <$config
    test -f "$credentials" -a -r "$credentials"
    and string replace -rf '^\s*\[\s*(\S(?:.*\S)?)\s*\].*$' '$1' <$credentials
    return 0
end

set -l commands whoami prompt init config daemon flush doctor completions service help

# Nothing here takes a file name.
complete -c awsid -f

complete -c awsid -n __fish_use_subcommand -s V -l version -d 'Print version'
complete -c awsid -n 'not __fish_seen_subcommand_from help' -s h -l help -d 'Print help'

complete -c awsid -n __fish_use_subcommand -a whoami -d 'Print the AWS identity this shell acts as (like aws sts get-caller-identity)'
complete -c awsid -n __fish_use_subcommand -a prompt -d 'Print the prompt segment'
complete -c awsid -n __fish_use_subcommand -a init -d 'Print the shell integration'
complete -c awsid -n __fish_use_subcommand -a config -d 'Show the config file path or the defaults'
complete -c awsid -n __fish_use_subcommand -a daemon -d 'Start, stop, restart or inspect awsidd'
complete -c awsid -n __fish_use_subcommand -a flush -d 'Drop every cached identity'
complete -c awsid -n __fish_use_subcommand -a doctor -d "Explain this shell's identity and awsid's state"
complete -c awsid -n __fish_use_subcommand -a completions -d 'Print a completion script'
complete -c awsid -n __fish_use_subcommand -a service -d 'Print or install a systemd/launchd service for awsidd'
complete -c awsid -n __fish_use_subcommand -a help -d 'Print help for awsid or a subcommand'

# awsid whoami
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l output -x -a 'json text table yaml yaml-stream' -d 'Output format'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l query -x -a "Account\t'The account ID' Arn\t'The principal\'s ARN' UserId\t'The principal\'s unique ID'" -d 'Print one field only'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l profile -x -a '(__awsid_profiles)' -d 'Use this profile from the config files'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l timeout -x -d 'Give up after this many seconds without an answer from STS'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l region -x -d 'The region to use'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l endpoint-url -x -d 'Send the GetCallerIdentity call to this URL'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l ca-bundle -r -F -d 'Verify TLS with this CA bundle'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l no-verify-ssl -d 'Refused: awsid never turns TLS verification off'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l cli-read-timeout -x -d 'The longest a socket read may wait, in seconds'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l cli-connect-timeout -x -d 'The longest a connection may take, in seconds'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l color -x -a 'on off auto' -d 'Colour in --output table'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l debug -d 'Say on stderr how the answer was found'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l no-cli-pager -d 'Accepted for compatibility'
complete -c awsid -n '__fish_seen_subcommand_from whoami' -l no-paginate -d 'Accepted for compatibility'

# awsid prompt (--hook is for the shell integration only)
complete -c awsid -n '__fish_seen_subcommand_from prompt' -l shell -x -a 'bash zsh fish nu tmux plain ansi' -d 'Escape colours for this shell'
complete -c awsid -n '__fish_seen_subcommand_from prompt' -l budget-ms -x -d 'Wait at most this long, in milliseconds'

# awsid init
complete -c awsid -n '__fish_seen_subcommand_from init; and not __fish_seen_subcommand_from bash zsh fish nu' -a 'bash zsh fish nu'
complete -c awsid -n '__fish_seen_subcommand_from init' -l add-to-prompt -d 'Also put the segment in the prompt'

# awsid config
complete -c awsid -n '__fish_seen_subcommand_from config' -l default -d 'Print the default configuration, documented'
complete -c awsid -n '__fish_seen_subcommand_from config' -l check -F -d 'Check the configuration file (or PATH) as awsidd would load it'

# awsid daemon (and awsid help daemon)
set -l actions start stop status restart
complete -c awsid -n "__fish_seen_subcommand_from daemon; and not __fish_seen_subcommand_from $actions" -a start -d 'Start awsidd unless it is running'
complete -c awsid -n "__fish_seen_subcommand_from daemon; and not __fish_seen_subcommand_from $actions" -a stop -d 'Stop awsidd (the cache is lost)'
complete -c awsid -n "__fish_seen_subcommand_from daemon; and not __fish_seen_subcommand_from $actions" -a status -d 'Show pid, version, uptime, cache and counters'
complete -c awsid -n "__fish_seen_subcommand_from daemon; and not __fish_seen_subcommand_from $actions" -a restart -d 'Stop awsidd, then start it again'

# awsid doctor
complete -c awsid -n '__fish_seen_subcommand_from doctor' -l json -d 'Print the report as JSON'
complete -c awsid -n '__fish_seen_subcommand_from doctor' -l profile -x -a '(__awsid_profiles)' -d 'Explain this profile instead'
complete -c awsid -n '__fish_seen_subcommand_from doctor' -l offline -d 'Do not ask STS or the daemon for the identity'

# awsid completions
complete -c awsid -n '__fish_seen_subcommand_from completions; and not __fish_seen_subcommand_from bash zsh fish nu' -a 'bash zsh fish nu'

# awsid service
complete -c awsid -n '__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from systemd launchd' -a systemd -d 'A systemd user unit (Linux)'
complete -c awsid -n '__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from systemd launchd' -a launchd -d 'A launchd agent (macOS)'
complete -c awsid -n '__fish_seen_subcommand_from service; and not __fish_seen_argument -l install -l uninstall' -l install -d 'Write the file where the service manager looks for it'
complete -c awsid -n '__fish_seen_subcommand_from service; and not __fish_seen_argument -l install -l uninstall' -l uninstall -d 'Remove the installed file'
complete -c awsid -n '__fish_seen_subcommand_from service; and not __fish_seen_argument -l force' -l force -d 'Replace or remove a file awsid did not write'

# awsid help COMMAND
complete -c awsid -n "__fish_seen_subcommand_from help; and not __fish_seen_subcommand_from $commands[1..-2]" -a "$commands"
