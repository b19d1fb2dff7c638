//! The acting persona's private calendar feed: the request it signs to get
//! (or reset) the feed's URL on its server ([`rally_core::private_feed`]).
//! Signing happens here, where the persona's key is; sending it is the
//! caller's (`rally_webclient::feeds`, from the CLI or the app).

use rally_core::private_feed::{FeedAction, FeedRequest};

use crate::{Result, Service, ServiceError};

impl Service {
    /// The acting persona's signed request to `action` its feed on the server
    /// whose host is `host`.
    pub fn private_feed_request(&self, action: FeedAction, host: &str) -> Result<FeedRequest> {
        let me = self.acting()?.ok_or(ServiceError::NoPersona)?;
        Ok(FeedRequest::sign(
            &me.persona,
            action,
            host,
            self.now().as_second(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_acting_persona_s() {
        let dir = tempfile::tempdir().unwrap();
        let mut svc = Service::open(dir.path()).unwrap();
        assert!(matches!(
            svc.private_feed_request(FeedAction::Get, "rally.example"),
            Err(ServiceError::NoPersona)
        ));
        let ana = svc.create_persona("Ana").unwrap();
        let r = svc
            .private_feed_request(FeedAction::Reset, "rally.example")
            .unwrap();
        let now = svc.now().as_second();
        assert_eq!(r.verify("rally.example", now), Ok(ana.id()));
        assert_eq!(r.action, FeedAction::Reset);
    }
}
