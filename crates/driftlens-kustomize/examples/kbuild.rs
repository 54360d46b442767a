//! `kbuild DIR [--load-restrictor LoadRestrictionsNone] [--enable-helm]`: prints what
//! `kustomize build DIR` prints (development aid; the `driftlens kustomize build` command is
//! the real interface).

use driftlens_kustomize::{fs::DiskFs, BuildOptions, LoadRestrictor};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = BuildOptions::default();
    let mut dir = ".".to_string();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--load-restrictor" => {
                i += 1;
                if args.get(i).map(String::as_str) == Some("LoadRestrictionsNone") {
                    opts.load_restrictor = LoadRestrictor::None;
                }
            }
            "--enable-helm" => opts.enable_helm = true,
            d => dir = d.to_string(),
        }
        i += 1;
    }
    let fs = DiskFs::unrestricted();
    let timing = std::env::var_os("KBUILD_TIME").is_some();
    let t0 = std::time::Instant::now();
    let (r, warnings) = driftlens_kustomize::build_with_warnings(&fs, &dir, &opts, None, None);
    for w in &warnings {
        eprintln!("{w}");
    }
    match r {
        Ok(out) => {
            let t1 = std::time::Instant::now();
            let y = out.to_yaml();
            if timing {
                eprintln!("build {:?}, emit {:?}", t1 - t0, t1.elapsed());
            }
            match y {
                Ok(s) => print!("{s}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(1);
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
