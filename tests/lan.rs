//! A march with no internet: three hosts on one network segment, built from network
//! namespaces (a bridge in a "switch" namespace, a veth pair per host), each running
//! `rally sync` with mDNS discovery. One host is cut off, both sides edit, the link
//! comes back, and everyone converges; the host outside the members-only group
//! never holds its documents.
//!
//! Needs root (for `ip netns`); the test says so and fails without it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rally_e2e::{SyncProcess, dir_contains, ip, is_root, json, rally, show, wait_for};
use serde_json::Value;

/// Three hosts and a switch; removed when dropped.
struct Lab {
    tag: String,
}

impl Lab {
    fn new() -> Lab {
        let tag = format!("r{}", std::process::id() % 100_000);
        let lab = Lab { tag };
        let sw = lab.switch();
        ip(&["netns", "add", &sw]);
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &sw, "link", "set", "br0", "up"]);
        for i in 1..=3 {
            let host = lab.host(i);
            let (h_end, s_end) = (format!("{}h{i}", lab.tag), lab.port(i));
            ip(&["netns", "add", &host]);
            ip(&[
                "link", "add", &h_end, "type", "veth", "peer", "name", &s_end,
            ]);
            ip(&["link", "set", &h_end, "netns", &host]);
            ip(&["link", "set", &s_end, "netns", &sw]);
            ip(&["-n", &sw, "link", "set", &s_end, "master", "br0", "up"]);
            ip(&["-n", &host, "link", "set", &h_end, "name", "eth0"]);
            ip(&[
                "-n",
                &host,
                "addr",
                "add",
                &format!("10.77.0.{i}/24"),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &host, "link", "set", "eth0", "up"]);
            ip(&["-n", &host, "link", "set", "lo", "up"]);
            ip(&["-n", &host, "route", "add", "224.0.0.0/4", "dev", "eth0"]);
        }
        lab
    }

    fn switch(&self) -> String {
        format!("{}sw", self.tag)
    }

    fn host(&self, i: usize) -> String {
        format!("{}h{i}", self.tag)
    }

    fn port(&self, i: usize) -> String {
        format!("{}s{i}", self.tag)
    }

    fn cut(&self, i: usize) {
        ip(&["-n", &self.switch(), "link", "set", &self.port(i), "down"]);
    }

    fn heal(&self, i: usize) {
        ip(&["-n", &self.switch(), "link", "set", &self.port(i), "up"]);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [self.host(1), self.host(2), self.host(3), self.switch()] {
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
    }
}

fn start_sync(lab: &Lab, i: usize, dir: &Path) -> SyncProcess {
    let host = lab.host(i);
    let p = SyncProcess::start(
        &["ip", "netns", "exec", &host],
        dir,
        &[
            "--listen",
            "/ip4/0.0.0.0/udp/0/quic-v1",
            "--listen",
            "/ip4/0.0.0.0/tcp/0",
        ],
    );
    assert!(
        p.first_line.starts_with("/ip4/"),
        "no listen address printed: {:?}",
        p.first_line
    );
    p
}

#[test]
fn a_cut_off_host_converges_after_healing_and_never_sees_private_documents() {
    assert!(
        is_root(),
        "this test builds network namespaces and must run as root"
    );
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let (d1, d2, d3) = (dirs[0].path(), dirs[1].path(), dirs[2].path());
    rally(d1, &["persona", "new", "organiser"]);
    rally(d2, &["persona", "new", "member"]);
    rally(d3, &["persona", "new", "passer-by"]);
    let member_id = json(d2, &["persona", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = json(
        d1,
        &["group", "create", "Strike committee", "--members-only"],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    rally(
        d1,
        &["group", "add", &group, &member_id, "--name", "member"],
    );
    let secret = json(
        d1,
        &[
            "event",
            "create",
            "--title",
            "Secret strike meeting",
            "--starts",
            "2055-03-08T09:00",
            "--tz",
            "Europe/Paris",
            "--group",
            &group,
            "--visibility",
            "members-only",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let march = json(
        d1,
        &[
            "event",
            "create",
            "--title",
            "March to the town hall",
            "--starts",
            "2055-03-08T14:00",
            "--tz",
            "Europe/Paris",
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let lab = Lab::new();
    let _s1 = start_sync(&lab, 1, d1);
    let _s2 = start_sync(&lab, 2, d2);
    let _s3 = start_sync(&lab, 3, d3);
    let took = wait_for(
        "mDNS discovery and a first sync",
        Duration::from_secs(60),
        || show(d2, &secret).is_some() && show(d2, &march).is_some() && show(d3, &march).is_some(),
    );
    eprintln!("first sync over the LAN: {took:?}");

    // Host 3 walks out of Wi-Fi range; both sides keep editing.
    lab.cut(3);
    rally(
        d1,
        &[
            "event",
            "edit",
            &march,
            "--title",
            "March to the town hall (start moved)",
            "--place",
            "Station square",
        ],
    );
    rally(
        d1,
        &[
            "event",
            "edit",
            &secret,
            "--description",
            "Room 2, ring twice",
        ],
    );
    rally(
        d3,
        &["event", "comment", &march, "Running late, wait for us"],
    );
    rally(d3, &["event", "join", &march]);
    // Longer than QUIC's idle timeout (10 s): the connections die and must be redialled.
    std::thread::sleep(Duration::from_secs(12));
    assert!(
        show(d3, &march).unwrap()["details"]["title"] == "March to the town hall",
        "the cut host got updates"
    );

    lab.heal(3);
    let healed = Instant::now();
    let took = wait_for("convergence after healing", Duration::from_secs(60), || {
        let states: Vec<Option<Value>> = [d1, d2, d3].iter().map(|d| show(d, &march)).collect();
        states.iter().all(|s| {
            s.as_ref().is_some_and(|s| {
                s["details"]["title"] == "March to the town hall (start moved)"
                    && s["comments"].as_array().is_some_and(|c| c.len() == 1)
                    && s["going"] == 1
            })
        }) && states[0] == states[1]
            && states[1] == states[2]
            && show(d2, &secret)
                .is_some_and(|s| s["details"]["description"] == "Room 2, ring twice")
    });
    eprintln!(
        "converged {took:?} after healing ({:?} since heal)",
        healed.elapsed()
    );

    // The passer-by never held the committee's documents; the member did.
    assert!(show(d3, &secret).is_none());
    assert!(json(d3, &["group", "list"]).as_array().unwrap().is_empty());
    assert!(
        dir_contains(d2, "Secret strike meeting"),
        "control: the member's store holds the title"
    );
    assert!(
        !dir_contains(d3, "Secret strike meeting"),
        "the passer-by's store holds the private title"
    );
    assert!(
        !dir_contains(d3, "Strike committee"),
        "the passer-by's store holds the private group"
    );
}
