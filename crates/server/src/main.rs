//! The `backend-api` binary.

fn main() -> std::process::ExitCode {
    server::cli::run()
}
