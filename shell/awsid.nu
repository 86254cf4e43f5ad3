# awsid shell integration for nushell. Save it where nushell loads files at start, from
# config.nu:
#   mkdir ($nu.data-dir | path join "vendor/autoload")
#   awsid init nu | save -f ($nu.data-dir | path join "vendor/autoload/awsid.nu")
# (or save it once and `source` it from config.nu). `awsid init nu --add-to-prompt` also shows
# the segment in front of the right prompt. It keeps $env.AWSID_SEGMENT and defines
# awsid_prompt.
# Before each prompt it asks awsid (one process) unless nothing that could change the answer
# has changed since the last final answer and that answer is still valid: the environment
# variables awsid reads (all of them when the answer comes from a program), the files awsid
# watches and the directories on the path to them. The list below is filled in by
# `awsid init`. nushell exports every string, number and boolean in $env (and what
# ENV_CONVERSIONS turns into one): the signature compares the values themselves, so a change
# of value or of type (exported or not) is seen. nushell's own per-prompt variables
# (CMD_DURATION_MS, LAST_EXIT_CODE) and AWSID_SEGMENT are left out of what awsid sees.

$env.AWSID_SEGMENT = ""
$env.AWSID_HOOK = $"nu:($nu.pid)" # tells `awsid doctor` this shell loaded the hook
$env.__AWSID = {
    bin: @AWSID@
    settled: 0
    until: (date now)
    stamp: ""
    all: false
    env: null
    last: null
    paths: []
    absent: []
}

# The whole environment less nushell's per-prompt variables (and the hook's own): what the
# answer depends on when it comes from a program, and a cheap first comparison otherwise.
def __awsid_env [] {
    $env | reject --optional config __AWSID AWSID_SEGMENT CMD_DURATION_MS LAST_EXIT_CODE
}

# What can change the answer otherwise: the directory (relative paths), the conversions
# nushell applies when exporting, and each variable awsid reads, by value.
def __awsid_sig [] {
    let names = $env | columns | where @NU_NAME_TEST@
    {
        pwd: $env.PWD
        conversions: ($env.ENV_CONVERSIONS? | default {})
        # (`select` with no name would keep every column.)
        vars: (if ($names | is-empty) { {} } else { $env | select ...$names })
    }
}

# True when every watched file and directory is as it was at the last request: none newer
# than the stamp (set 2 s before the request), none missing, none of the absent ones there.
# One `ls` for all (`ls` does not follow a symlink named last: `paths` holds the file behind
# it too), and no closure (calling one costs more than all the rest). (nushell sees mtimes
# only: a ctime-only change, as by `cp -p`, makes the daemon remove the stamp instead.)
def __awsid_unchanged [] {
    let s = $env.__AWSID
    if $s.stamp == "" { return false }
    try {
        let listed = ls --directory $s.stamp ...$s.paths
        let stamp = $listed | first
        (
            $stamp.name == $s.stamp
            and ($listed | get modified | math max) == $stamp.modified
            and not (true in ($s.absent | path exists))
        )
    } catch {
        false
    }
}

def --env __awsid_hook [] {
    let s = $env.__AWSID
    let now = __awsid_env
    # The same environment, or (unless the answer depends on all of it) the same variables
    # awsid reads.
    let same = $now == $s.env or (not $s.all and (__awsid_sig) == $s.last)
    if $s.settled == 1 and $same and (date now) < $s.until and (__awsid_unchanged) {
        # Remembered, so that the next prompt takes the first comparison.
        if $now != $s.env { $env.__AWSID.env = $now }
        return
    }
    let sig = __awsid_sig
    let out = try {
        do {
            hide-env --ignore-errors CMD_DURATION_MS LAST_EXIT_CODE AWSID_SEGMENT __AWSID
            ^$s.bin prompt --shell nu --hook $nu.pid
        } | complete | get stdout
    } catch {
        ""
    }
    let parts = $out | split row --number 2 "\n"
    $env.AWSID_SEGMENT = $parts | get --optional 1 | default ""
    # settled, valid-for, stamp, flags, then the watched paths.
    let f = $parts | first | split row "\t"
    let valid = try { $f | get 1 | into int } catch { 0 }
    let watched = $f | skip 4
    let all = ($f | get --optional 3 | default "") =~ "e"
    let present = $watched | where {|w| $w starts-with "+" } | each {|w| $w | str substring 1.. }
    $env.__AWSID = $s | merge {
        settled: (if ($f | get 0) == "1" { 1 } else { 0 })
        until: ((date now) + ([$valid 1000000000] | math min) * 1sec)
        stamp: ($f | get --optional 2 | default "")
        all: $all
        # What the answer belongs to.
        env: $now
        last: $sig
        paths: ($present | append ($present | path expand) | uniq)
        absent: ($watched | where {|w| $w starts-with "-" } | each {|w| $w | str substring 1.. })
    }
}

def awsid_prompt [] {
    $env.AWSID_SEGMENT
}

# Once, first among the pre_prompt hooks (loading the file again replaces it).
$env.config.hooks.pre_prompt = (
    [{__awsid: true, code: {|| __awsid_hook }}]
    | append ($env.config.hooks.pre_prompt? | default [] | where {|h| ($h | describe) !~ "^record" or $h.__awsid? != true })
)

if @ADD_TO_PROMPT@ == 1 {
    let right = $env.PROMPT_COMMAND_RIGHT? | default ""
    let text = if ($right | describe) == "closure" { view source $right } else { $right }
    if not ($text | str contains "AWSID_SEGMENT") {
        $env.PROMPT_COMMAND_RIGHT = {||
            let rest = if ($right | describe) == "closure" { do $right } else { $right }
            [$env.AWSID_SEGMENT $rest] | where {|p| $p != "" } | str join " "
        }
    }
}
