//! Running the binary the way an attacker's checkout would meet it in CI: under a memory limit,
//! with a wall-clock limit, recording its exit code, outputs, wall time and peak memory.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Address space the binary may use (the Helm renderer reserves a 512 MiB stack).
pub const ADDRESS_SPACE: u64 = 3 << 30;
/// Peak resident memory a hostile input may make the binary use.
pub const PEAK_RSS_MIB: u64 = 768;
/// Wall time after which the binary is killed (and the test fails): the backstop against a
/// run that never ends, generous because a shared machine may give the binary a fraction of a
/// core.
pub const KILL_AFTER: Duration = Duration::from_secs(120);
/// CPU time (user and system, every thread) a hostile input may make one run take (generous:
/// debug build). CPU time rather than wall time: it is what the input controls, while wall
/// time on a loaded machine measures the neighbours too.
pub const CPU: Duration = Duration::from_secs(30);

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// User and system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, in MiB.
    pub peak_mib: u64,
}

impl Outcome {
    /// Both outputs.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts the run ended by itself with `code`, within the time and memory bounds.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        self.bounded();
        assert_eq!(
            self.code,
            Some(code),
            "exit code (signal {:?})\nstdout:\n{}\nstderr:\n{}",
            self.signal,
            head(&self.stdout),
            head(&self.stderr)
        );
        self
    }

    /// Asserts the run ended by itself (any exit code but not a signal) within the bounds.
    #[track_caller]
    pub fn bounded(&self) -> &Self {
        assert!(
            self.signal.is_none(),
            "killed by signal {:?} after {:?}\nstderr:\n{}",
            self.signal,
            self.wall,
            head(&self.stderr)
        );
        assert!(
            self.cpu < CPU,
            "took {:?} of CPU ({:?} wall)",
            self.cpu,
            self.wall
        );
        assert!(
            self.peak_mib < PEAK_RSS_MIB,
            "peak RSS {} MiB\nstderr:\n{}",
            self.peak_mib,
            head(&self.stderr)
        );
        self
    }
}

fn head(s: &str) -> String {
    s.chars().take(3000).collect()
}

/// The binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_driftlens"))
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// Runs `driftlens ARGS` in `cwd` under the limits.
pub fn run_in(cwd: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("DRIFTLENS_HOSTILE_ENV_CANARY", "envc4n4ryv4lue")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: ADDRESS_SPACE,
                rlim_max: ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn driftlens");
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let read_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let read_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            while started.elapsed() < KILL_AFTER {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: signals our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        })
    };
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; status and usage are valid pointers.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    assert_eq!(waited, pid, "wait4");
    let stdout = String::from_utf8_lossy(&read_out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&read_err.join().unwrap_or_default()).into_owned();
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    // The child is reaped: keep std from waiting for it again.
    std::mem::forget(child);
    Outcome {
        code,
        signal,
        stdout,
        stderr,
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        peak_mib: (usage.ru_maxrss as u64) / 1024,
    }
}

/// Runs `driftlens ARGS` in the current directory.
pub fn run(args: &[&str]) -> Outcome {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// A path as an argument.
pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Writes a file under `root`, creating its directories.
pub fn write(root: &Path, path: &str, text: &str) {
    let f = root.join(path);
    std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
    std::fs::write(f, text).expect("write");
}

/// Every output format of `scan`.
pub const SCAN_FORMATS: &[&str] = &["human", "json", "sarif", "github", "markdown", "html"];
