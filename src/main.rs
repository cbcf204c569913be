//! The `gwctl` binary: everything lives in the library; this only hands over the arguments.

/// mimalloc instead of the system allocator: gwctl allocates many small JSON maps (validating
/// files, planning, the gateway's configuration rebuilds), and mimalloc is both faster at that
/// and quicker to give freed memory back, so a long-running gateway's RSS follows what it
/// actually holds.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gwctl::cli::main()
}
