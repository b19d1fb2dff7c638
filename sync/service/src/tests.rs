//! The use cases on a real store in a temporary directory.

use rally_core::jiff::Timestamp;
use rally_core::{DocKind, GroupVisibility, ParticipationStatus, Role, Visibility};

use crate::copies::CopyBanner;
use crate::events::{EventEdit, EventFilter, EventSearch, NewEvent, Rsvp};
use crate::groups::Joined;
use crate::{Clock, Service, ServiceError};

fn service(dir: &std::path::Path) -> Service {
    let mut s = Service::open(dir).unwrap();
    s.set_clock(Clock::Fixed(
        "2027-01-10T10:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    s
}

fn new_event(title: &str, group: Option<String>) -> NewEvent {
    NewEvent {
        fields: EventEdit {
            title: Some(title.into()),
            starts: Some("2027-03-01T18:30".parse().unwrap()),
            time_zone: Some("Europe/Paris".into()),
            ..EventEdit::default()
        },
        group,
    }
}

fn all_events(s: &Service) -> Vec<String> {
    s.events(&EventSearch::default())
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect()
}

#[test]
fn nothing_is_done_without_a_persona() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    assert!(matches!(
        s.create_event(new_event("Picnic", None)),
        Err(ServiceError::NoPersona)
    ));
    s.act_as(Some("nobody".into()));
    assert!(matches!(
        s.create_event(new_event("Picnic", None)),
        Err(ServiceError::UnknownPersona(_))
    ));
    assert!(all_events(&s).is_empty());
}

#[test]
fn an_event_in_a_group_is_listed_by_the_group_in_the_same_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let (group, _) = s
        .create_group("Bike kitchen", "", GroupVisibility::Public)
        .unwrap();
    let prefix = &group.to_hex()[..8];
    let event = s
        .create_event(new_event("Repair night", Some(prefix.into())))
        .unwrap();
    let page = s.group(prefix).unwrap();
    assert!(page.view.events.contains(&event));
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.my_role, Some(Role::Admin));

    // Ben is not one of its admins or moderators: refused, and nothing is stored.
    s.create_persona("Ben").unwrap();
    let err = s
        .create_event(new_event("Ben's night", Some(prefix.into())))
        .unwrap_err();
    assert!(matches!(err, ServiceError::NotGroupModerator), "{err}");
    assert_eq!(all_events(&s), ["Repair night"]);
    assert_eq!(s.group(prefix).unwrap().view.events.len(), 1);
}

#[test]
fn a_refused_second_write_undoes_the_first() {
    // Use cases run inside one transaction join it: when a later step fails,
    // the earlier ones are undone too.
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let id = s.create_event(new_event("Assembly", None)).unwrap();
    let before = s.store().load(id).unwrap().heads();
    let err = s.transaction(|s| {
        s.comment(&id.to_hex(), "first", None)?;
        s.resolve("ffffffffffff", DocKind::Group)
    });
    assert!(err.is_err());
    assert_eq!(s.store().load(id).unwrap().heads(), before);
    assert!(s.event(&id.to_hex()).unwrap().view.comments.is_empty());
}

#[test]
fn editing_an_event_is_one_rule_for_every_front_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let mut new = new_event("Assembly", None);
    new.fields.ends = Some(Some("2027-03-01T20:00".parse().unwrap()));
    new.fields.place = Some(Some("  Town hall ".into()));
    new.fields.tags = Some(vec!["Vélo".into(), "vélo".into(), "Climate".into()]);
    let id = s.create_event(new).unwrap();
    let hex = id.to_hex();
    let d = s.event(&hex).unwrap().view.details;
    assert_eq!(d.place.name.as_deref(), Some("Town hall"));
    assert_eq!(d.tags.len(), 2, "{:?}", d.tags);

    s.edit_event(
        &hex[..10],
        EventEdit {
            ends: Some(None),
            place: Some(Some("   ".into())),
            capacity: Some(Some(30)),
            visibility: Some(Visibility::Unlisted),
            ..EventEdit::default()
        },
    )
    .unwrap();
    let d = s.event(&hex).unwrap().view.details;
    assert_eq!(d.ends, None);
    assert_eq!(d.place.name, None);
    assert_eq!(d.capacity, Some(30));
    assert_eq!(d.visibility, Visibility::Unlisted);
    assert_eq!(d.title, "Assembly");

    // Bad input changes nothing.
    let before = s.store().load(id).unwrap().heads();
    let bad = EventEdit {
        ends: Some(Some("2027-03-01T10:00".parse().unwrap())),
        ..EventEdit::default()
    };
    assert!(matches!(
        s.edit_event(&hex, bad),
        Err(ServiceError::Input(_))
    ));
    assert!(
        s.edit_event(
            &hex,
            EventEdit {
                capacity: Some(Some(0)),
                ..EventEdit::default()
            }
        )
        .is_err()
    );
    assert_eq!(s.store().load(id).unwrap().heads(), before);

    s.cancel_event(&hex).unwrap();
    assert_eq!(
        s.event(&hex).unwrap().view.details.status,
        rally_core::EventStatus::Cancelled
    );
}

