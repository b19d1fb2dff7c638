//! `rally feed`: the acting persona's private calendar feed on its server
//! (the service signs the request, `rally-webclient` sends it).

use anyhow::{Result, bail};
use rally_core::private_feed::FeedAction;
use rally_webclient::feeds;
use serde_json::json;

use crate::Ctx;
use crate::args::FeedArgs;
use crate::maps::{own_server, runtime};

pub fn feed(ctx: &Ctx, args: FeedArgs) -> Result<()> {
    let server = match args.via.or(own_server(ctx)?) {
        Some(s) => s,
        None => bail!("no server yet: sync with one first, or give --via SERVER-URL"),
    };
    let action = if args.reset {
        FeedAction::Reset
    } else {
        FeedAction::Get
    };
    let request = ctx
        .svc
        .private_feed_request(action, &feeds::host_of(&server)?)?;
    let urls = runtime()?.block_on(feeds::ask(&server, &request))?;
    let said = if args.reset {
        "A new address for your calendar feed (the old one no longer works):"
    } else {
        "Your calendar feed (keep it to yourself: whoever has it sees your events):"
    };
    ctx.out.message(
        &format!("{said}\n{}\nAs a news feed: {}", urls.ics, urls.atom),
        json!({"ics": urls.ics, "atom": urls.atom, "reset": args.reset}),
    );
    Ok(())
}
