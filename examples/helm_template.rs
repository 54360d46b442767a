//! `helm template` stand-in built on driftlens's renderer, for `scripts/helm-oracle` and
//! manual comparisons until the CLI wires `driftlens template`:
//! `cargo run --example helm_template -- RELEASE CHART [helm template flags]`.

use clap::Parser;
use driftlens::render::helm::args::TemplateArgs;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: TemplateArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(cli.args.run());
}
