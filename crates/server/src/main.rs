//! The `comptoir` binary.

fn main() -> std::process::ExitCode {
    comptoir_server::cli::main()
}
