//! Pictures: an event's banner set from a file's bytes, and blobs read back.
//!
//! The bytes are cleaned (`rally-picture`: decoded within bounds, upright, no
//! metadata, two sizes) before anything is written; then the blobs and the edit
//! that names them are one transaction, so a picture is never stored without a
//! document naming it, nor named without its bytes here.

use rally_core::DocKind;
use rally_core::picture::{BlobHash, Picture};
use rally_picture::Cleaned;

use crate::{Result, Service, ServiceError};

/// A picture as a person chose it: a file's bytes and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureInput {
    pub bytes: Vec<u8>,
    /// Required: what a screen reader says instead.
    pub alt: String,
}

/// A picture cleaned, with the reference a document keeps.
#[derive(Debug, Clone)]
pub struct Prepared {
    cleaned: Cleaned,
    picture: Picture,
}

impl Prepared {
    pub fn picture(&self) -> &Picture {
        &self.picture
    }
}

/// Cleans the bytes (outside any transaction: it is the slow part).
pub(crate) fn prepare(input: &PictureInput) -> Result<Prepared> {
    clean(&input.bytes, &required_alt(&input.alt)?)
}

/// A person's description of a picture: required (screen readers say it).
fn required_alt(alt: &str) -> Result<String> {
    let alt = alt.trim();
    if alt.is_empty() {
        return Err(ServiceError::Missing(
            "a description of the picture (alt text)",
        ));
    }
    Ok(alt.to_owned())
}

/// Cleans a picture from elsewhere (a Fediverse event's banner), whose sender
/// may not have described it.
pub fn prepare_remote(bytes: &[u8], alt: &str) -> Result<Prepared> {
    clean(bytes, alt.trim())
}

fn clean(bytes: &[u8], alt: &str) -> Result<Prepared> {
    let cleaned = rally_picture::clean(bytes)?;
    let picture = Picture {
        hash: BlobHash(cleaned.page.hash),
        width: cleaned.page.width,
        height: cleaned.page.height,
        size: cleaned.page.bytes.len() as u32,
        card: BlobHash(cleaned.card.hash),
        card_width: cleaned.card.width,
        card_height: cleaned.card.height,
        alt: alt.to_owned(),
    };
    if !picture.is_valid() {
        return Err(rally_core::InvalidInput::BadPicture.into());
    }
    Ok(Prepared { cleaned, picture })
}

impl Service {
    /// Stores a prepared picture's blobs (inside the use case's transaction).
    pub(crate) fn store_picture(&mut self, p: &Prepared) -> Result<()> {
        for v in [&p.cleaned.page, &p.cleaned.card] {
            self.store.put_blob(BlobHash(v.hash), &v.bytes, true)?;
        }
        Ok(())
    }

    /// Sets (or with `None` removes) an event's banner.
    pub fn set_event_banner(
        &mut self,
        event: &str,
        banner: Option<PictureInput>,
    ) -> Result<Option<Picture>> {
        let prepared = banner.as_ref().map(prepare).transpose()?;
        self.act_on(event, DocKind::Event, |s, me, id, now| {
            let mut details = s.store.load(id)?.event()?.details;
            if let Some(p) = &prepared {
                s.store_picture(p)?;
            }
            details.banner = prepared.as_ref().map(|p| p.picture.clone());
            s.store
                .update(id, |d| d.update_event(&me.persona, &details, now))?;
            s.store.forget_unnamed_blobs()?;
            Ok(details.banner)
        })
    }

