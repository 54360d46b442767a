//! Command-line front ends of the Helm renderer: `driftlens render CHART …` and the
//! drop-in `driftlens template RELEASE CHART …`. Both print what `helm template` prints.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::HelmOptions;
pub use super::{helm_error_text, render_output};

/// Flags shared by `render` and `template` (the `helm template` flags driftlens supports).
#[derive(Debug, Clone, Args, Default)]
pub struct RenderFlags {
    /// Release namespace (`.Release.Namespace`).
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// Values files, merged in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set values (`a.b=1,c=x`), typed like Helm.
    #[arg(long, value_name = "K=V")]
    pub set: Vec<String>,
    /// Set string values.
    #[arg(long = "set-string", value_name = "K=V")]
    pub set_string: Vec<String>,
    /// Set values from files (`key=path`).
    #[arg(long = "set-file", value_name = "K=PATH")]
    pub set_file: Vec<String>,
    /// Print the chart's CRDs (`crds/`) first.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Kubernetes version for `.Capabilities` (default v1.35.0).
    #[arg(long = "kube-version", value_name = "V")]
    pub kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions`.
    #[arg(short = 'a', long = "api-versions", value_name = "V")]
    pub api_versions: Vec<String>,
    /// Seed for random functions, for reproducible output (generated keys, serials and IVs
    /// too; a generated certificate's validity starts at the clock, as in Helm).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl RenderFlags {
    fn options(&self, release: &str) -> HelmOptions {
        HelmOptions {
            release_name: release.to_string(),
            namespace: self.namespace.clone(),
            value_files: self.values.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_file: self.set_file.clone(),
            values_yaml: None,
            include_crds: self.include_crds,
            kube_version: self.kube_version.clone(),
            api_versions: self.api_versions.clone(),
            seed: self.seed,
            root: None,
        }
    }
}

/// `driftlens render CHART [--release NAME] …`.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Chart directory or `.tgz`.
    pub chart: PathBuf,
    /// Release name.
    #[arg(long, default_value = "release-name")]
    pub release: String,
    /// Render flags.
    #[command(flatten)]
    pub flags: RenderFlags,
}

/// `driftlens template RELEASE CHART …` (helm's argument order).
#[derive(Debug, Clone, Args)]
pub struct TemplateArgs {
    /// Release name.
    pub release: String,
    /// Chart directory or `.tgz`.
    pub chart: PathBuf,
    /// Render flags.
    #[command(flatten)]
    pub flags: RenderFlags,
}

/// The directory a chart rendered from the command line must stay in: the Git checkout that
/// holds it (the nearest directory with `.git`), else the chart's own directory.
pub fn confinement(chart: &std::path::Path) -> Option<PathBuf> {
    let chart = chart.canonicalize().ok()?;
    let dir = if chart.is_dir() {
        chart.clone()
    } else {
        chart.parent()?.to_path_buf()
    };
    let git = dir.ancestors().find(|d| d.join(".git").exists());
    Some(git.unwrap_or(&dir).to_path_buf())
}

fn run_render(chart: &std::path::Path, opts: &HelmOptions) -> i32 {
    let mut opts = opts.clone();
    if opts.root.is_none() {
        opts.root = confinement(chart);
    }
    let (out, err, rc) = render_output(chart, &opts);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        // A closed pipe (`| head`) is the reader's choice; anything else (a full disk) is not.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "Error: cannot write the output: {e}");
            return 1;
        }
    }
    let _ = std::io::stderr().write_all(err.as_bytes());
    rc
}

impl RenderArgs {
    /// The render options these arguments describe.
    pub fn options(&self) -> HelmOptions {
        self.flags.options(&self.release)
    }

    /// Renders and prints; returns the exit code (0 ok, 1 render error, 2 usage error).
    pub fn run(&self) -> i32 {
        run_render(&self.chart, &self.flags.options(&self.release))
    }
}

impl TemplateArgs {
    /// The render options these arguments describe.
    pub fn options(&self) -> HelmOptions {
        self.flags.options(&self.release)
    }

    /// Renders and prints; returns the exit code (0 ok, 1 render error, 2 usage error).
    pub fn run(&self) -> i32 {
        run_render(&self.chart, &self.flags.options(&self.release))
    }
}
