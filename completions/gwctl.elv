
use builtin;
use str;

set edit:completion:arg-completer[gwctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'gwctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'gwctl'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand validate 'Check state files offline: schema, references, secrets; every problem at once'
            cand diff 'Show how the gateway differs from the state files (what sync would do)'
            cand sync 'Make the gateway match the state files: create, update and delete'
            cand apply 'Like sync, but never delete anything'
            cand dump 'Write the gateway''s configuration as a state file'
            cand reset 'Delete every entity from the gateway'
            cand ping 'Check that the Admin API is reachable; print the gateway''s version'
            cand render 'Print the merged, substituted, defaulted state (secrets masked)'
            cand serve 'Run the bundled gateway: Admin API and proxy'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gwctl;validate'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --strict 'Fail on warnings too (unknown plugins, literal secrets)'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;diff'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;sync'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;apply'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;dump'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;reset'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;ping'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;render'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --show-secrets 'Print values taken from the environment instead of `[masked]`'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;serve'= {
            cand --admin-listen 'Address of the Admin API (loopback by default; anything else needs care: set a token)'
            cand --db 'SQLite database file (`:memory:` keeps everything in memory)'
            cand --config 'A state file to load at start; it replaces the stored configuration in one transaction'
            cand --admin-token 'Require this token in the `Kong-Admin-Token` header of every Admin API request'
            cand --sync 'SQLite durability: `normal` survives a killed process, `full` also power loss'
            cand --admin-body-limit 'Largest accepted request body, in bytes (larger ones get 413)'
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;completions'= {
            cand --addr 'Admin API address'
            cand --kong-addr 'Admin API address'
            cand --header 'Extra request header, `Name: value` (repeatable)'
            cand --headers 'Extra request header, `Name: value` (repeatable)'
            cand --timeout 'Request timeout in seconds'
            cand --ca-cert 'PEM file of a CA to trust for the Admin API'
            cand --select-tag 'Only manage entities carrying all these tags (repeatable)'
            cand --parallelism 'Concurrent requests within one dependency level'
            cand --format 'Output format'
            cand --tls-skip-verify 'Do not verify the Admin API''s TLS certificate'
            cand --json-output 'decK''s spelling of `--format json`'
            cand --no-color 'Disable colours (also `NO_COLOR`)'
            cand -v 'More detail on stderr (repeatable)'
            cand --verbose 'More detail on stderr (repeatable)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gwctl;help'= {
            cand validate 'Check state files offline: schema, references, secrets; every problem at once'
            cand diff 'Show how the gateway differs from the state files (what sync would do)'
            cand sync 'Make the gateway match the state files: create, update and delete'
            cand apply 'Like sync, but never delete anything'
            cand dump 'Write the gateway''s configuration as a state file'
            cand reset 'Delete every entity from the gateway'
            cand ping 'Check that the Admin API is reachable; print the gateway''s version'
            cand render 'Print the merged, substituted, defaulted state (secrets masked)'
            cand serve 'Run the bundled gateway: Admin API and proxy'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gwctl;help;validate'= {
        }
        &'gwctl;help;diff'= {
        }
        &'gwctl;help;sync'= {
        }
        &'gwctl;help;apply'= {
        }
        &'gwctl;help;dump'= {
        }
        &'gwctl;help;reset'= {
        }
        &'gwctl;help;ping'= {
        }
        &'gwctl;help;render'= {
        }
        &'gwctl;help;serve'= {
        }
        &'gwctl;help;completions'= {
        }
        &'gwctl;help;help'= {
        }
    ]
    $completions[$command]
}