#[test]
fn answers_comments_and_approvals() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let mut new = new_event("Assembly", None);
    new.fields.join_mode = Some(rally_core::model::JoinMode::Approval);
    let id = s.create_event(new).unwrap().to_hex();
    s.create_persona("Ben").unwrap();
    let (_, status) = s.rsvp(&id, Rsvp::Join).unwrap();
    assert_eq!(status, Some(ParticipationStatus::Pending));
    let page = s.event(&id).unwrap();
    assert_eq!(page.my_status, Some(ParticipationStatus::Pending));
    assert!(!page.can_edit);
    let first = s.comment(&id, "Can I bring my dog?", None).unwrap();
    s.act_as(Some("Ana".into()));
    assert!(s.event(&id).unwrap().can_edit);
    let reply = s.comment(&id, "Sure", Some(&first[..6])).unwrap();
    s.decide(&id, "Ben", ParticipationStatus::Going).unwrap();
    // Ana may not edit Ben's comment; she may hide it.
    assert!(s.edit_comment(&id, &first, "No dogs").is_err());
    s.hide_comment(&id, &first, true).unwrap();
    s.act_as(Some("Ben".into()));
    assert_eq!(
        s.event(&id).unwrap().my_status,
        Some(ParticipationStatus::Going)
    );
    s.edit_comment(&id, &first, "Can I bring my cat?").unwrap();
    assert!(matches!(
        s.delete_comment(&id, "zz"),
        Err(ServiceError::NoSuchComment(_))
    ));
    let view = s.event(&id).unwrap().view;
    let c = view.comment(&first).unwrap();
    assert!(c.hidden);
    assert_eq!(c.body, "Can I bring my cat?");
    assert_eq!(
        view.comment(&reply).unwrap().reply_to.as_deref(),
        Some(first.as_str())
    );
    let (_, status) = s.rsvp(&id, Rsvp::Leave).unwrap();
    assert_eq!(status, None);
}

/// Ana's members-only group "Collective", and an invitation to it.
fn collective(s: &mut Service) -> (rally_core::DocId, crate::groups::Invitation) {
    s.create_persona("Ana").unwrap();
    let (group, _) = s
        .create_group("Collective", "", GroupVisibility::MembersOnly)
        .unwrap();
    let invitation = s.invite(&group.to_hex(), Default::default()).unwrap();
    (group, invitation)
}

#[test]
fn invitations_members_and_the_chat() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    let (group, invitation) = collective(&mut s);
    let g = group.to_hex();
    let text = invitation.token.encode();
    s.create_persona("Ben").unwrap();
    let (_, joined) = s.join_group(&text).unwrap();
    assert_eq!(joined, Joined::Now);
    assert_eq!(s.group(&g).unwrap().my_role, Some(Role::Member));
    s.send_message(&g, "Hello all", None).unwrap();
    s.act_as(Some("Ana".into()));
    let messages = s.messages(&g).unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text, "Hello all");
    s.set_role(&g, "Ben", Role::Moderator).unwrap();
    assert_eq!(
        s.group(&g)
            .unwrap()
            .view
            .role_of(&s.store().persona("Ben").unwrap().unwrap().id()),
        Some(Role::Moderator)
    );
    // A moderator creates the group's events.
    s.act_as(Some("Ben".into()));
    s.create_event(new_event("Meeting", Some(g.clone())))
        .unwrap();
    s.act_as(Some("Ana".into()));
    let link = s.put_link(&g, "Pad", "https://pad.example/x").unwrap();
    assert_eq!(s.group(&g).unwrap().view.links[0].id, link);
    s.remove_member(&g, "Ben").unwrap();
    assert_eq!(s.group(&g).unwrap().view.members.len(), 1);
    let inv = &invitation.token.invite_id()[..6];
    s.revoke_invitation(&g, inv).unwrap();
    assert!(s.group(&g).unwrap().view.invites[0].revoked);
    assert!(matches!(
        s.join_group("hello"),
        Err(ServiceError::Invite(_))
    ));
}

