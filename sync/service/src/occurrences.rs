//! Recurring events' occurrences: list them in a window, and change one
//! occurrence or it and the following ones (move, re-place, retitle, cancel,
//! put back). The series itself is created and edited as any event, with
//! [`crate::events::EventEdit::repeat`].

use rally_core::jiff::civil::{Date, DateTime};
use rally_core::jiff::{SignedDuration, Timestamp};

use rally_core::{
    DocKind, EventStatus, InvalidInput, Occurrence, OccurrencePatch, ParticipationStatus, Place,
};

use crate::events::{EventEdit, optional_text};
use crate::{Result, Service, ServiceError};

/// One occurrence as a list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OccurrenceRow {
    pub occurrence: Occurrence,
    /// Those going to it (to the whole series, or to this occurrence).
    pub going: usize,
    /// The acting persona's answer to it (its own, or the series').
    pub mine: Option<ParticipationStatus>,
}

/// Which occurrences an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// That occurrence only.
    This,
    /// That one and every later one.
    Following,
}

/// Reads an occurrence as people name it: its date (`2027-05-14`) or its
/// date and time as the series has it (`2027-05-14T19:00`).
pub(crate) fn occurrence_named(d: &rally_core::EventDetails, text: &str) -> Result<DateTime> {
    let text = text.trim();
    let missing = || ServiceError::Input(InvalidInput::NoSuchOccurrence(text.to_owned()));
    let has_time = text.contains(['T', 't', ' ']);
    if has_time && let Ok(name) = text.parse::<DateTime>() {
        return if d.has_occurrence(name) {
            Ok(name)
        } else {
            Err(missing())
        };
    }
    let day: Date = text.parse().map_err(|_| missing())?;
    let Some(repeat) = &d.repeat else {
        return if d.starts.date() == day {
            Ok(d.starts)
        } else {
            Err(missing())
        };
    };
    let from = day.at(0, 0, 0, 0);
    let to = day.at(23, 59, 59, 0);
    repeat
        .names(d.starts, &d.zone(), from, to, 1)
        .into_iter()
        .next()
        .ok_or_else(missing)
}

impl Service {
    /// An event's occurrences that have not ended by `from` and start before
    /// `to` (default: from now, for a year), at most `limit` (0: 500), with who
    /// goes to each and the acting persona's answer. A single event has one.
    pub fn occurrences(
        &self,
        id: &str,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        limit: usize,
    ) -> Result<Vec<OccurrenceRow>> {
        let id = self.resolve(id, DocKind::Event)?;
        let view = self.store.load(id)?.event()?;
        let from = from.unwrap_or_else(|| self.now());
        let to = to.unwrap_or_else(|| {
            from.checked_add(SignedDuration::from_hours(366 * 24))
                .unwrap_or(Timestamp::MAX)
        });
        let to = to.max(from);
        let limit = if limit == 0 { 500 } else { limit };
        let me = self.acting()?.map(|m| m.id());
        let series = view.details.repeat.is_some();
        Ok(view
            .details
            .occurrences(&view.exceptions, from, to, limit)
            .into_iter()
            .map(|o| {
                let name = series.then_some(o.name);
                OccurrenceRow {
                    going: match name {
                        Some(n) => view.going_to(n),
                        None => view.going_count(),
                    },
                    mine: me.and_then(|m| {
                        name.and_then(|n| view.participation(&m, Some(n)))
                            .or_else(|| view.participation(&m, None))
                            .map(|p| p.status)
                    }),
                    occurrence: o,
                }
            })
            .collect())
    }

    /// Changes one occurrence of a series, or it and the following ones: the
    /// fields `edit` sets (title, description, start, end, place, address,
    /// coordinates, online link, status) are kept with what the exception
    /// already held. Other fields are the series' own: edit the event for them.
    pub fn edit_occurrence(
        &mut self,
        id: &str,
        occurrence: &str,
        scope: Scope,
        edit: EventEdit,
    ) -> Result<String> {
        let whole_series = EventEdit {
            title: None,
            description: None,
            starts: None,
            ends: None,
            place: None,
            address: None,
            coordinates: None,
            online: None,
            status: None,
            ..edit.clone()
        };
        if whole_series != EventEdit::default() {
            return Err(ServiceError::SeriesOnly);
        }
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let view = s.store.load(id)?.event()?;
            let d = &view.details;
            if d.repeat.is_none() {
                return Err(ServiceError::NotASeries);
            }
            let name = occurrence_named(d, occurrence)?;
            let following = scope == Scope::Following;
            let kept = if following {
                view.exceptions.following.get(&name)
            } else {
                view.exceptions.one.get(&name)
            };
            let mut p = kept.cloned().unwrap_or_default();
            if let Some(t) = edit.title {
                p.title = Some(t.trim().to_owned()).filter(|t| *t != d.title);
            }
            if let Some(v) = edit.description {
                p.description = Some(v).filter(|v| *v != d.description);
            }
            if let Some(v) = edit.starts {
                p.starts = Some(v).filter(|v| *v != name);
            }
            if let Some(v) = edit.ends {
                p.ends = v;
            }
            if edit.place.is_some() || edit.address.is_some() || edit.coordinates.is_some() {
                let mut place: Place = p.place.clone().unwrap_or_else(|| d.place.clone());
                if let Some(v) = edit.place {
                    place.name = v.as_deref().and_then(optional_text);
                }
                if let Some(v) = edit.address {
                    place.address = v.as_deref().and_then(optional_text);
                }
                if let Some(v) = edit.coordinates {
                    place.latitude = v.map(|c| c.0);
                    place.longitude = v.map(|c| c.1);
                }
                p.place = (place != d.place).then_some(place);
            }
            if let Some(v) = edit.online {
                p.online_url = v.as_deref().and_then(optional_text);
            }
            if let Some(v) = edit.status {
                p.status = Some(v).filter(|v| *v != d.status);
            }
            s.store.update(id, |doc| {
                doc.edit_occurrence(&me.persona, name, &p, following, now)
            })?;
            Ok(name.to_string())
        })
    }

    /// Cancels one occurrence of a series (or it and the following ones).
    pub fn cancel_occurrence(
        &mut self,
        id: &str,
        occurrence: &str,
        scope: Scope,
    ) -> Result<String> {
        self.edit_occurrence(
            id,
            occurrence,
            scope,
            EventEdit {
                status: Some(EventStatus::Cancelled),
                ..EventEdit::default()
            },
        )
    }

    /// Puts an occurrence back as the series has it (its own exception goes).
    pub fn restore_occurrence(&mut self, id: &str, occurrence: &str) -> Result<String> {
        self.act_on(id, DocKind::Event, |s, me, id, now| {
            let d = s.store.load(id)?.event()?.details;
            let name = occurrence_named(&d, occurrence)?;
            s.store.update(id, |doc| {
                doc.edit_occurrence(&me.persona, name, &OccurrencePatch::default(), false, now)
            })?;
            Ok(name.to_string())
        })
    }
}
