# nushell completions for awsid. Save them where nushell loads files at start, from config.nu:
#   mkdir ($nu.data-dir | path join "vendor/autoload")
#   awsid completions nu | save -f ($nu.data-dir | path join "vendor/autoload/awsid-completions.nu")
# (or save them once and `source` the file from config.nu).

# Profile names from the AWS config file ([default], [profile NAME]) and the credentials file
# ([NAME]). Builtins only: no process per completion.
def "nu-complete awsid profiles" [] {
    # The AWS CLI expands a leading ~ in these variables.
    let files = [
        [($env.AWS_CONFIG_FILE? | default "") "~/.aws/config" '^\s*\[\s*(?:profile\s+(\S(?:.*\S)?)|(default))\s*\]']
        [($env.AWS_SHARED_CREDENTIALS_FILE? | default "") "~/.aws/credentials" '^\s*\[\s*(\S(?:.*\S)?)\s*\]']
    ]
    $files | each {|f|
        let path = (if $f.0 == "" { $f.1 } else { $f.0 }) | str replace --regex '^~/' $"($env.HOME? | default '~')/"
        # [sso-session ...], [services ...], [plugins] and the like are not profiles.
        let text = try { open --raw $path | decode utf-8 } catch { "" }
        $text | lines | each {|l| $l | parse --regex $f.2 } | flatten | each {|m| $m | values | where {|v| $v != "" } } | flatten
    } | flatten | uniq
}

def "nu-complete awsid shells" [] {
    [bash zsh fish nu]
}

# A value that is no file name: an empty list, rather than nushell's file names.
def "nu-complete awsid nothing" [] {
    []
}

# `awsid help COMMAND`: a subcommand, then daemon's actions.
def "nu-complete awsid help" [context: string] {
    let words = $context | split row --regex '\s+' | skip 2
    if ($words | length) <= 1 {
        [whoami prompt init config daemon flush doctor completions service help]
    } else if ($words | first) == "daemon" and ($words | length) == 2 {
        [start stop status restart]
    } else {
        []
    }
}

# Print the AWS identity of this shell, fast, for prompts and scripts
export extern "awsid" [
    --help(-h) # Print help
    --version(-V) # Print version
]

# Print the AWS identity this shell acts as (like aws sts get-caller-identity)
export extern "awsid whoami" [
    --output: string@[json text table yaml yaml-stream] # Output format
    --query: string@[Account Arn UserId] # Print one field only
    --profile: string@"nu-complete awsid profiles" # Use this profile from the config files
    --region: string@"nu-complete awsid nothing" # The region to use
    --endpoint-url: string@"nu-complete awsid nothing" # Send the GetCallerIdentity call to this URL
    --ca-bundle: path # Verify TLS with this CA bundle
    --no-verify-ssl # Refused: awsid never turns TLS verification off
    --cli-read-timeout: string@"nu-complete awsid nothing" # The longest a socket read may wait, in seconds
    --cli-connect-timeout: string@"nu-complete awsid nothing" # The longest a connection may take, in seconds
    --color: string@[on off auto] # Colour in --output table
    --debug # Say on stderr how the answer was found
    --no-cli-pager # Accepted for compatibility
    --no-paginate # Accepted for compatibility
    --timeout: string@"nu-complete awsid nothing" # Give up after this many seconds without an answer from STS
    --help(-h) # Print help
]

# Print the prompt segment
export extern "awsid prompt" [
    --shell: string@[bash zsh fish nu tmux plain ansi] # Escape colours for this shell
    --budget-ms: string@"nu-complete awsid nothing" # Wait at most this long, in milliseconds
    --help(-h) # Print help
]

# Print the shell integration
export extern "awsid init" [
    shell: string@"nu-complete awsid shells"
    --add-to-prompt # Also put the segment in the prompt
    --help(-h) # Print help
]

# Show the config file path or the defaults
export extern "awsid config" [
    --default # Print the default configuration, documented
    --check # Check the configuration file (or PATH) as awsidd would load it
    path?: path # With --check: the file to check (default: the configuration file)
    --help(-h) # Print help
]

# Start, stop, restart or inspect awsidd
export extern "awsid daemon" [
    --help(-h) # Print help
]

# Start awsidd unless it is running
export extern "awsid daemon start" [
    --help(-h) # Print help
]

# Stop awsidd (the cache is lost)
export extern "awsid daemon stop" [
    --help(-h) # Print help
]

# Show pid, version, uptime, cache and counters
export extern "awsid daemon status" [
    --help(-h) # Print help
]

# Stop awsidd, then start it again
export extern "awsid daemon restart" [
    --help(-h) # Print help
]

# Drop every cached identity
export extern "awsid flush" [
    --help(-h) # Print help
]

# Explain this shell's identity and awsid's state
export extern "awsid doctor" [
    --json # Print the report as JSON
    --profile: string@"nu-complete awsid profiles" # Explain this profile instead
    --offline # Do not ask STS or the daemon for the identity
    --help(-h) # Print help
]

# Print a completion script
export extern "awsid completions" [
    shell: string@"nu-complete awsid shells"
    --help(-h) # Print help
]

# Print or install a systemd/launchd service for awsidd
export extern "awsid service" [
    manager?: string@[systemd launchd]
    --install # Write the file where the service manager looks for it
    --uninstall # Remove the installed file
    --force # Replace or remove a file awsid did not write
    --help(-h) # Print help
]

# Print help for awsid or a subcommand
export extern "awsid help" [
    ...command: string@"nu-complete awsid help"
]
