//! `rally place …` and `rally map …`: address search (through the server this
//! device syncs with by default, a provider the user chose, or the bundled
//! gazetteer — asked with `--offline` or as the fallback when the others fail)
//! and keeping a march's map offline. The HTTP is `rally-webclient`'s, run on a
//! runtime of this command's own; the store is touched only through the
//! service, before and after.

use anyhow::{Context, Result, bail};
use rally_service::maps::KeptFrom;
use rally_store::KeptMap;
use rally_webclient::places::{Geocoder, Query};
use rally_webclient::tiles;
use serde_json::json;

use crate::Ctx;
use crate::args::{GeocoderChoice, MapCmd, PlaceCmd};

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The server this device syncs with (learnt at sync), if any.
pub(crate) fn own_server(ctx: &Ctx) -> Result<Option<String>> {
    Ok(ctx.svc.store().server_url()?)
}

fn geocoder(ctx: &Ctx, choice: &GeocoderChoice) -> Result<(Geocoder, Option<String>)> {
    Ok(
        match (choice.offline, &choice.via, choice.provider, &choice.url) {
            (true, ..) => (Geocoder::Offline, None),
            (_, Some(via), ..) => (Geocoder::Server(via.clone()), None),
            (_, None, Some(provider), Some(url)) => (
                Geocoder::Direct {
                    provider,
                    url: url.clone(),
                },
                None,
            ),
            _ => match own_server(ctx)? {
                Some(server) => (Geocoder::Server(server), None),
                None => (
                    Geocoder::Offline,
                    Some("no geocoder chosen and no server synced with yet".to_owned()),
                ),
            },
        },
    )
}

pub fn place(ctx: &Ctx, cmd: PlaceCmd) -> Result<()> {
    let (choice, query) = match cmd {
        PlaceCmd::Search {
            text,
            geocoder,
            limit,
        } => (
            geocoder,
            Query::Search {
                text,
                limit,
                near: None,
            },
        ),
        PlaceCmd::Reverse { lat, lon, geocoder } => (geocoder, Query::Reverse { lat, lon }),
    };
    let (geocoder, why_offline) = geocoder(ctx, &choice)?;
    let answer = if geocoder == Geocoder::Offline {
        rally_webclient::places::offline(&query, why_offline)?
    } else {
        runtime()?.block_on(rally_webclient::places::lookup(
            &rally_webclient::client(),
            &geocoder,
            &query,
        ))?
    };
    if let Some(why) = &answer.fallback {
        eprintln!("{why}; answering from the offline gazetteer (towns only, approximate)");
    }
    if ctx.out.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    if answer.places.is_empty() {
        println!("Nothing found.");
    }
    for p in &answer.places {
        println!(
            "{}{}  ({:.5}, {:.5})",
            p.name,
            p.address
                .as_deref()
                .map(|a| format!(" — {a}"))
                .unwrap_or_default(),
            p.lat,
            p.lon
        );
    }
    let through = match &geocoder {
        Geocoder::Server(s) if answer.fallback.is_none() => format!(" through {s}"),
        _ => String::new(),
    };
    let approx = if answer.approximate {
        ", approximate"
    } else {
        ""
    };
    println!("(from {}{through}{approx})", answer.source);
    Ok(())
}

fn parse_zoom(text: &str) -> Result<(u8, u8)> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (a, b): (u8, u8) = (
        a.trim().parse().context("--zoom MIN-MAX, e.g. 12-17")?,
        b.trim().parse().context("--zoom MIN-MAX, e.g. 12-17")?,
    );
    if a > b || b > tiles::MAX_ZOOM {
        bail!("--zoom MIN-MAX with MIN ≤ MAX ≤ {}", tiles::MAX_ZOOM);
    }
    Ok((a, b))
}

fn kept_json(m: &KeptMap) -> serde_json::Value {
    json!({
        "event": m.event.to_string(),
        "source": m.source,
        "attribution": m.attribution,
        "bounds": {"south": m.bounds.0, "west": m.bounds.1, "north": m.bounds.2, "east": m.bounds.3},
        "min_zoom": m.min_zoom,
        "max_zoom": m.max_zoom,
        "tiles": m.tiles,
        "bytes": m.bytes,
        "kept_at": m.kept_at,
    })
}

pub fn map(ctx: &mut Ctx, cmd: MapCmd) -> Result<()> {
    match cmd {
        MapCmd::Keep { id, via, zoom } => {
            let area = ctx.svc.map_area(&id)?;
            let server = match via.or(own_server(ctx)?) {
                Some(s) => s,
                None => bail!(
                    "no server to take tiles from: sync with one first, or give --via SERVER-URL"
                ),
            };
            let (min_zoom, max_zoom) = parse_zoom(&zoom)?;
            let client = rally_webclient::client();
            let rt = runtime()?;
            let source = rt.block_on(tiles::source(&client, &server))?;
            if !source.keep {
                return Err(tiles::TilesError::KeepRefused(server).into());
            }
            let bounds = tiles::around(&area.points).context("an area with no points")?;
            let (wanted, deepest) = tiles::area(bounds, min_zoom, max_zoom.min(source.max_zoom))?;
            let fetched = rt.block_on(tiles::fetch_all(&client, &source, &wanted))?;
            let kept = ctx.svc.keep_map(
                &area,
                &KeptFrom {
                    source: source.template.clone(),
                    attribution: source.attribution.clone(),
                    bounds,
                    zooms: (min_zoom.min(deepest), deepest),
                },
                fetched
                    .into_iter()
                    .map(|(t, b)| (t.z, t.x, t.y, b))
                    .collect(),
            )?;
            if deepest < max_zoom.min(source.max_zoom) {
                eprintln!(
                    "zooms deeper than {deepest} left out: the area would need more than {} tiles",
                    tiles::MAX_KEEP_TILES
                );
            }
            ctx.out.message(
                &format!(
                    "Kept {} tiles ({} kB, zoom {}–{}) for offline use",
                    kept.tiles,
                    kept.bytes / 1000,
                    kept.min_zoom,
                    kept.max_zoom
                ),
                kept_json(&kept),
            );
            Ok(())
        }
        MapCmd::Show { id } => {
            match ctx.svc.kept_map(&id)? {
                Some(m) => ctx.out.message(
                    &format!(
                        "{} tiles ({} kB, zoom {}–{}) kept from {}",
                        m.tiles,
                        m.bytes / 1000,
                        m.min_zoom,
                        m.max_zoom,
                        m.source
                    ),
                    kept_json(&m),
                ),
                None => ctx
                    .out
                    .message("No map kept offline for this event.", json!(null)),
            }
            Ok(())
        }
    }
}
