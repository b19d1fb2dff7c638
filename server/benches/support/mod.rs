//! What the benchmarks that run the release `rally-server` share.

use std::path::PathBuf;

/// The release `rally-server` beside the benchmark binary.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("rally-server");
    assert!(
        path.exists(),
        "build it first: cargo build --release -p rally-server"
    );
    path
}