    /// Sets (or with `None` removes) a group's picture (its admins).
    pub fn set_group_avatar(
        &mut self,
        group: &str,
        avatar: Option<PictureInput>,
    ) -> Result<Option<Picture>> {
        let prepared = avatar.as_ref().map(prepare).transpose()?;
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            let mut profile = s.store.load(id)?.group()?.profile;
            if let Some(p) = &prepared {
                s.store_picture(p)?;
            }
            profile.avatar = prepared.as_ref().map(|p| p.picture.clone());
            s.store
                .update(id, |g| g.update_group_profile(&me.persona, &profile, now))?;
            s.store.forget_unnamed_blobs()?;
            Ok(profile.avatar)
        })
    }

    /// Sets (or with `None` removes) a local persona's own picture, and writes
    /// it into its entries of every group it is a member of and every event it
    /// answered — one transaction. Later memberships and answers carry it too.
    pub fn set_persona_avatar(
        &mut self,
        persona: &str,
        avatar: Option<PictureInput>,
    ) -> Result<Option<Picture>> {
        let prepared = avatar.as_ref().map(prepare).transpose()?;
        let now = self.now();
        self.transaction(|s| {
            // By name, or by id (as the app names it).
            let me = match s.store.persona(persona)? {
                Some(p) => p,
                None => s
                    .store
                    .personas()?
                    .into_iter()
                    .find(|p| p.id().to_hex() == persona)
                    .ok_or_else(|| ServiceError::UnknownPersona(persona.to_owned()))?,
            };
            if let Some(p) = &prepared {
                s.store_picture(p)?;
            }
            let picture = prepared.as_ref().map(|p| p.picture.clone());
            s.store.set_persona_picture(&me.id(), picture.as_ref())?;
            for doc in s.store.own_entries(&me.id())? {
                s.store.update(doc, |d| {
                    d.set_own_avatar(&me.persona, picture.as_ref(), now)
                })?;
            }
            s.store.forget_unnamed_blobs()?;
            Ok(picture)
        })
    }

    /// Writes the persona's picture, if it has one, into its entry of `doc`
    /// (after it joined or answered there).
    pub(crate) fn carry_own_avatar(
        &mut self,
        me: &rally_store::LocalPersona,
        doc: rally_core::DocId,
        now: rally_store::Timestamp,
    ) -> Result<()> {
        if let Some(picture) = self.store.persona_picture(&me.id())? {
            self.store
                .update(doc, |d| d.set_own_avatar(&me.persona, Some(&picture), now))?;
        }
        Ok(())
    }

    /// Changes the alt text of a group's picture.
    pub fn set_group_avatar_alt(&mut self, group: &str, alt: &str) -> Result<Picture> {
        let alt = required_alt(alt)?;
        self.act_on(group, DocKind::Group, |s, me, id, now| {
            let mut profile = s.store.load(id)?.group()?.profile;
            let Some(avatar) = profile.avatar.as_mut() else {
                return Err(ServiceError::NoPicture);
            };
            avatar.alt = alt;
            let out = avatar.clone();
            profile.validate()?;
            s.store
                .update(id, |g| g.update_group_profile(&me.persona, &profile, now))?;
            Ok(out)
        })
    }

    /// Changes the alt text of an event's banner.
    pub fn set_event_banner_alt(&mut self, event: &str, alt: &str) -> Result<Picture> {
        let alt = required_alt(alt)?;
        self.act_on(event, DocKind::Event, |s, me, id, now| {
            let mut details = s.store.load(id)?.event()?.details;
            let Some(banner) = details.banner.as_mut() else {
                return Err(ServiceError::NoPicture);
            };
            banner.alt = alt;
            let out = banner.clone();
            details.validate()?;
            s.store
                .update(id, |d| d.update_event(&me.persona, &details, now))?;
            Ok(out)
        })
    }

    /// A blob's bytes: a picture a document here names, once it has arrived.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        let hash: BlobHash = hash
            .trim()
            .parse()
            .map_err(|_| ServiceError::NoSuchPicture(hash.to_owned()))?;
        if let Some(bytes) = self.store.blob(hash)? {
            return Ok(bytes);
        }
        if self.store.blob_named(hash)? {
            Err(ServiceError::PictureNotArrived(hash.to_string()))
        } else {
            Err(ServiceError::NoSuchPicture(hash.to_string()))
        }
    }
}