#[test]
fn lists_follow_the_acting_persona() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let (group, _) = s
        .create_group("Garden", "", GroupVisibility::Public)
        .unwrap();
    s.create_event(new_event("Planting", Some(group.to_hex())))
        .unwrap();
    s.create_event(new_event("Ana's own", None)).unwrap();
    s.create_persona("Ben").unwrap();
    let list = |s: &Service, filter| -> Vec<String> {
        s.events(&EventSearch {
            filter,
            ..EventSearch::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect()
    };
    assert!(list(&s, EventFilter::Mine).is_empty());
    assert!(list(&s, EventFilter::Followed).is_empty());
    s.follow_group(&group.to_hex(), true).unwrap();
    assert_eq!(list(&s, EventFilter::Followed), ["Planting"]);
    s.switch_persona("Ana").unwrap();
    assert_eq!(list(&s, EventFilter::Mine).len(), 2);
    assert_eq!(list(&s, EventFilter::MyGroups), ["Planting"]);
}

#[test]
fn what_the_server_publishes_is_named_from_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let (group, _) = s
        .create_group("Climate March", "", GroupVisibility::Public)
        .unwrap();
    let listed = s
        .create_event(new_event("March", Some(group.to_hex())))
        .unwrap();
    let alone = s.create_event(new_event("Alone", None)).unwrap();
    // No server known yet: nothing is named.
    assert_eq!(s.event(&listed.to_hex()).unwrap().url, None);
    s.store().set_server_url("https://rally.example").unwrap();
    assert_eq!(
        s.event(&listed.to_hex()).unwrap().url,
        Some(format!("https://rally.example/events/{}", listed.to_hex()))
    );
    assert_eq!(s.event(&alone.to_hex()).unwrap().url, None);
    let handle = s.group(&group.to_hex()).unwrap().handle.unwrap();
    assert!(handle.starts_with("@climate_march_"), "{handle}");
    assert!(handle.ends_with("@rally.example"), "{handle}");
    s.edit_event(
        &listed.to_hex(),
        EventEdit {
            visibility: Some(Visibility::Unlisted),
            ..EventEdit::default()
        },
    )
    .unwrap();
    assert_eq!(s.event(&listed.to_hex()).unwrap().url, None);
}

#[test]
fn bundles_carry_documents_between_stores() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut ana = service(a.path());
    ana.create_persona("Ana").unwrap();
    let id = ana.create_event(new_event("Assembly", None)).unwrap();
    let (bytes, changes) = ana.export_bundle(&[id.to_hex()[..8].to_owned()]).unwrap();
    assert_eq!(changes, 1);
    let mut ben = service(b.path());
    let report = ben.import_bundle(&bytes).unwrap();
    assert_eq!(report.accepted, 1);
    assert_eq!(all_events(&ben), ["Assembly"]);
    assert!(matches!(
        ben.import_bundle(&bytes[..bytes.len() - 3]),
        Err(ServiceError::Bundle(_))
    ));
    assert_eq!(ben.store_info().unwrap().events, 1);
}

