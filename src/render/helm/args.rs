//! Command-line front ends of the Helm renderer: `driftlens render CHART …` and the
//! drop-in `driftlens template RELEASE CHART …`. Both print what `helm template` prints.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::{format_like_helm_template, render_chart, HelmOptions, RenderError};

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

/// Renders and returns what `helm template` would print: (stdout, stderr, exit code).
pub fn render_output(chart: &std::path::Path, opts: &HelmOptions) -> (String, String, i32) {
    if !chart.exists() {
        return (
            String::new(),
            format!("Error: chart path {} does not exist\n", chart.display()),
            2,
        );
    }
    match render_chart(chart, opts) {
        Ok(r) => {
            let mut err = if r.deprecated {
                "level=WARN msg=\"this chart is deprecated\"\n".to_string()
            } else {
                String::new()
            };
            for s in &r.skipped {
                err.push_str(&format!("note: {s}\n"));
            }
            (format_like_helm_template(&r), err, 0)
        }
        Err(e) => (String::new(), helm_error_text(&e), 1),
    }
}

fn run_render(chart: &std::path::Path, opts: &HelmOptions) -> i32 {
    let (out, err, rc) = render_output(chart, opts);
    if std::io::stdout().lock().write_all(out.as_bytes()).is_err() {
        return 1;
    }
    let _ = std::io::stderr().write_all(err.as_bytes());
    rc
}

/// What `helm template` writes to stderr for a failed render.
pub fn helm_error_text(e: &RenderError) -> String {
    match e {
        RenderError::ReleaseName(m) => {
            let detail = m.strip_prefix("release name check failed: ").unwrap_or(m);
            let logged = super::super::gotmpl::fmt::go_quote(detail);
            format!("level=ERROR msg=\"release name check failed\" error={logged}\nError: {m}\n")
        }
        // Checked by helm's command before rendering starts: no rendering hint.
        RenderError::Dependency(_) | RenderError::Values(_) | RenderError::Schema(_) => {
            format!("Error: {e}\n")
        }
        _ => format!("Error: {e}\n\nUse --debug flag to render out invalid YAML\n"),
    }
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
