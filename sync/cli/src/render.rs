//! What `rally` prints: plain text for people, or one JSON document with `--json`.

use rally_core::jiff::Timestamp;
use rally_core::jiff::tz::TimeZone;
use rally_core::{DocId, EventView, GroupView};
use rally_store::{ChatMessage, EventSummary, GroupSummary, LocalPersona};
use serde::Serialize;
use serde_json::{Value, json};

pub fn print_json(v: &impl Serialize) {
    println!("{}", serde_json::to_string_pretty(v).expect("serialisable"));
}

#[derive(Debug)]
pub struct Out {
    pub json: bool,
}

pub fn local(secs: i64) -> String {
    Timestamp::from_second(secs)
        .map(|t| {
            t.to_zoned_datetime(TimeZone::system())
                .strftime("%a %-d %b %Y %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| secs.to_string())
}

fn short(id: &DocId) -> String {
    id.to_hex()[..12].to_owned()
}

impl Out {
    /// A new object: its id alone on stdout (for scripts), a sentence on stderr.
    pub fn created(&self, kind: &str, title: &str, id: &str) {
        if self.json {
            print_json(&json!({ "id": id, "kind": kind }));
        } else {
            println!("{id}");
            eprintln!("Created {kind} “{title}”");
        }
    }

    pub fn message(&self, text: &str, value: Value) {
        if self.json {
            print_json(&value);
        } else {
            println!("{text}");
        }
    }

    pub fn personas(&self, list: &[LocalPersona], current: Option<i64>) {
        if self.json {
            let v: Vec<_> = list
                .iter()
                .map(|p| json!({"name": p.name, "id": p.id(), "current": Some(p.row) == current, "created_at": p.created_at}))
                .collect();
            print_json(&v);
            return;
        }
        if list.is_empty() {
            println!("No personas yet. Create one with `rally persona new NAME`.");
        }
        for p in list {
            let mark = if Some(p.row) == current { "*" } else { " " };
            println!("{mark} {:<20} {}", p.name, p.id());
        }
    }

    pub fn groups(&self, groups: &[GroupSummary]) {
        if self.json {
            print_json(&groups);
            return;
        }
        if groups.is_empty() {
            println!("No groups yet.");
        }
        for g in groups {
            let roles: Vec<String> = g
                .my_roles
                .iter()
                .map(|(p, r)| format!("{p}: {r}"))
                .collect();
            println!(
                "{}  {}  ({} members, {}){}",
                short(&g.id),
                g.name,
                g.members,
                g.visibility,
                if roles.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", roles.join(", "))
                }
            );
        }
    }

    pub fn group(
        &self,
        id: DocId,
        g: &GroupView,
        events: &[(DocId, EventView)],
        handle: Option<&str>,
    ) {
        if self.json {
            let mut v = serde_json::to_value(g).expect("serialisable");
            v["id"] = json!(id);
            if let Some(h) = handle {
                v["handle"] = json!(h);
            }
            v["events"] = json!(events.iter().map(|(eid, e)| json!({"id": eid, "title": e.details.title, "starts": e.details.starts_at().timestamp().as_second()})).collect::<Vec<_>>());
            v["members"] = json!(g.members.values().collect::<Vec<_>>());
            print_json(&v);
            return;
        }
        println!("{}  ({})", g.profile.name, g.profile.visibility);
        println!("id {id}");
        if let Some(h) = handle {
            println!("on the Fediverse: {h}");
        }
        if !g.profile.summary.is_empty() {
            println!("\n{}", g.profile.summary);
        }
        if let Some(t) = g.disappearing {
            println!("\nMessages disappear after {}", t.label());
        }
        println!("\nMembers:");
        for m in g.members.values() {
            println!(
                "  {:<20} {:<9} {}",
                m.name,
                m.role,
                &m.persona.to_hex()[..12]
            );
        }
        if !g.links.is_empty() {
            println!("\nLinks:");
            for l in &g.links {
                println!("  {}: {}", l.title, l.url);
            }
        }
        if !events.is_empty() {
            println!("\nEvents:");
            for (eid, e) in events {
                println!(
                    "  {}  {}  {}",
                    short(eid),
                    local(e.details.starts_at().timestamp().as_second()),
                    e.details.title
                );
            }
        }
        let open: Vec<_> = g.invites.iter().filter(|i| !i.revoked).collect();
        if !open.is_empty() {
            println!("\n{} open invitation(s)", open.len());
        }
    }

    pub fn messages(&self, messages: &[ChatMessage]) {
        if self.json {
            print_json(&messages);
            return;
        }
        if messages.is_empty() {
            println!("No messages you can read yet.");
        }
        for m in messages {
            let who = m
                .author_name
                .clone()
                .unwrap_or_else(|| m.author.to_hex()[..12].to_owned());
            let when = local(m.at.div_euclid(1000));
            let reply = m
                .reply_to
                .as_ref()
                .map(|r| format!(" (reply to {})", &r[..8.min(r.len())]))
                .unwrap_or_default();
            let text = if m.deleted {
                "(deleted)".to_owned()
            } else if m.edited_at.is_some() {
                format!("{} (edited)", m.text)
            } else {
                m.text.clone()
            };
            println!("{}  {when}  {who}{reply}: {text}", &m.id[..8]);
        }
    }

    pub fn events(&self, events: &[EventSummary]) {
        if self.json {
            print_json(&events);
            return;
        }
        if events.is_empty() {
            println!("No events.");
        }
        for e in events {
            let status = match e.status {
                rally_core::EventStatus::Confirmed => String::new(),
                s => format!("  [{s}]"),
            };
            let repeats = if e.occurrence.is_some() { "  ↻" } else { "" };
            println!(
                "{}  {}  {}{}{}",
                short(&e.id),
                local(e.starts),
                e.title,
                status,
                repeats
            );
        }
    }

    /// A series' occurrences: each one's name (the start its rule gave it), its
    /// start and end as RFC 3339 instants with the event's offset, status and
    /// what an exception changed.
    pub fn occurrences(&self, list: &[rally_service::occurrences::OccurrenceRow], zone: &TimeZone) {
        let instant = |t: Timestamp| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        };
        if self.json {
            let rows: Vec<Value> = list
                .iter()
                .map(|row| {
                    let o = &row.occurrence;
                    json!({
                        "occurrence": o.name.to_string(),
                        "starts": instant(o.starts_at),
                        "ends": o.ends_at.map(instant),
                        "status": o.status,
                        "title": o.title,
                        "place": o.place,
                        "online": o.online_url,
                        "changed": o.changed,
                        "going": row.going,
                        "mine": row.mine,
                    })
                })
                .collect();
            print_json(&rows);
            return;
        }
        if list.is_empty() {
            println!("No occurrences.");
        }
        for row in list {
            let o = &row.occurrence;
            let status = match o.status {
                rally_core::EventStatus::Confirmed => String::new(),
                s => format!("  [{s}]"),
            };
            let changed = if o.changed { "  (changed)" } else { "" };
            let mine = row
                .mine
                .map(|m| format!("  — you: {m}"))
                .unwrap_or_default();
            println!(
                "{}  {}{}{}  ({} going){}",
                o.starts.strftime("%a %Y-%m-%d %H:%M"),
                o.title,
                status,
                changed,
                row.going,
                mine
            );
        }
    }

    /// Public events found by `discover`.
    pub fn found(&self, found: &[rally_service::discover::Found]) {
        if self.json {
            let rows: Vec<_> = found
                .iter()
                .map(|f| {
                    let d = &f.view.details;
                    json!({
                        "id": f.id,
                        "title": d.title,
                        "starts_utc": d.starts_at().timestamp().to_string(),
                        "status": d.status,
                        "place": d.place,
                        "tags": d.tags,
                        "group": f.view.group,
                        "group_name": f.group_name,
                        "going": f.view.going_count(),
                        "distance_km": f.distance_km,
                        "copy_of": f.view.origin,
                    })
                })
                .collect();
            print_json(&rows);
            return;
        }
        if found.is_empty() {
            println!("Nothing found. Sync with your server to get its public events.");
        }
        for f in found {
            let d = &f.view.details;
            let place = d.place.name.as_deref().unwrap_or_default();
            let distance = f
                .distance_km
                .map(|k| format!("  ({k:.1} km)"))
                .unwrap_or_default();
            println!(
                "{}  {}  {}  {}{}",
                short(&f.id),
                local(d.starts_at().timestamp().as_second()),
                d.title,
                place,
                distance
            );
        }
    }

    pub fn event(&self, id: DocId, e: &EventView, group_name: Option<&str>, url: Option<&str>) {
        let d = &e.details;
        if self.json {
            let mut v = serde_json::to_value(e).expect("serialisable");
            v["id"] = json!(id);
            if let Some(u) = url {
                v["url"] = json!(u);
            }
            v["starts_utc"] = json!(d.starts_at().timestamp().to_string());
            v["ends_utc"] = json!(d.ends_at().map(|z| z.timestamp().to_string()));
            v["participants"] = json!(e.participants.values().collect::<Vec<_>>());
            v["organisers"] = json!(
                e.organisers
                    .iter()
                    .map(|(p, n)| json!({"persona": p, "name": n}))
                    .collect::<Vec<_>>()
            );
            v["going"] = json!(e.going_count());
            v["banner"] = json!(d.banner);
            v["route"] = json!(d.route);
            v["points"] = json!(d.points);
            print_json(&v);
            return;
        }
        println!(
            "{}{}",
            d.title,
            if d.status == rally_core::EventStatus::Confirmed {
                String::new()
            } else {
                format!("  [{}]", d.status)
            }
        );
        println!("id {id}");
        if let Some(u) = url {
            println!("on the Fediverse: {u}");
        }
        if let Some(o) = &e.origin {
            println!("copied from the Fediverse: {o} (its organiser answers there)");
        }
        let start = d.starts_at();
        let mut when = format!("{} ({})", start.strftime("%a %-d %b %Y %H:%M"), d.time_zone);
        if let Some(end) = d.ends_at() {
            when.push_str(&format!(" until {}", end.strftime("%a %-d %b %Y %H:%M")));
        }
        println!("When: {when}");
        let here = start.with_time_zone(TimeZone::system());
        if here.offset() != start.offset() {
            println!("      {} your time", here.strftime("%a %-d %b %Y %H:%M"));
        }
        if !d.place.is_empty() {
            let mut place: Vec<String> = [d.place.name.clone(), d.place.address.clone()]
                .into_iter()
                .flatten()
                .collect();
            if let (Some(lat), Some(lon)) = (d.place.latitude, d.place.longitude) {
                place.push(format!("{lat:.5}, {lon:.5}"));
            }
            println!("Where: {}", place.join(" · "));
        }
        if let Some(url) = &d.online_url {
            println!("Online: {url}");
        }
        if !d.route.is_empty() {
            println!("Route: {} points", d.route.len());
        }
        for p in &d.points {
            println!("Point: {} ({:.5}, {:.5})", p.label, p.at.lat, p.at.lon);
        }
        if let Some(b) = &d.banner {
            println!(
                "Picture: {} ({}×{}, {} KB) — {}",
                b.hash,
                b.width,
                b.height,
                b.size.div_ceil(1024),
                b.alt
            );
        }
        if let Some(g) = group_name {
            println!("Group: {g}");
        }
        let cap = d
            .capacity
            .map(|c| format!(" of {c} places"))
            .unwrap_or_default();
        println!(
            "Join: {}, {} · {} going{cap}",
            d.join_mode,
            d.visibility,
            e.going_count()
        );
        if !d.tags.is_empty() {
            println!(
                "Tags: {}",
                d.tags
                    .iter()
                    .map(|t| format!("#{t}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        if !d.description.is_empty() {
            println!("\n{}", d.description);
        }
        println!(
            "\nOrganisers: {}",
            e.organisers
                .values()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !e.participants.is_empty() {
            println!("Participants:");
            for p in e.participants.values() {
                println!(
                    "  {:<20} {:<10} {}",
                    p.name,
                    p.status,
                    &p.persona.to_hex()[..12]
                );
            }
        }
        if !e.comments.is_empty() {
            println!("\nComments:");
            let print = |c: &rally_core::Comment, indent: &str| {
                let body = if c.deleted {
                    "(deleted)".to_owned()
                } else if c.hidden {
                    "(hidden by an organiser)".to_owned()
                } else {
                    c.body.clone()
                };
                let edited = if c.edited_at.is_some() && !c.deleted {
                    " (edited)"
                } else {
                    ""
                };
                println!(
                    "{indent}[{}] {} · {}{edited}\n{indent}  {body}",
                    &c.id[..8],
                    c.author_name,
                    local(c.created_at)
                );
            };
            for c in e.comments.iter().filter(|c| c.reply_to.is_none()) {
                print(c, "  ");
                for r in e
                    .comments
                    .iter()
                    .filter(|r| r.reply_to.as_deref() == Some(&c.id))
                {
                    print(r, "      ");
                }
            }
        }
    }
}