#[test]
fn the_handle_runs_use_cases_on_the_service_thread() {
    let dir = tempfile::tempdir().unwrap();
    let handle = crate::ServiceHandle::spawn(service(dir.path()), "test-service").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let titles = runtime.block_on(async {
        handle
            .call(|s| s.create_persona("Ana"))
            .await
            .unwrap()
            .unwrap();
        let mut tasks = Vec::new();
        for n in 0..8 {
            let h = handle.clone();
            tasks.push(tokio::spawn(async move {
                h.call(move |s| {
                    assert_eq!(
                        std::thread::current().name(),
                        Some("test-service"),
                        "the work runs on the service's thread"
                    );
                    s.create_event(new_event(&format!("Event {n}"), None))
                })
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap().unwrap();
        }
        handle.call(|s| all_events(s)).await.unwrap()
    });
    assert_eq!(titles.len(), 8);
    assert_eq!(
        handle
            .call_blocking(|s| s.personas().unwrap().list.len())
            .unwrap(),
        1
    );
}

#[test]
fn one_origin_gives_one_copy_even_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let origin = "https://mobilizon.example/events/42";
    let details = |title: &str| {
        rally_core::EventDetails::new(title, "2027-05-01T14:00".parse().unwrap(), "Europe/Paris")
    };
    let mut s = service(dir.path());
    let (proxy, new) = s
        .proxy_persona("fedi:https://mobilizon.example/@ana")
        .unwrap();
    assert!(new);
    assert!(
        !s.proxy_persona("fedi:https://mobilizon.example/@ana")
            .unwrap()
            .1
    );
    let first = s
        .save_copy(&proxy, "Ana", origin, &details("March"), CopyBanner::None)
        .unwrap();
    assert!(first.new && first.changed);
    let again = s
        .save_copy(&proxy, "Ana", origin, &details("March"), CopyBanner::None)
        .unwrap();
    assert_eq!(
        (again.event, again.new, again.changed),
        (first.event, false, false)
    );
    let edited = s
        .save_copy(
            &proxy,
            "Ana",
            origin,
            &details("March (moved)"),
            CopyBanner::None,
        )
        .unwrap();
    assert!(!edited.new && edited.changed);
    assert!(s.cancel_copy(&proxy, first.event).unwrap());
    assert!(!s.cancel_copy(&proxy, first.event).unwrap());

    // Two connections saving another origin at once: one copy.
    let other = "https://mobilizon.example/events/43";
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let dir = dir.path().to_owned();
            let proxy = proxy.clone();
            std::thread::spawn(move || {
                let mut s = Service::open(&dir).unwrap();
                s.save_copy(&proxy, "Ana", other, &details("Picnic"), CopyBanner::None)
                    .unwrap()
            })
        })
        .collect();
    let saved: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(saved.iter().filter(|c| c.new).count(), 1, "{saved:?}");
    assert!(saved.iter().all(|c| c.event == saved[0].event));
    assert_eq!(all_events(&s).len(), 2);
    // The origin index is derived from the documents: a rebuild keeps it.
    s.reindex().unwrap();
    assert_eq!(s.store().copy_of(other).unwrap(), Some(saved[0].event));
}

#[test]
fn the_organiser_of_a_copy_answers_a_join_sent_from_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    let proxy_name = "fedi:https://mobilizon.example/@ana";
    let (proxy, _) = s.proxy_persona(proxy_name).unwrap();
    let mut details =
        rally_core::EventDetails::new("Ride", "2027-05-01T09:00".parse().unwrap(), "UTC");
    details.join_mode = rally_core::model::JoinMode::Approval;
    let copy = s
        .save_copy(
            &proxy,
            "Ana",
            "https://mobilizon.example/events/7",
            &details,
            CopyBanner::None,
        )
        .unwrap()
        .event;
    let bea = s.create_persona("Bea").unwrap().id();
    let (_, status) = s.rsvp(&copy.to_hex(), Rsvp::Join).unwrap();
    assert_eq!(status, Some(ParticipationStatus::Pending));
    s.act_for_remote(proxy_name, "Ana");
    assert_eq!(
        s.answer_join(copy, bea, true).unwrap(),
        ParticipationStatus::Going
    );
    // A second Accept changes nothing; a Reject rejects.
    assert_eq!(
        s.answer_join(copy, bea, true).unwrap(),
        ParticipationStatus::Going
    );
    assert_eq!(
        s.answer_join(copy, bea, false).unwrap(),
        ParticipationStatus::Rejected
    );
    // Someone who never asked stays out.
    let stranger = rally_core::Persona::generate().id();
    assert_eq!(
        s.answer_join(copy, stranger, true).unwrap(),
        ParticipationStatus::Declined
    );
    s.act_as(None);
    assert_eq!(
        s.event(&copy.to_hex()).unwrap().view.participants[&bea].status,
        ParticipationStatus::Rejected
    );
}

