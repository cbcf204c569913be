# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gwctl_global_optspecs
    string join \n addr= header= timeout= tls-skip-verify ca-cert= select-tag= parallelism= format= json-output no-color v/verbose q/quiet h/help V/version
end

function __fish_gwctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gwctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gwctl_using_subcommand
    set -l cmd (__fish_gwctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gwctl -n "__fish_gwctl_needs_command" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_needs_command" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_needs_command" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_needs_command" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_needs_command" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_needs_command" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_needs_command" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_needs_command" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_needs_command" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_needs_command" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_needs_command" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_needs_command" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_needs_command" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "validate" -d 'Check state files offline: schema, references, secrets; every problem at once'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "diff" -d 'Show how the gateway differs from the state files (what sync would do)'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "sync" -d 'Make the gateway match the state files: create, update and delete'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "apply" -d 'Like sync, but never delete anything'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "dump" -d 'Write the gateway\'s configuration as a state file'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "reset" -d 'Delete every entity from the gateway'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "ping" -d 'Check that the Admin API is reachable; print the gateway\'s version'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "render" -d 'Print the merged, substituted, defaulted state (secrets masked)'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "serve" -d 'Run the bundled gateway: Admin API and proxy'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c gwctl -n "__fish_gwctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l strict -d 'Fail on warnings too (unknown plugins, literal secrets)'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand validate" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l out -d 'Save the plan to FILE, for `gwctl sync --plan FILE` (holds env-var names, not values)' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l rps -d 'Cap on Admin API requests per second (default: no cap)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l exit-code -l non-zero-exit-code -d 'Exit with 2 when there are changes (after printing everything)'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l no-deletes -d 'Show what `apply` would do: no deletes'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand diff" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l plan -d 'Apply a plan saved by `gwctl diff --out FILE` instead of reading state files' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l rps -d 'Cap on Admin API requests per second (default: no cap)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l allow-empty -d 'Allow an empty state to delete everything on the gateway'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l no-atomic -d 'Write entity by entity even when the gateway offers an atomic batch'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand sync" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l rps -d 'Cap on Admin API requests per second (default: no cap)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l no-atomic -d 'Write entity by entity even when the gateway offers an atomic batch'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand apply" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -s o -l output-file -d 'Write to FILE (mode 0600) instead of stdout' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l rps -d 'Cap on Admin API requests per second (default: no cap)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l with-id -d 'Keep every entity\'s id, even where a natural key identifies it'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l sanitize -d 'Replace every secret (credential keys and passwords, certificate keys, plugin secrets such as ai-proxy\'s header_value) with `[masked]`, for sharing; such a dump cannot be synced back'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand dump" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l rps -d 'Cap on Admin API requests per second (default: no cap)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -s y -l yes -l force -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l no-atomic -d 'Write entity by entity even when the gateway offers an atomic batch'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand reset" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l rps -d 'Cap on Admin API requests per second (default: no cap)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand ping" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l show-secrets -d 'Print values taken from the environment instead of `[masked]`'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand render" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l admin-listen -d 'Address of the Admin API (loopback by default; anything else needs care: set a token)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l db -d 'SQLite database file (`:memory:` keeps everything in memory)' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l config -d 'A state file to load at start; it replaces the stored configuration in one transaction' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l admin-token -d 'Require this token in the `Kong-Admin-Token` header of every Admin API request' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l sync -d 'SQLite durability: `normal` survives a killed process, `full` also power loss' -r -f -a "normal\t'Durable against a killed process; fast (SQLite synchronous=NORMAL in WAL mode)'
full\t'Also durable against power loss; slower (synchronous=FULL)'"
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l admin-body-limit -d 'Largest accepted request body, in bytes (larger ones get 413)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l proxy-listen -d 'Address of the proxy (repeatable: `--proxy-listen 127.0.0.1:8000 --proxy-listen :8080`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l access-log -d 'Write the access log (one JSON line per request) to this file instead of stdout' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l proxy-client-timeout -d 'Close a proxy client connection that sends no complete request head for this many seconds, idle keep-alive time included (Kong\'s client_header_timeout and keepalive_timeout); HTTP/2 connections close after as long without a request, and silent HTTP/2 clients are pinged and dropped if they do not answer. Also the longest pause in a request body a plugin reads (Kong\'s client_body_timeout; then 408)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l proxy-tls-cert -d 'PEM certificate (chain) that `ssl` proxy listeners present for names no SNI matches, instead of a self-signed one made at start (Kong\'s ssl_cert)' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l proxy-tls-key -d 'PEM private key of --proxy-tls-cert (Kong\'s ssl_cert_key)' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l no-access-log -d 'Do not write an access log at all'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gwctl -n "__fish_gwctl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l addr -l kong-addr -d 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l header -l headers -d 'Extra request header, `Name: value` (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l timeout -d 'Request timeout in seconds' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l ca-cert -d 'PEM file of a CA to trust for the Admin API' -r -F
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l select-tag -d 'Only manage entities carrying all these tags (repeatable)' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l parallelism -d 'Concurrent requests within one dependency level' -r
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l format -d 'Output format' -r -f -a "human\t''
json\t''
markdown\t''"
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l tls-skip-verify -d 'Do not verify the Admin API\'s TLS certificate'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l json-output -d 'decK\'s spelling of `--format json`'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -l no-color -d 'Disable colours (also `NO_COLOR`)'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -s v -l verbose -d 'More detail on stderr (repeatable)'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c gwctl -n "__fish_gwctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "validate" -d 'Check state files offline: schema, references, secrets; every problem at once'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "diff" -d 'Show how the gateway differs from the state files (what sync would do)'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "sync" -d 'Make the gateway match the state files: create, update and delete'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "apply" -d 'Like sync, but never delete anything'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "dump" -d 'Write the gateway\'s configuration as a state file'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "reset" -d 'Delete every entity from the gateway'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "ping" -d 'Check that the Admin API is reachable; print the gateway\'s version'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "render" -d 'Print the merged, substituted, defaulted state (secrets masked)'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "serve" -d 'Run the bundled gateway: Admin API and proxy'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c gwctl -n "__fish_gwctl_using_subcommand help; and not __fish_seen_subcommand_from validate diff sync apply dump reset ping render serve completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
