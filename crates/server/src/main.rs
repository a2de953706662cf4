//! The `backend-api` binary.

/// jemalloc rather than glibc's malloc: it hands large freed blocks (an
/// Argon2 hash takes 19 MiB) back to the system instead of keeping them in
/// per-thread arenas, which halves a running server's resident memory
/// (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    server::cli::run()
}