#[test]
fn what_is_new_counts_others_since_the_persona_last_looked() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    let (group, invitation) = collective(&mut s);
    let g = group.to_hex();
    let token = invitation.token.encode();
    let event = s.create_event(new_event("Assembly", None)).unwrap();
    let e = event.to_hex();
    // Never opened: nothing is new about the event.
    s.mark_seen(&g).unwrap();
    assert_eq!(s.news().unwrap(), crate::news::News::default());
    s.mark_seen(&e).unwrap();

    s.create_persona("Ben").unwrap();
    s.join_group(&token).unwrap();
    s.send_message(&g, "Hello all", None).unwrap();
    s.send_message(&g, "Anyone there?", None).unwrap();
    s.comment(&e, "Count me in", None).unwrap();
    s.rsvp(&e, Rsvp::Join).unwrap();
    // Ben's own messages are not news to Ben.
    assert_eq!(s.unread_messages(group).unwrap(), 0);

    s.act_as(Some("Ana".into()));
    s.send_message(&g, "Welcome", None).unwrap();
    assert_eq!(s.unread_messages(group).unwrap(), 2);
    let news = s.news().unwrap();
    assert_eq!(news.chats.len(), 1);
    assert_eq!((news.chats[0].group, news.chats[0].unread), (group, 2));
    assert_eq!(news.events.len(), 1);
    assert_eq!(
        (
            news.events[0].event,
            news.events[0].comments,
            news.events[0].people
        ),
        (event, 1, 1)
    );
    // Looking clears it; the next message counts again.
    s.mark_seen(&g).unwrap();
    s.mark_seen(&e).unwrap();
    assert_eq!(s.news().unwrap(), crate::news::News::default());
    s.act_as(Some("Ben".into()));
    s.send_message(&g, "Still here", None).unwrap();
    s.act_as(Some("Ana".into()));
    assert_eq!(s.unread_messages(group).unwrap(), 1);
}

#[test]
fn the_list_pages_past_any_limit_without_gaps_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    // Several at the same hour: the id breaks the tie, so none is skipped.
    for i in 0..23 {
        let mut e = new_event(&format!("Meeting {i}"), None);
        e.fields.starts = Some(format!("2027-03-{:02}T18:30", 1 + i / 3).parse().unwrap());
        s.create_event(e).unwrap();
    }
    let everything: Vec<_> = s
        .events(&EventSearch::default())
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(everything.len(), 23);
    for filter in [EventFilter::All, EventFilter::Mine] {
        let mut paged = Vec::new();
        let mut after = None;
        // Five pages of five, and one empty; more would mean pages repeat.
        for _ in 0..8 {
            let page = s
                .events(&EventSearch {
                    filter,
                    upcoming: true,
                    limit: 5,
                    after,
                    ..EventSearch::default()
                })
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some((last.starts, last.id));
            assert!(page.len() <= 5);
            paged.extend(page.iter().map(|e| e.id));
        }
        assert_eq!(paged, everything, "{filter:?}");
    }
}

