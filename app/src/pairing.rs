//! Pairing two devices by QR code, for when local discovery (mDNS) cannot
//! work: iPhones, hotel Wi-Fi with client isolation, Android skins that drop
//! multicast.
//!
//! One device shows a QR code of a `rally://pair?a=…` link
//! ([`rally_ipc::Link::Pair`]) that lists where its node listens — the local
//! network's addresses first, then the addresses through the user's server's
//! relay; loopback only when there is nothing else — each ending with the
//! node's peer id, at most [`IN_CODE`] of them so the code stays easy for a
//! camera to read. The other
//! device scans it (the barcode scanner on phones, the system camera through
//! the deep link, or the text pasted on the desktop); [`addresses`] checks it
//! and the shell dials those addresses, in addition to what mDNS finds.
//! A peer met this way syncs under the same rules as any other: it proves its
//! persona, and sees only what that persona may see.

use std::net::IpAddr;

use rally_ipc::Link;
use rally_net::{Address as Multiaddr, Protocol};

use crate::engine::EngineError;

/// Addresses in a pairing code at most: four keep the QR code at version 15
/// (77 modules across, about 400 characters), where eight would make it
/// version 23 (109 across).
pub const IN_CODE: usize = 4;

/// The pairing link for a node listening on `listening` and reachable through
/// a relay at `relayed`; `None` while it listens nowhere yet.
pub fn link(listening: &[String], relayed: &[String]) -> Option<Link> {
    let mut ranked: Vec<(u8, &String)> = listening
        .iter()
        .chain(relayed)
        .filter_map(|a| {
            let parsed: Multiaddr = a.parse().ok()?;
            if !parsed.iter().any(|p| matches!(p, Protocol::P2p(_))) {
                return None;
            }
            let rank = match parsed.iter().next()? {
                Protocol::Ip4(ip) => rank(IpAddr::V4(ip))?,
                Protocol::Ip6(ip) => rank(IpAddr::V6(ip))?,
                _ => 1,
            };
            // Through a relay: after the local network.
            let rank = if parsed.iter().any(|p| matches!(p, Protocol::P2pCircuit)) {
                1
            } else {
                rank
            };
            Some((rank, a))
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.dedup_by(|a, b| a.1 == b.1);
    // Loopback reaches only this machine: given only when nothing else is.
    if ranked.iter().any(|(rank, _)| *rank < 2) {
        ranked.retain(|(rank, _)| *rank < 2);
    }
    let addresses: Vec<String> = ranked
        .into_iter()
        .take(IN_CODE)
        .map(|(_, a)| a.clone())
        .collect();
    (!addresses.is_empty()).then_some(Link::Pair { addresses })
}

/// Local network 0, elsewhere 1, loopback 2 (useful only on the same
/// machine); an unspecified address is never given out.
fn rank(ip: IpAddr) -> Option<u8> {
    if ip.is_unspecified() {
        None
    } else if ip.is_loopback() {
        Some(2)
    } else {
        Some(0)
    }
}

/// The addresses a pairing text (as scanned or pasted) names, each ending with
/// a peer id.
pub fn addresses(text: &str) -> Result<Vec<Multiaddr>, EngineError> {
    let refused = || {
        EngineError::Refused(
            "this is not a Rally pairing code (it starts with rally://pair?)".into(),
        )
    };
    let Some(Link::Pair { addresses }) = Link::parse(text) else {
        return Err(refused());
    };
    addresses
        .iter()
        .map(|a| {
            let parsed: Multiaddr = a.parse().map_err(|_| refused())?;
            matches!(parsed.iter().last(), Some(Protocol::P2p(_)))
                .then_some(parsed)
                .ok_or_else(refused)
        })
        .collect()
}

/// `text` as a QR code (SVG), big enough for a camera across a table.
pub fn qr_svg(text: &str) -> Result<String, EngineError> {
    crate::engine::qr_svg(text, 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";

    #[test]
    fn the_local_network_comes_first_then_the_relay_and_loopback_only_alone() {
        let lo = format!("/ip4/127.0.0.1/udp/5000/quic-v1/p2p/{PEER}");
        let lan = format!("/ip4/192.168.1.20/udp/5000/quic-v1/p2p/{PEER}");
        let any = format!("/ip4/0.0.0.0/tcp/5001/p2p/{PEER}");
        let relayed =
            format!("/ip4/203.0.113.5/udp/4001/quic-v1/p2p/{PEER}/p2p-circuit/p2p/{PEER}");
        let Some(Link::Pair { addresses }) = link(
            &[lo.clone(), any, lan.clone()],
            std::slice::from_ref(&relayed),
        ) else {
            panic!("a pairing link")
        };
        assert_eq!(addresses, [lan.clone(), relayed]);
        // Loopback alone: the two devices are on this machine.
        let Some(Link::Pair { addresses }) = link(std::slice::from_ref(&lo), &[]) else {
            panic!("a pairing link")
        };
        assert_eq!(addresses, [lo]);
        // No more than a camera reads easily.
        let many: Vec<String> = (1..=9)
            .map(|i| format!("/ip4/192.168.1.{i}/tcp/5001/p2p/{PEER}"))
            .collect();
        let Some(Link::Pair { addresses }) = link(&many, &[]) else {
            panic!("a pairing link")
        };
        assert_eq!(addresses.len(), IN_CODE);
        assert_eq!(link(&[], &[]), None);
    }

    #[test]
    fn a_full_code_stays_a_qr_code_a_camera_reads_easily() {
        let listening: Vec<String> = (0..8)
            .map(|i| format!("/ip4/192.168.178.{}/udp/4{i}123/quic-v1/p2p/{PEER}", 20 + i))
            .collect();
        let text = link(&listening, &[]).unwrap().to_string();
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        assert_eq!(
            code.version(),
            qrcode::Version::Normal(15),
            "{} chars",
            text.len()
        );
    }

    #[test]
    fn a_pasted_code_gives_its_addresses_and_anything_else_a_clear_error() {
        let lan = format!("/ip4/192.168.1.20/tcp/5001/p2p/{PEER}");
        let got = addresses(&format!("  rally://pair?a={lan}\n")).unwrap();
        assert_eq!(got, [lan.parse::<Multiaddr>().unwrap()]);
        for bad in [
            "hello".to_owned(),
            format!("rally://pair?a=/ip4/1.2.3.4/tcp/1/p2p/{PEER}/tcp/2"),
            "rally://pair?a=/ip4/1.2.3.4/tcp/1/p2p/notapeer".to_owned(),
            "rally://event/00".to_owned(),
        ] {
            let e = addresses(&bad).unwrap_err().to_string();
            assert!(e.contains("not a Rally pairing code"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_qr_code_holds_the_link_itself() {
        let text = format!("rally://pair?a=/ip4/192.168.1.20/tcp/5001/p2p/{PEER}");
        let svg = qr_svg(&text).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
        // The same code drawn as pixels (4 per module, a 4-module quiet
        // zone), as a camera would see it, decodes back to the text.
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let (width, colors) = (code.width(), code.to_colors());
        let side = (width + 8) * 4;
        let mut grid = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
            let dark = mx < width && my < width && colors[my * width + mx] == qrcode::Color::Dark;
            if dark { 0 } else { 255 }
        });
        let found = grid.detect_grids();
        assert_eq!(found.len(), 1);
        let (_, decoded) = found[0].decode().unwrap();
        assert_eq!(decoded, text);
    }
}
