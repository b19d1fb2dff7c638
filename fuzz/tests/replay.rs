//! Every kept fuzz input — the corpus each target grew and every crasher it found
//! — run through its target again, on every CI run: a crash fixed stays fixed.

use std::path::Path;

#[test]
fn every_kept_input_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for (name, target) in rally_fuzz::TARGETS {
        for dir in ["corpus", "crashers"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(name)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                // (A fuzzer running meanwhile may replace its corpus.)
                let Ok(data) = std::fs::read(&path) else {
                    continue;
                };
                let outcome = std::panic::catch_unwind(|| target(&data));
                assert!(outcome.is_ok(), "{name}: {} panics", path.display());
                ran += 1;
            }
        }
    }
    assert!(ran > 0, "no kept inputs found under {}", root.display());
}
