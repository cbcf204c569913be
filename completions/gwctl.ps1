
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'gwctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'gwctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'gwctl' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check state files offline: schema, references, secrets; every problem at once')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show how the gateway differs from the state files (what sync would do)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Make the gateway match the state files: create, update and delete')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Like sync, but never delete anything')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Write the gateway''s configuration as a state file')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Delete every entity from the gateway')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Check that the Admin API is reachable; print the gateway''s version')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Print the merged, substituted, defaulted state (secrets masked)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the bundled gateway: Admin API and proxy')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gwctl;validate' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail on warnings too (unknown plugins, literal secrets)')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;diff' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Save the plan to FILE, for `gwctl sync --plan FILE` (holds env-var names, not values)')
            [CompletionResult]::new('--rps', '--rps', [CompletionResultType]::ParameterName, 'Cap on Admin API requests per second (default: no cap)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--exit-code', '--exit-code', [CompletionResultType]::ParameterName, 'Exit with 2 when there are changes (after printing everything)')
            [CompletionResult]::new('--non-zero-exit-code', '--non-zero-exit-code', [CompletionResultType]::ParameterName, 'Exit with 2 when there are changes (after printing everything)')
            [CompletionResult]::new('--no-deletes', '--no-deletes', [CompletionResultType]::ParameterName, 'Show what `apply` would do: no deletes')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;sync' {
            [CompletionResult]::new('--plan', '--plan', [CompletionResultType]::ParameterName, 'Apply a plan saved by `gwctl diff --out FILE` instead of reading state files')
            [CompletionResult]::new('--rps', '--rps', [CompletionResultType]::ParameterName, 'Cap on Admin API requests per second (default: no cap)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--allow-empty', '--allow-empty', [CompletionResultType]::ParameterName, 'Allow an empty state to delete everything on the gateway')
            [CompletionResult]::new('--no-atomic', '--no-atomic', [CompletionResultType]::ParameterName, 'Write entity by entity even when the gateway offers an atomic batch')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;apply' {
            [CompletionResult]::new('--rps', '--rps', [CompletionResultType]::ParameterName, 'Cap on Admin API requests per second (default: no cap)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-atomic', '--no-atomic', [CompletionResultType]::ParameterName, 'Write entity by entity even when the gateway offers an atomic batch')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;dump' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE (mode 0600) instead of stdout')
            [CompletionResult]::new('--output-file', '--output-file', [CompletionResultType]::ParameterName, 'Write to FILE (mode 0600) instead of stdout')
            [CompletionResult]::new('--rps', '--rps', [CompletionResultType]::ParameterName, 'Cap on Admin API requests per second (default: no cap)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--with-id', '--with-id', [CompletionResultType]::ParameterName, 'Keep every entity''s id, even where a natural key identifies it')
            [CompletionResult]::new('--sanitize', '--sanitize', [CompletionResultType]::ParameterName, 'Replace every secret (credential keys and passwords, certificate keys, plugin secrets such as ai-proxy''s header_value) with `[masked]`, for sharing; such a dump cannot be synced back')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;reset' {
            [CompletionResult]::new('--rps', '--rps', [CompletionResultType]::ParameterName, 'Cap on Admin API requests per second (default: no cap)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--no-atomic', '--no-atomic', [CompletionResultType]::ParameterName, 'Write entity by entity even when the gateway offers an atomic batch')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;ping' {
            [CompletionResult]::new('--rps', '--rps', [CompletionResultType]::ParameterName, 'Cap on Admin API requests per second (default: no cap)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;render' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print values taken from the environment instead of `[masked]`')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;serve' {
            [CompletionResult]::new('--admin-listen', '--admin-listen', [CompletionResultType]::ParameterName, 'Address of the Admin API (loopback by default; anything else needs care: set a token)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'SQLite database file (`:memory:` keeps everything in memory)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'A state file to load at start; it replaces the stored configuration in one transaction')
            [CompletionResult]::new('--admin-token', '--admin-token', [CompletionResultType]::ParameterName, 'Require this token in the `Kong-Admin-Token` header of every Admin API request')
            [CompletionResult]::new('--sync', '--sync', [CompletionResultType]::ParameterName, 'SQLite durability: `normal` survives a killed process, `full` also power loss')
            [CompletionResult]::new('--admin-body-limit', '--admin-body-limit', [CompletionResultType]::ParameterName, 'Largest accepted request body, in bytes (larger ones get 413)')
            [CompletionResult]::new('--proxy-listen', '--proxy-listen', [CompletionResultType]::ParameterName, 'Address of the proxy (repeatable: `--proxy-listen 127.0.0.1:8000 --proxy-listen :8080`)')
            [CompletionResult]::new('--access-log', '--access-log', [CompletionResultType]::ParameterName, 'Write the access log (one JSON line per request) to this file instead of stdout')
            [CompletionResult]::new('--proxy-client-timeout', '--proxy-client-timeout', [CompletionResultType]::ParameterName, 'Close a proxy client connection that sends no complete request head for this many seconds, idle keep-alive time included (Kong''s client_header_timeout and keepalive_timeout); HTTP/2 connections close after as long without a request, and silent HTTP/2 clients are pinged and dropped if they do not answer. Also the longest pause in a request body a plugin reads (Kong''s client_body_timeout; then 408)')
            [CompletionResult]::new('--proxy-tls-cert', '--proxy-tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate (chain) that `ssl` proxy listeners present for names no SNI matches, instead of a self-signed one made at start (Kong''s ssl_cert)')
            [CompletionResult]::new('--proxy-tls-key', '--proxy-tls-key', [CompletionResultType]::ParameterName, 'PEM private key of --proxy-tls-cert (Kong''s ssl_cert_key)')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--no-access-log', '--no-access-log', [CompletionResultType]::ParameterName, 'Do not write an access log at all')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;completions' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--kong-addr', '--kong-addr', [CompletionResultType]::ParameterName, 'URL of the Admin API that diff, sync, apply, dump, reset and ping talk to (not where `serve` listens: that is `--admin-listen`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--headers', '--headers', [CompletionResultType]::ParameterName, 'Extra request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Request timeout in seconds')
            [CompletionResult]::new('--ca-cert', '--ca-cert', [CompletionResultType]::ParameterName, 'PEM file of a CA to trust for the Admin API')
            [CompletionResult]::new('--select-tag', '--select-tag', [CompletionResultType]::ParameterName, 'Only manage entities carrying all these tags (repeatable)')
            [CompletionResult]::new('--parallelism', '--parallelism', [CompletionResultType]::ParameterName, 'Concurrent requests within one dependency level')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--tls-skip-verify', '--tls-skip-verify', [CompletionResultType]::ParameterName, 'Do not verify the Admin API''s TLS certificate')
            [CompletionResult]::new('--json-output', '--json-output', [CompletionResultType]::ParameterName, 'decK''s spelling of `--format json`')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colours (also `NO_COLOR`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only errors on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gwctl;help' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check state files offline: schema, references, secrets; every problem at once')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show how the gateway differs from the state files (what sync would do)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Make the gateway match the state files: create, update and delete')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Like sync, but never delete anything')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Write the gateway''s configuration as a state file')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Delete every entity from the gateway')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Check that the Admin API is reachable; print the gateway''s version')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Print the merged, substituted, defaulted state (secrets masked)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the bundled gateway: Admin API and proxy')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gwctl;help;validate' {
            break
        }
        'gwctl;help;diff' {
            break
        }
        'gwctl;help;sync' {
            break
        }
        'gwctl;help;apply' {
            break
        }
        'gwctl;help;dump' {
            break
        }
        'gwctl;help;reset' {
            break
        }
        'gwctl;help;ping' {
            break
        }
        'gwctl;help;render' {
            break
        }
        'gwctl;help;serve' {
            break
        }
        'gwctl;help;completions' {
            break
        }
        'gwctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
