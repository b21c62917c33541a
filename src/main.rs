fn main() {
    std::process::exit(goldpath::cli::run());
}
