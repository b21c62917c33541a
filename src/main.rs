fn main() {
    std::process::exit(goldpath::cli::run(std::env::args_os()));
}
