#compdef gwctl

autoload -U is-at-least

_gwctl() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_gwctl_commands" \
"*::: :->gwctl" \
&& ret=0
    case $state in
    (gwctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gwctl-command-$line[1]:"
        case $line[1] in
            (validate)
_arguments "${_arguments_options[@]}" : \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--strict[Fail on warnings too (unknown plugins, literal secrets)]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::files -- State files or directories (`-` for stdin); default `kong.yaml`:_files' \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
'--out=[Save the plan to FILE, for \`gwctl sync --plan FILE\` (holds env-var names, not values)]:FILE:_files' \
'--rps=[Cap on Admin API requests per second (default\: no cap)]:N:_default' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--exit-code[Exit with 2 when there are changes (after printing everything)]' \
'--non-zero-exit-code[Exit with 2 when there are changes (after printing everything)]' \
'--no-deletes[Show what \`apply\` would do\: no deletes]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::files -- State files or directories (`-` for stdin); default `kong.yaml`:_files' \
&& ret=0
;;
(sync)
_arguments "${_arguments_options[@]}" : \
'()--plan=[Apply a plan saved by \`gwctl diff --out FILE\` instead of reading state files]:FILE:_files' \
'--rps=[Cap on Admin API requests per second (default\: no cap)]:N:_default' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--allow-empty[Allow an empty state to delete everything on the gateway]' \
'--no-atomic[Write entity by entity even when the gateway offers an atomic batch]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::files -- State files or directories (`-` for stdin); default `kong.yaml`:_files' \
&& ret=0
;;
(apply)
_arguments "${_arguments_options[@]}" : \
'--rps=[Cap on Admin API requests per second (default\: no cap)]:N:_default' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--no-atomic[Write entity by entity even when the gateway offers an atomic batch]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::files -- State files or directories (`-` for stdin); default `kong.yaml`:_files' \
&& ret=0
;;
(dump)
_arguments "${_arguments_options[@]}" : \
'-o+[Write to FILE (mode 0600) instead of stdout]:FILE:_files' \
'--output-file=[Write to FILE (mode 0600) instead of stdout]:FILE:_files' \
'--rps=[Cap on Admin API requests per second (default\: no cap)]:N:_default' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--with-id[Keep every entity'\''s id, even where a natural key identifies it]' \
'--sanitize[Replace every secret (credential keys and passwords, certificate keys, plugin secrets such as ai-proxy'\''s header_value) with \`\[masked\]\`, for sharing; such a dump cannot be synced back]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(reset)
_arguments "${_arguments_options[@]}" : \
'--rps=[Cap on Admin API requests per second (default\: no cap)]:N:_default' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'-y[Do not ask for confirmation (required when stdin is not a terminal)]' \
'--yes[Do not ask for confirmation (required when stdin is not a terminal)]' \
'--force[Do not ask for confirmation (required when stdin is not a terminal)]' \
'--no-atomic[Write entity by entity even when the gateway offers an atomic batch]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(ping)
_arguments "${_arguments_options[@]}" : \
'--rps=[Cap on Admin API requests per second (default\: no cap)]:N:_default' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(render)
_arguments "${_arguments_options[@]}" : \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--show-secrets[Print values taken from the environment instead of \`\[masked\]\`]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::files -- State files or directories (`-` for stdin); default `kong.yaml`:_files' \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
'--admin-listen=[Address of the Admin API (loopback by default; anything else needs care\: set a token)]:ADDR:_default' \
'--db=[SQLite database file (\`\:memory\:\` keeps everything in memory)]:PATH:_files' \
'--config=[A state file to load at start; it replaces the stored configuration in one transaction]:FILE:_files' \
'--admin-token=[Require this token in the \`Kong-Admin-Token\` header of every Admin API request]:TOKEN:_default' \
'--sync=[SQLite durability\: \`normal\` survives a killed process, \`full\` also power loss]:SYNC:((normal\:"Durable against a killed process; fast (SQLite synchronous=NORMAL in WAL mode)"
full\:"Also durable against power loss; slower (synchronous=FULL)"))' \
'--admin-body-limit=[Largest accepted request body, in bytes (larger ones get 413)]:BYTES:_default' \
'*--proxy-listen=[Address of the proxy (repeatable\: \`--proxy-listen 127.0.0.1\:8000 --proxy-listen \:8080\`)]:ADDR:_default' \
'--access-log=[Write the access log (one JSON line per request) to this file instead of stdout]:FILE:_files' \
'--proxy-client-timeout=[Close a proxy client connection that sends no complete request head for this many seconds, idle keep-alive time included (Kong'\''s client_header_timeout and keepalive_timeout); HTTP/2 connections close after as long without a request, and silent HTTP/2 clients are pinged and dropped if they do not answer. Also the longest pause in a request body a plugin reads (Kong'\''s client_body_timeout; then 408)]:SECONDS:_default' \
'--proxy-tls-cert=[PEM certificate (chain) that \`ssl\` proxy listeners present for names no SNI matches, instead of a self-signed one made at start (Kong'\''s ssl_cert)]:FILE:_files' \
'--proxy-tls-key=[PEM private key of --proxy-tls-cert (Kong'\''s ssl_cert_key)]:FILE:_files' \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'(--access-log)--no-access-log[Do not write an access log at all]' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'--kong-addr=[URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where \`serve\` listens\: that is \`--admin-listen\`)]:ADDR:_default' \
'*--header=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'*--headers=[Extra request header, \`Name\: value\` (repeatable)]:NAME: VALUE:_default' \
'--timeout=[Request timeout in seconds]:TIMEOUT:_default' \
'--ca-cert=[PEM file of a CA to trust for the Admin API]:FILE:_files' \
'*--select-tag=[Only manage entities carrying all these tags (repeatable)]:TAG:_default' \
'--parallelism=[Concurrent requests within one dependency level]:PARALLELISM:_default' \
'--format=[Output format]:FORMAT:(human json markdown)' \
'--tls-skip-verify[Do not verify the Admin API'\''s TLS certificate]' \
'--json-output[decK'\''s spelling of \`--format json\`]' \
'--no-color[Disable colours (also \`NO_COLOR\`)]' \
'*-v[More detail on stderr (repeatable)]' \
'*--verbose[More detail on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':shell -- The shell to generate a completion script for:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_gwctl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:gwctl-help-command-$line[1]:"
        case $line[1] in
            (validate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(sync)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(apply)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(dump)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reset)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(ping)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(render)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(serve)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_gwctl_commands] )) ||
_gwctl_commands() {
    local commands; commands=(
'validate:Check state files offline\: schema, references, secrets; every problem at once' \
'diff:Show how the gateway differs from the state files (what sync would do)' \
'sync:Make the gateway match the state files\: create, update and delete' \
'apply:Like sync, but never delete anything' \
'dump:Write the gateway'\''s configuration as a state file' \
'reset:Delete every entity from the gateway' \
'ping:Check that the Admin API is reachable; print the gateway'\''s version' \
'render:Print the merged, substituted, defaulted state (secrets masked)' \
'serve:Run the bundled gateway\: Admin API and proxy' \
'completions:Print a shell completion script' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gwctl commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__apply_commands] )) ||
_gwctl__subcmd__apply_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl apply commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__completions_commands] )) ||
_gwctl__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl completions commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__diff_commands] )) ||
_gwctl__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl diff commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__dump_commands] )) ||
_gwctl__subcmd__dump_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl dump commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help_commands] )) ||
_gwctl__subcmd__help_commands() {
    local commands; commands=(
'validate:Check state files offline\: schema, references, secrets; every problem at once' \
'diff:Show how the gateway differs from the state files (what sync would do)' \
'sync:Make the gateway match the state files\: create, update and delete' \
'apply:Like sync, but never delete anything' \
'dump:Write the gateway'\''s configuration as a state file' \
'reset:Delete every entity from the gateway' \
'ping:Check that the Admin API is reachable; print the gateway'\''s version' \
'render:Print the merged, substituted, defaulted state (secrets masked)' \
'serve:Run the bundled gateway\: Admin API and proxy' \
'completions:Print a shell completion script' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'gwctl help commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__apply_commands] )) ||
_gwctl__subcmd__help__subcmd__apply_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help apply commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__completions_commands] )) ||
_gwctl__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help completions commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__diff_commands] )) ||
_gwctl__subcmd__help__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help diff commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__dump_commands] )) ||
_gwctl__subcmd__help__subcmd__dump_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help dump commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__help_commands] )) ||
_gwctl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help help commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__ping_commands] )) ||
_gwctl__subcmd__help__subcmd__ping_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help ping commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__render_commands] )) ||
_gwctl__subcmd__help__subcmd__render_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help render commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__reset_commands] )) ||
_gwctl__subcmd__help__subcmd__reset_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help reset commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__serve_commands] )) ||
_gwctl__subcmd__help__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help serve commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__sync_commands] )) ||
_gwctl__subcmd__help__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help sync commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__help__subcmd__validate_commands] )) ||
_gwctl__subcmd__help__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl help validate commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__ping_commands] )) ||
_gwctl__subcmd__ping_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl ping commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__render_commands] )) ||
_gwctl__subcmd__render_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl render commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__reset_commands] )) ||
_gwctl__subcmd__reset_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl reset commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__serve_commands] )) ||
_gwctl__subcmd__serve_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl serve commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__sync_commands] )) ||
_gwctl__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl sync commands' commands "$@"
}
(( $+functions[_gwctl__subcmd__validate_commands] )) ||
_gwctl__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'gwctl validate commands' commands "$@"
}

if [ "$funcstack[1]" = "_gwctl" ]; then
    _gwctl "$@"
else
    compdef _gwctl gwctl
fi
