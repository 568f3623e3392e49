fn main() -> std::process::ExitCode {
    procure::cli::main()
}
