//! The server process's CPU time and memory, read from `/proc`.

use std::time::Duration;

/// One reading of `/proc/<pid>`.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// utime + stime.
    pub cpu: Duration,
    /// Resident set size, bytes.
    pub rss: u64,
}

/// Reads the process now.
pub fn sample(pid: u32) -> std::io::Result<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which may contain spaces: utime and
    // stime are the 14th and 15th fields, i.e. 12th and 13th after ')'.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let (Some(utime), Some(stime)) = (ticks(11), ticks(12)) else {
        return Err(std::io::Error::other("unreadable /proc/<pid>/stat"));
    };
    let hz = clock_ticks_per_second();
    let cpu = Duration::from_secs_f64((utime + stime) as f64 / hz);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024);
    Ok(Sample { cpu, rss })
}

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux this runs on (the kernel's
/// USER_HZ, fixed by its ABI).
fn clock_ticks_per_second() -> f64 {
    100.0
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