#[test]
fn reminders_come_before_what_the_persona_goes_to_once_each() {
    use crate::reminders::{ReminderSettings, parse_before};
    let dir = tempfile::tempdir().unwrap();
    let mut s = service(dir.path());
    s.create_persona("Ana").unwrap();
    let t = |text: &str| text.parse::<Timestamp>().unwrap();
    // A weekly series (three Tuesdays at 19:00 Paris); Ana goes to the second only.
    let series = s
        .create_event(NewEvent {
            fields: EventEdit {
                title: Some("Assembly".into()),
                starts: Some("2027-03-02T19:00".parse().unwrap()),
                time_zone: Some("Europe/Paris".into()),
                repeat: Some(Some("FREQ=WEEKLY;COUNT=3".into())),
                ..EventEdit::default()
            },
            group: None,
        })
        .unwrap()
        .to_hex();
    s.rsvp_at(&series, Some("2027-03-09"), Rsvp::Join).unwrap();
    let picnic = s
        .create_event(NewEvent {
            fields: EventEdit {
                title: Some("Picnic".into()),
                starts: Some("2027-03-05T12:00".parse().unwrap()),
                time_zone: Some("Europe/Paris".into()),
                ..EventEdit::default()
            },
            group: None,
        })
        .unwrap()
        .to_hex();
    s.create_event(new_event("Not going", None)).unwrap();
    s.rsvp(&picnic, Rsvp::Join).unwrap();
    let list = |s: &Service| {
        s.reminders(t("2027-03-01T00:00Z"), t("2027-03-31T00:00Z"))
            .unwrap()
            .into_iter()
            .map(|r| (r.title, r.due_at.to_string()))
            .collect::<Vec<_>>()
    };
    let row = |title: &str, due: &str| (title.to_owned(), due.to_owned());
    assert_eq!(
        list(&s),
        [
            row("Picnic", "2027-03-04T11:00:00Z"),
            row("Picnic", "2027-03-05T10:00:00Z"),
            row("Assembly", "2027-03-08T18:00:00Z"),
            row("Assembly", "2027-03-09T17:00:00Z"),
        ]
    );
    // The picnic's own choice: half an hour before.
    s.set_event_reminders(&picnic, Some(vec![parse_before("30m").unwrap()]))
        .unwrap();
    assert_eq!(list(&s)[0], row("Picnic", "2027-03-05T10:30:00Z"));
    assert_eq!(list(&s).len(), 3);
    // Five minutes after the hour-before reminder of the 9 March session:
    // that one is due (the day-before one is long past its grace).
    let due = s.take_due_reminders(t("2027-03-09T17:05:00Z")).unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].before, 60);
    assert_eq!(
        due[0].occurrence.unwrap().to_string(),
        "2027-03-09T19:00:00"
    );
    assert!(
        s.take_due_reminders(t("2027-03-09T17:06:00Z"))
            .unwrap()
            .is_empty()
    );
    // Off: none.
    s.set_reminder_settings(&ReminderSettings {
        on: false,
        before: vec![60],
    })
    .unwrap();
    assert!(list(&s).is_empty());
    assert!(
        s.set_reminder_settings(&ReminderSettings {
            on: true,
            before: vec![parse_before("5w").unwrap()],
        })
        .is_err()
    );
    assert_eq!(parse_before("1d"), Some(1440));
    assert_eq!(parse_before("2h"), Some(120));
    assert_eq!(parse_before("soon"), None);
}

/// Every byte sequence of `needle` in any file of `dir`.
fn in_files(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

#[test]
fn a_wipe_destroys_every_key_in_the_files_first_then_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = service(&data);
    s.create_persona("Ana").unwrap();
    let (group, _) = s
        .create_group("Night shelter", "", GroupVisibility::MembersOnly)
        .unwrap();
    s.send_message(&group.to_hex(), "The door code is 4711", None)
        .unwrap();
    drop(s);
    // The secrets, as the database holds them: a persona's signing key, the
    // group's epoch secret and document key.
    let secrets: Vec<Vec<u8>> = {
        let db = rusqlite::Connection::open(data.join(rally_store::DB_FILE)).unwrap();
        let mut stmt = db
            .prepare(
                "SELECT secret_key FROM personas
                 UNION ALL SELECT secret FROM group_keys WHERE secret IS NOT NULL
                 UNION ALL SELECT document_key FROM group_keys",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert!(secrets.len() >= 3, "{} secrets", secrets.len());
    for k in &secrets {
        assert!(k.len() >= 32 && k.iter().any(|b| *b != 0));
        assert!(in_files(&data, k), "the key is in the files before");
    }

    // Keys first: once destroyed, not one of them is left in any file.
    let mut store = rally_store::Store::open(&data).unwrap();
    store.destroy_keys().unwrap();
    for k in &secrets {
        assert!(!in_files(&data, k), "a key survived in the files");
    }
    drop(store);

    // Then the files.
    let mut s = service(&data);
    let gone = s.wipe().unwrap();
    assert_eq!(gone, data);
    assert!(!data.exists());
}
