# awsid shell integration for fish. Load it at the end of ~/.config/fish/config.fish:
#   awsid init fish | source                  # keeps $AWSID_SEGMENT, defines awsid_prompt
#   awsid init fish --add-to-prompt | source  # ...and shows it in fish_right_prompt
# Before each prompt it asks awsid (one fork) unless nothing that could change the answer has
# changed since the last final answer and that answer is still valid: the exported variables
# awsid reads (all of them when the answer comes from a program), the files awsid watches and
# the directories on the path to them. The list below is filled in by `awsid init`.
if status is-interactive
    set -gx AWSID_HOOK "fish:$fish_pid" # tells `awsid doctor` this shell loaded the hook
    set -g __awsid_bin @AWSID@
    set -g __awsid_add_to_prompt @ADD_TO_PROMPT@
    set -g __awsid_settled 0
    set -g __awsid_valid_until_age 0
    set -g __awsid_stamp ''
    set -g __awsid_all 0
    set -g __awsid_last_sig ''
    set -g __awsid_cur_sig ''
    set -g __awsid_present
    set -g __awsid_absent
    set -g AWSID_SEGMENT ''

    # Sets __awsid_cur_sig: the directory (relative paths) and each exported variable that can
    # change the answer, by name and value (every exported one when the answer depends on them
    # all). One string, newlines in values kept (split0 stops the usual split on newlines).
    function __awsid_sig
        set -l names (set --names --export | string match --entire --regex @FISH_REGEX@)
        if test "$__awsid_all" = 1
            set names (set --names --export)
        end
        set -l parts $PWD
        for v in $names
            set -a parts "$v=$$v"
        end
        set -g __awsid_cur_sig (string join \x1f -- $parts | string split0)
    end

    # True when every watched file and directory is as it was at the last request, and the
    # answer is still within its validity (the stamp's age tells the time without a fork).
    # (fish sees mtimes only: a ctime-only change, as by `cp -p`, is not seen here.)
    function __awsid_unchanged
        test -n "$__awsid_stamp"; or return 1
        set -l age (path mtime --relative -- $__awsid_stamp); or return 1
        test $age -lt $__awsid_valid_until_age; or return 1
        for file in $__awsid_present
            test -e $file; and not test $file -nt $__awsid_stamp; or return 1
        end
        for file in $__awsid_absent
            not test -e $file; or return 1
        end
        return 0
    end

    function __awsid_hook --on-event fish_prompt
        __awsid_sig
        if test "$__awsid_settled" = 1; and test "$__awsid_cur_sig" = "$__awsid_last_sig"; and __awsid_unchanged
            return
        end
        set -l out (command $__awsid_bin prompt --shell fish --hook $fish_pid 2>/dev/null | string split0)
        set -l lines (string split --max 1 \n -- "$out")
        # settled, valid-for, stamp, flags, then the watched paths.
        set -l f (string split \t -- "$lines[1]")
        set -g AWSID_SEGMENT "$lines[2]"
        set -g __awsid_settled $f[1]
        # The stamp is set 2 s before the request: its age minus 2 is the answer's age.
        set -l valid 0
        string match --quiet --regex '^[0-9]+$' -- "$f[2]"; and set valid $f[2]
        set -g __awsid_valid_until_age (math "min($valid, 1000000000) + 2")
        set -g __awsid_stamp $f[3]
        set -g __awsid_present (string match --entire --regex '^\+' -- $f[5..-1] | string sub --start 2)
        set -g __awsid_absent (string match --entire --regex '^-' -- $f[5..-1] | string sub --start 2)
        set -l was $__awsid_all
        set -g __awsid_all 0
        string match --quiet '*e*' -- "$f[4]"; and set -g __awsid_all 1
        # The signature the answer belongs to, in the form the answer asks for.
        if test "$__awsid_all" != "$was"
            __awsid_sig
        end
        set -g __awsid_last_sig $__awsid_cur_sig
    end

    function awsid_prompt
        printf '%s' $AWSID_SEGMENT
    end

    if test $__awsid_add_to_prompt = 1; and not functions --query __awsid_right_prompt_orig
        if functions --query fish_right_prompt
            functions --copy fish_right_prompt __awsid_right_prompt_orig
        else
            function __awsid_right_prompt_orig
            end
        end
        # A space between the segment and a right prompt of your own, when both show.
        function fish_right_prompt
            set -l rest (__awsid_right_prompt_orig | string collect)
            awsid_prompt
            if test -n "$AWSID_SEGMENT"; and test -n "$rest"
                printf ' '
            end
            printf '%s' $rest
        end
    end
end
